"""Versioned evaluation suites: a suite is a list of tasks, a task is an env config plus a fixed list of seeds.

A suite's id is ``<name>-v<version>`` (``navigation-v1``). A suite never changes once published: every task's
rules and initial maps are pinned by digest (:mod:`gridenv_evals.suites.pins`), and a change that alters any task —
in the suite's definition, the engine or a map generator — must become a new version of the suite. Asking for a
suite by its bare name (``navigation``) gives its latest version.

Every task has one agent that must reach the altar and use it (the ``navigation`` / ``maze`` rules of gridenv: free
moves, an altar that gives a heart for nothing, the episode ends on the heart).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import gridenv
from gridenv import EnvConfig, MapConfig

from gridenv_evals.errors import UnknownSuiteError


@dataclass(frozen=True)
class Task:
    """One evaluation task: what to play (``config``) and on which seeds (one episode per seed)."""

    name: str
    config: EnvConfig
    seeds: tuple[int, ...]
    kind: str
    """A short family name for tables: corridor, spiral, rooms, cave, maze-kruskal, ..."""
    description: str


@dataclass(frozen=True)
class Suite:
    """A named, versioned, frozen list of tasks."""

    name: str
    version: int
    description: str
    tasks: tuple[Task, ...]

    @property
    def id(self) -> str:
        """``<name>-v<version>``, e.g. ``navigation-v1``."""
        return f"{self.name}-v{self.version}"

    @property
    def episodes_per_task(self) -> int:
        """Seeds per task (every task of a suite has the same number, so episodes x tasks is a full matrix)."""
        return len(self.tasks[0].seeds)

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise UnknownSuiteError(f"{self.id} has no task {name!r}; its tasks are {', '.join(self.task_names)}")

    @property
    def task_names(self) -> list[str]:
        return [task.name for task in self.tasks]


def step_budget(walkable_cells: int) -> int:
    """``max_steps`` of a task whose map has `walkable_cells` cells the agent can stand on (for generated maps:
    the interior area, an upper bound): enough for a depth-first walk over the whole map (each cell entered and
    left once, 2 steps a cell) plus the last turn and ``use``, rounded up to a multiple of 50."""
    return 50 * math.ceil((2 * walkable_cells + 2) / 50)


def reach_the_altar(base: str, map_config: MapConfig, max_steps: int) -> EnvConfig:
    """The registered env `base` (``navigation`` or ``maze``: one agent, free moves, the altar gives the goal
    heart) with its map replaced by `map_config` and its episode length set to `max_steps`."""
    config = gridenv.resolve_config(base).to_dict()
    config["map"] = map_config.model_dump(mode="json")
    config["game"]["max_steps"] = max_steps
    if map_config.generator == "ascii":
        config["game"]["num_agents"] = None  # the map's digit places the agent
    return EnvConfig.model_validate(config)


def _registry() -> dict[str, Callable[[], Suite]]:
    from gridenv_evals.suites import maze_v1, navigation_v1

    return {"navigation-v1": navigation_v1.build, "maze-v1": maze_v1.build}


def list_suites() -> list[str]:
    """Ids of every registered suite version, e.g. ``["maze-v1", "navigation-v1"]``."""
    return sorted(_registry())


def latest_versions() -> dict[str, str]:
    """Bare suite name -> id of its latest version."""
    latest: dict[str, tuple[int, str]] = {}
    for suite_id in _registry():
        name, _, version = suite_id.rpartition("-v")
        if int(version) > latest.get(name, (-1, ""))[0]:
            latest[name] = (int(version), suite_id)
    return {name: suite_id for name, (_, suite_id) in sorted(latest.items())}


@cache
def get_suite(name: str) -> Suite:
    """A suite by id (``navigation-v1``) or bare name (its latest version, ``navigation``)."""
    registry = _registry()
    suite_id = latest_versions().get(name, name)
    if suite_id not in registry:
        raise UnknownSuiteError(f"unknown suite {name!r}; known suites: {', '.join(list_suites())} (a bare name such "
                                f"as {next(iter(latest_versions()))!r} means its latest version)")
    suite = registry[suite_id]()
    _check_uniform(suite)
    return suite


def _check_uniform(suite: Suite) -> None:
    """Every task of a suite shares the episode count and the observation/action spaces, so one batched policy
    plays all of them and the scores form a full (episodes x tasks) matrix."""
    names = [task.name for task in suite.tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"{suite.id}: task names must be unique, got duplicates in {names}")
    counts = {len(task.seeds) for task in suite.tasks}
    if len(counts) != 1:
        raise ValueError(f"{suite.id}: every task needs the same number of seeds, got {sorted(counts)}")
