"""python -m gridenv_evals.baselines [SUITE ...]: re-run the baselines of the given suites (default: all) and rewrite
their rows of reference_scores.json."""

import sys
from pathlib import Path

from gridenv_evals.baselines import SUITES, publish

path = Path(__file__).with_name("reference_scores.json")
for suite, rows in publish(path, tuple(sys.argv[1:]) or SUITES).items():
    for uri, row in rows.items():
        if "gain" in row:
            print(f"{suite:14s} {uri:34s} episode 1 {row['per_episode']['mean'][0]:.3f}  episode "
                  f"{row['episodes_per_trial']} {row['per_episode']['mean'][-1]:.3f}  gain {row['gain']['mean']:+.3f} "
                  f"{row['gain']['ci95']}")
            continue
        if "scenario_hearts" in row:
            print(f"{suite:14s} {uri:34s} focal per-capita hearts {row['hearts']['mean']:.3f} {row['hearts']['ci95']}"
                  f"  attacks non-kin {row['measures']['attacks_nonkin']:.2f}  shared {row['measures']['shared_kin'] + row['measures']['shared_nonkin']:.1f}")
            continue
        agg = row["aggregates"]
        print(f"{suite:14s} {uri:34s} success {agg['success']['mean']:.3f} {agg['success']['ci95']}  "
              f"SPL {agg['spl']['mean']:.3f} {agg['spl']['ci95']}")
print(f"wrote {path}")
