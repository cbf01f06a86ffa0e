"""Run a suite: every task's episodes at once through gridenv's C++ vector env, one batched policy call per step.

A task's episodes are one ``VecEnv`` (world i reset with the task's seed i, as a ParallelEnv reset with that seed
would start). The policy acts for all of them in one call per step; an episode's result is taken on the step it
ends, and the world's automatic reset after it is ignored. The policy is reseeded per task from the task's name, so
a task's results do not depend on which tasks ran before it: sharded over torchrun ranks (``distributed``), results
are identical to one process, and identical with any number of env threads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import gridenv.vector
from gridenv_evals.metrics import shortest_path, spl
from gridenv_evals.policies import TaskSpec, check_fits
from gridenv_evals.suites import Suite, Task

GOAL_TILE = 3  # the altar: the first converter kind of the navigation and maze configs (gridenv.render.map_codes codes)


@dataclass
class EpisodeResult:
    seed: int
    success: bool
    steps: int          # the episode's length (max_steps when it did not succeed)
    shortest: int       # the fewest steps that succeed (metrics.shortest_path)
    spl: float


@dataclass
class TaskResult:
    name: str
    kind: str
    max_steps: int
    episodes: list[EpisodeResult] = field(default_factory=list)

    def column(self, metric: str) -> np.ndarray:
        return np.array([getattr(e, metric) for e in self.episodes], dtype=np.float64)


def task_spec(task: Task) -> TaskSpec:
    game = gridenv.Game(task.config)
    return TaskSpec(game.observation_shape, tuple(game.action_names))


def task_seed(suite: Suite, task: Task) -> int:
    """A policy's RNG seed for one task: from the suite and task names only."""
    return int.from_bytes(hashlib.sha256(f"{suite.full_name}/{task.name}".encode()).digest()[:8], "little")


def run_task(suite: Suite, task: Task, policy: Any, uri: str, episodes: int, num_threads: int = 1) -> TaskResult:
    seeds = tuple(task.seeds[:episodes])
    spec = task_spec(task)
    check_fits(policy, spec, uri)
    if hasattr(policy, "reseed"):
        policy.reseed(task_seed(suite, task))
    if hasattr(policy, "begin_task"):
        policy.begin_task(task, seeds)
    shortest = []
    for tiles, start in task.initial_maps(seeds):
        length = shortest_path(tiles, start, GOAL_TILE)
        if length is None:
            raise ValueError(f"{suite.full_name}/{task.name}: the altar cannot be reached on some seed")
        shortest.append(length)

    vec = gridenv.vector.make(task.config, num_envs=len(seeds), num_threads=num_threads)
    if vec.agents_per_env != 1:
        raise ValueError(f"{task.name}: the navigation runner plays single-agent tasks, this one has "
                         f"{vec.agents_per_env} agents")
    observations, _ = vec.reset(seed=list(seeds))
    state = policy.initial_state(len(seeds))
    dones = np.zeros(len(seeds), dtype=bool)
    finished = np.zeros(len(seeds), dtype=bool)
    success = np.zeros(len(seeds), dtype=bool)
    lengths = np.zeros(len(seeds), dtype=np.int64)
    step = 0
    while not finished.all():
        actions, state = policy.act(observations, state, dones)
        observations, _, terminals, _, _ = vec.step(np.asarray(actions, dtype=np.int32))
        step += 1
        newly = vec.episode_done & ~finished
        success[newly] = terminals[newly]  # terminated = holds the heart; otherwise truncated at max_steps
        lengths[newly] = step
        finished |= newly
        dones = vec.episode_done.copy()
    vec.close()
    result = TaskResult(task.name, task.kind, task.config.game.max_steps)
    scores = spl(success, np.array(shortest), lengths)
    for i, seed in enumerate(seeds):
        result.episodes.append(EpisodeResult(int(seed), bool(success[i]), int(lengths[i]), int(shortest[i]),
                                             float(scores[i])))
    return result


def run_suite(suite: Suite, policy: Any, uri: str, episodes: int | None = None, num_threads: int = 1,
              tasks: list[Task] | None = None, progress: Callable[[str], None] | None = None) -> list[TaskResult]:
    """Results of ``tasks`` (default: all of the suite's), in order, ``episodes`` per task (default: the suite's)."""
    episodes = episodes or suite.episodes
    if not 1 <= episodes <= min(len(t.seeds) for t in suite.tasks):
        raise ValueError(f"--episodes: {suite.full_name} has {min(len(t.seeds) for t in suite.tasks)} seeds per "
                         f"task; choose 1 to that many, got {episodes}")
    results = []
    for task in tasks if tasks is not None else suite.tasks:
        results.append(run_task(suite, task, policy, uri, episodes, num_threads))
        if progress is not None:
            progress(task.name)
    return results
