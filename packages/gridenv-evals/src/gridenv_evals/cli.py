"""``gridenv-eval``: run versioned evaluation suites on any policy and compare results.

    gridenv-eval list
    gridenv-eval show SUITE
    gridenv-eval run --suite SUITE --policy URI [--policy URI ...] [--episodes N] [--threads T] [--out DIR]
    gridenv-eval compare A.json B.json
    gridenv-eval substrate NAME [--kinship K] [--training]      (a cooperation substrate's config as YAML)
    gridenv-eval experiment kinship --budget B --seeds S [--jobs J] [--torchrun N] [--out DIR]

Policy URIs: random, random?seed=S, oracle, explorer (in-context suites), cooperator and defector (cooperation
suites), baseline://NAME (shipped reference policies), sb3://MODEL.zip,
py://package.module:factory, or a gridenv-train checkpoint (a path, a run directory, file://PATH).
Sharded over processes: torchrun --nproc-per-node N -m gridenv_evals run ... (identical results).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gridenv_evals import distributed
from gridenv_evals.cooperation import build_cooperation_results, run_cooperation
from gridenv_evals.experiment import SCHEMES
from gridenv_evals.in_context import build_in_context_results, run_in_context
from gridenv_evals.policies import PolicyError, load_policy
from gridenv_evals.results import build_results, compare, leaderboard_any, load_results, write_results
from gridenv_evals.runner import run_suite, task_spec
from gridenv_evals.suites import check_pinned, get_suite, list_suites, pinned_digests


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridenv-eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the registered suites")
    show = commands.add_parser("show", help="a suite's protocol: tasks, seeds, step budgets, digests")
    show.add_argument("suite")
    run = commands.add_parser("run", help="evaluate one or more policies on a suite")
    run.add_argument("--suite", required=True)
    run.add_argument("--policy", action="append", required=True, help="a policy URI; repeat for a leaderboard")
    run.add_argument("--episodes", type=int, default=None, help="episodes per task [the suite's: 16]")
    run.add_argument("--threads", type=int, default=1, help="C++ threads stepping the episodes [1]")
    run.add_argument("--out", default=None, help="write results.json, results.csv and summary.png here")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--replays", action="store_true",
                     help="with --out: a replay of each task's first episode per policy, DIR/replays/POLICY/TASK-SEED"
                     ".json.z (gridenv replay FILE shows it)")
    substrate = commands.add_parser("substrate", help="a cooperation substrate's env config as YAML (for "
                                    "gridenv-train --env FILE)")
    substrate.add_argument("name", help="joint-altar, division-of-labour or raiders")
    substrate.add_argument("--kinship", default="selfish", help="selfish, teams, clans or bonds [selfish]")
    substrate.add_argument("--training", action="store_true", help="with the training rewards (diamond 0.1, "
                           "energy 0.01, heart 1) instead of hearts alone")
    experiment = commands.add_parser("experiment", help="the kinship experiment: train under each kinship scheme, "
                                     "evaluate on cooperation-v1 (docs/evals.md)")
    experiment.add_argument("which", choices=["kinship"])
    experiment.add_argument("--budget", type=int, default=500_000, help="agent-steps per training run [500000]")
    experiment.add_argument("--seeds", type=int, default=3, help="seeds per scheme [3]")
    experiment.add_argument("--substrate", default="division-of-labour", help="the training substrate "
                            "[division-of-labour]")
    experiment.add_argument("--schemes", default=",".join(SCHEMES), help=f"comma-separated [{','.join(SCHEMES)}]")
    experiment.add_argument("--jobs", type=int, default=2, help="trainings at once [2]")
    experiment.add_argument("--torchrun", type=int, default=1, help="processes per training (torchrun) [1]")
    experiment.add_argument("--episodes", type=int, default=2, help="episodes per scenario in the evaluations [2; "
                            "the suite's own is 4]")
    experiment.add_argument("--out", default="kinship-experiment", help="[kinship-experiment]")
    comparison = commands.add_parser("compare", help="two results.json of one suite, side by side")
    comparison.add_argument("a")
    comparison.add_argument("b")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            pinned = pinned_digests()
            for name in list_suites():
                suite = get_suite(name)
                status = "pinned" if name in pinned else "NOT PINNED"
                print(f"{name:16s} {len(suite.tasks):3d} tasks x {suite.episodes} episodes  ({status})  "
                      f"{suite.description}")
        elif args.command == "show":
            _show(args.suite)
        elif args.command == "run":
            return _run(args)
        elif args.command == "experiment":
            from gridenv_evals.experiment import run_kinship

            run_kinship(Path(args.out), args.budget, args.seeds, args.substrate, args.jobs, args.torchrun,
                        args.episodes, tuple(s for s in args.schemes.split(",") if s))
        elif args.command == "substrate":
            from gridenv_evals.suites.cooperation import substrate

            print(substrate(args.name, args.kinship, training=args.training).to_yaml(), end="")
        else:
            print(compare(*load_results(args.a)[:1], *load_results(args.b)[:1]))
    except (ValueError, PolicyError, FileNotFoundError) as error:
        print(f"gridenv-eval: error: {error}", file=sys.stderr)
        return 2
    return 0


def _show(name: str) -> None:
    suite = get_suite(name)
    pinned = pinned_digests().get(suite.full_name, {})
    print(f"{suite.full_name}: {suite.description}")
    if suite.protocol == "in-context":
        print(f"{len(suite.tasks)} trials of {suite.episodes} episodes, memory kept within a trial (dones never set; "
              f"initial_state at each trial); scores: return per episode index (mean, median, 20th percentile) and "
              f"in-context gain = mean of the last 3 episodes - the first, 95% stratified-bootstrap CIs "
              f"(docs/evals.md)")
        print(f"{'trial':12s} {'max_steps':>9s}  {'seeds':14s} {'recipe (held out)':36s} digest")
        for task in suite.tasks:
            print(f"{task.name:12s} {task.config.game.max_steps:9d}  {task.seeds[0]}..{task.seeds[-1]:<7d} "
                  f"{task.kind:36s} {pinned.get(task.name, 'unpinned')[:16]}")
        return
    if suite.protocol == "cooperation":
        print(f"{len(suite.tasks)} scenarios of {suite.episodes} episodes; agents 0 and 1 focal (the evaluated "
              f"policy), 2 and 3 background; scores: focal per-capita hearts, normalised per scenario between the "
              f"worst (0) and best (1) published focal baselines, and social measures by kin / non-kin "
              f"(docs/evals.md)")
        print(f"{'scenario':36s} {'max_steps':>9s}  {'seeds':12s} digest")
        for task in suite.tasks:
            print(f"{task.name:36s} {task.config.game.max_steps:9d}  {task.seeds[0]}..{task.seeds[-1]:<6d} "
                  f"{pinned.get(task.name, 'unpinned')[:16]}")
        return
    print(f"{len(suite.tasks)} tasks, {suite.episodes} episodes each (episode i reset with the task's seed i); "
          f"metrics: success, SPL, steps; aggregates: mean and IQM over all episodes with 95% stratified-bootstrap "
          f"CIs (docs/evals.md)")
    print(f"{'task':22s} {'kind':13s} {'map':>9s} {'max_steps':>9s}  seeds        digest")
    for task in suite.tasks:
        map_config = task.config.map
        size = f"{map_config.width}x{map_config.height}" if map_config.generator != "ascii" else \
            "ascii"
        seeds = f"{task.seeds[0]}..{task.seeds[-1]}"
        print(f"{task.name:22s} {task.kind:13s} {size:>9s} {task.config.game.max_steps:9d}  {seeds:12s} "
              f"{pinned.get(task.name, 'unpinned')[:16]}")


def _run(args) -> int:
    if args.replays and not args.out:
        raise ValueError("--replays: give --out DIR too (replays go to DIR/replays/)")
    if args.threads < 1:
        raise ValueError(f"--threads: expected an int >= 1, got {args.threads}")
    suite = get_suite(args.suite)
    rank, world_size = distributed.world()
    if world_size > 1:
        distributed.init()
    spec = task_spec(suite.tasks[0])
    # refused before any episode runs
    policies = [(uri, load_policy(uri, spec, protocol=suite.protocol)) for uri in args.policy]
    episodes = args.episodes or suite.episodes
    mine = [task for i, task in enumerate(suite.tasks) if i % world_size == rank]
    all_results = []
    for uri, policy in policies:
        progress = None if args.no_progress or rank != 0 else _Progress(f"{suite.full_name} {uri}", len(mine))
        if suite.protocol == "in-context":
            task_results = run_in_context(suite, policy, uri, episodes, tasks=mine,
                                          progress=progress.advance if progress else None)
        elif suite.protocol == "cooperation":
            task_results = run_cooperation(suite, policy, uri, episodes, tasks=mine,
                                           progress=progress.advance if progress else None)
        else:
            task_results = run_suite(suite, policy, uri, episodes, args.threads, tasks=mine,
                                     progress=progress.advance if progress else None)
        if progress:
            progress.close()
        if world_size > 1:
            gathered = distributed.gather(task_results, rank, world_size)
            if rank != 0:
                continue
            if suite.protocol in ("in-context", "cooperation"):
                task_results = {name: rows for shard in gathered for name, rows in shard.items()}
            else:
                by_name = {result.name: result for shard in gathered for result in shard}
                task_results = [by_name[task.name] for task in suite.tasks]
        if suite.protocol == "in-context":
            all_results.append(build_in_context_results(suite, uri, task_results))
        elif suite.protocol == "cooperation":
            all_results.append(build_cooperation_results(suite, uri, task_results))
        else:
            all_results.append(build_results(suite, uri, episodes, task_results))
    if args.replays:  # each rank its own tasks
        count = len(write_replays(Path(args.out), suite, mine, policies))
        print(f"wrote {count} replays under {Path(args.out) / 'replays'}", file=sys.stderr)
    if world_size > 1:
        distributed.finish()
        if rank != 0:
            return 0
    changed = check_pinned(suite)
    if changed:
        print(f"gridenv-eval: warning: {suite.full_name} differs from its pinned digests in {changed}: these "
              f"results are not comparable with published ones", file=sys.stderr)
    print(leaderboard_any(all_results))
    if args.out:
        for path in write_results(Path(args.out), all_results):
            print(f"wrote {path}")
    return 0


def write_replays(out: Path, suite, tasks, policies) -> list[Path]:
    """Each task's first episode played again by each policy, one episode at a time, as gridenv replays. A
    deterministic policy replays the episode it was scored on; a stochastic one draws anew (its evaluation batch
    drew for every episode of the task at once), so its replay is an episode like the scored ones, not one of them."""
    from gridenv.replay import record_episode

    from gridenv_evals.runner import task_seed

    written = []
    for uri, policy in policies:
        folder = out / "replays" / "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in uri)
        folder.mkdir(parents=True, exist_ok=True)
        for task in tasks:
            seed = task.seeds[0]
            if hasattr(policy, "reseed"):
                policy.reseed(task_seed(suite, task))
            if hasattr(policy, "begin_task"):
                policy.begin_task(task, (seed,))
            if hasattr(policy, "begin_trials"):  # in-context: the trial's first episode
                policy.begin_trials([task])
                policy.begin_episode(0)
            _, path = record_episode(task.config, policy, folder / f"{task.name}-{seed}.json.z", seed=seed,
                                     policy_name=uri, recorded_by=f"gridenv-eval {suite.full_name}")
            written.append(path)
    return written


class _Progress:
    """A rich bar over tasks on a terminal; one line per task otherwise."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done = label, total, 0
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task(label, total=total)

    def advance(self, name: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{self.label}: {name}")
        else:
            print(f"{self.label}: {self.done}/{self.total} {name}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


if __name__ == "__main__":
    sys.exit(main())
