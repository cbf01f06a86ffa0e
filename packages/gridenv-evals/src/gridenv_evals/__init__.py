"""gridenv-evals: versioned, frozen evaluation suites for gridenv policies, with the statistics results need.

    from gridenv_evals import get_suite, load_policy, run_suite, build_results
    suite = get_suite("navigation")                     # the latest version: navigation-v1
    spec = task_spec(suite.tasks[0])
    policy = load_policy("oracle", spec)                # or a checkpoint, sb3://..., py://..., baseline://...
    results = build_results(suite, "oracle", suite.episodes, run_suite(suite, policy, "oracle"))
    results.aggregates["success"].mean, results.aggregates["success"].ci95

The command line is ``gridenv-eval`` (docs/evals.md).
"""

from gridenv_evals.policies import Policy, PolicyError, TaskSpec, load_policy
from gridenv_evals.results import Results, build_results, load_results
from gridenv_evals.runner import run_suite, task_spec
from gridenv_evals.suites import Suite, Task, get_suite, list_suites

__version__ = "0.1.0"

__all__ = ["Policy", "PolicyError", "Results", "Suite", "Task", "TaskSpec", "build_results", "get_suite",
           "list_suites", "load_policy", "load_results", "run_suite", "task_spec"]
