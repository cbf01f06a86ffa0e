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

BASELINES_BY_SUITE = {
    "navigation-v1": ("random", "oracle", "baseline://reference-navigation"),
    "maze-v1": ("random", "oracle", "baseline://reference-navigation"),
    "in-context-v1": ("random", "oracle", "explorer", "baseline://reference-in-context"),
    "cooperation-v1": ("random", "cooperator", "defector", "baseline://selfish-raiders"),
}
SUITES = tuple(BASELINES_BY_SUITE)
BASELINES = BASELINES_BY_SUITE["navigation-v1"]  # the navigation and maze suites' baselines


def reference_scores() -> dict:
    return json.loads(resources.files("gridenv_evals.baselines").joinpath("reference_scores.json").read_text())


def score_table(suite_name: str, uri: str, episodes: int | None = None, threads: int = 1) -> dict:
    """One baseline on one suite, as the published table stores it."""
    from gridenv_evals.policies import load_policy
    from gridenv_evals.runner import task_spec
    from gridenv_evals.suites import get_suite

    suite = get_suite(suite_name)
    policy = load_policy(uri, task_spec(suite.tasks[0]), protocol=suite.protocol)
    if suite.protocol == "in-context":
        from gridenv_evals.in_context import build_in_context_results, run_in_context

        results = build_in_context_results(suite, uri, run_in_context(suite, policy, uri, episodes))
        return {"episodes_per_trial": results.episodes_per_trial, "suite_digest": results.suite_digest,
                "per_episode": results.per_episode.model_dump(mode="json"),
                "gain": results.gain.model_dump(mode="json"), "mean_return": results.mean_return,
                "trial_gain": {trial.name: trial.gain for trial in results.trials}}
    if suite.protocol == "cooperation":
        from gridenv_evals.cooperation import build_cooperation_results, run_cooperation

        results = build_cooperation_results(suite, uri, run_cooperation(suite, policy, uri, episodes), bounds={})
        return {"episodes_per_scenario": results.episodes_per_scenario, "suite_digest": results.suite_digest,
                "hearts": results.hearts.model_dump(mode="json"), "measures": results.measures,
                "by_kinship": results.by_kinship,
                "scenario_hearts": {scenario.name: scenario.hearts for scenario in results.scenarios}}
    from gridenv_evals.results import build_results
    from gridenv_evals.runner import run_suite

    episodes = episodes or suite.episodes
    results = build_results(suite, uri, episodes, run_suite(suite, policy, uri, episodes, threads))
    return {"episodes_per_task": episodes, "suite_digest": results.suite_digest,
            "aggregates": {k: v.model_dump(mode="json") for k, v in results.aggregates.items()},
            "task_success": {row.name: row.success for row in results.tasks}}


def publish(path: Path, suites: tuple[str, ...] = SUITES) -> dict:
    """Re-run the baselines of ``suites`` and rewrite their rows of the table at ``path`` (other suites' rows
    stay as published)."""
    table = json.loads(path.read_text()) if path.exists() else {}
    for suite in suites:
        table[suite] = {uri: score_table(suite, uri) for uri in BASELINES_BY_SUITE[suite]}
    path.write_text(json.dumps(table, indent=1) + "\n")
    return {suite: table[suite] for suite in suites}
