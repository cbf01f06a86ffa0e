"""Reference policies and their published scores.

``reference-navigation.safetensors`` is gridenv-train's CNN + LSTM trained on the navigation env
(reference-navigation.json says how). ``reference_scores.json`` holds the published table: every baseline's
aggregates and per-task success on every suite, as ``python -m gridenv_evals.baselines`` wrote them; a test re-runs
the baselines and checks they reproduce it (docs/evals.md shows the same numbers).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

BASELINES = ("random", "oracle", "baseline://reference-navigation")
SUITES = ("navigation-v1", "maze-v1")


def reference_scores() -> dict:
    return json.loads(resources.files("gridenv_evals.baselines").joinpath("reference_scores.json").read_text())


def score_table(suite_name: str, uri: str, episodes: int | None = None, threads: int = 1) -> dict:
    """One baseline on one suite, as the published table stores it."""
    from gridenv_evals.policies import load_policy
    from gridenv_evals.results import build_results
    from gridenv_evals.runner import run_suite, task_spec
    from gridenv_evals.suites import get_suite

    suite = get_suite(suite_name)
    policy = load_policy(uri, task_spec(suite.tasks[0]))
    episodes = episodes or suite.episodes
    results = build_results(suite, uri, episodes, run_suite(suite, policy, uri, episodes, threads))
    return {"episodes_per_task": episodes, "suite_digest": results.suite_digest,
            "aggregates": {k: v.model_dump(mode="json") for k, v in results.aggregates.items()},
            "task_success": {row.name: row.success for row in results.tasks}}


def publish(path: Path) -> dict:
    table = {suite: {uri: score_table(suite, uri) for uri in BASELINES} for suite in SUITES}
    path.write_text(json.dumps(table, indent=1) + "\n")
    return table
