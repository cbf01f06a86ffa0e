"""python -m gridenv_evals.baselines: re-run every baseline on every suite and rewrite reference_scores.json."""

from pathlib import Path

from gridenv_evals.baselines import publish

path = Path(__file__).with_name("reference_scores.json")
for suite, rows in publish(path).items():
    for uri, row in rows.items():
        agg = row["aggregates"]
        print(f"{suite:14s} {uri:34s} success {agg['success']['mean']:.3f} {agg['success']['ci95']}  "
              f"SPL {agg['spl']['mean']:.3f} {agg['spl']['ci95']}")
print(f"wrote {path}")
