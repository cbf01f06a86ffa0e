"""Versioned, frozen evaluation suites.

A task is an environment config plus a fixed list of seeds; a suite is a named, versioned list of tasks. Every suite
pins a SHA-256 digest of each task's rules (its config as canonical JSON) and of its initial maps for every seed
(tiles and the agent's start), in ``pinned.json`` beside this file. ``check_pinned`` recomputes them: when an engine
or map-generator change alters any task, the test fails and the change must ship as a new suite version
(``navigation-v2``), never as silently moved published numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

import gridenv


@dataclass(frozen=True)
class Task:
    """One evaluation task: a config and the seeds of its episodes (episode i is reset with ``seeds[i]``)."""

    name: str
    config: gridenv.EnvConfig
    seeds: tuple[int, ...]
    kind: str = ""  # a family for reports: corridor, spiral, cave, maze ...
    roles: tuple[str, ...] = ()  # multi-agent scenarios: per agent, "focal" or the background policy that drives it

    def initial_maps(self, seeds: tuple[int, ...] | None = None):
        """Per seed: (tiles (H, W) uint8 as gridenv.render.map_codes codes, (row, col, orientation) of agent 0)."""
        env = gridenv.parallel_env(self.config)
        out = []
        for seed in self.seeds if seeds is None else seeds:
            env.reset(seed=seed)
            tiles = np.empty((env.world.height, env.world.width), dtype=np.uint8)
            env.world.fill_map_codes(tiles)
            out.append((tiles, tuple(env.world.agent_positions()[0].tolist())))
        return out

    def digest(self) -> str:
        """SHA-256 of the rules (canonical JSON) and every seed's initial map and start."""
        digest = hashlib.sha256(json.dumps(self.config.to_dict(), sort_keys=True).encode())
        digest.update(json.dumps(list(self.seeds)).encode())
        if self.roles:  # (added with the cooperation suite: single-agent tasks keep their digests)
            digest.update(json.dumps(list(self.roles)).encode())
        for tiles, start in self.initial_maps():
            digest.update(np.asarray(tiles.shape, dtype=np.int64).tobytes() + tiles.tobytes())
            digest.update(np.asarray(start, dtype=np.int64).tobytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class Suite:
    name: str
    version: int
    description: str
    tasks: tuple[Task, ...]
    episodes: int  # per task, the default; --episodes N takes the first N seeds
    metrics: tuple[str, ...] = ("success", "spl", "steps")
    notes: dict[str, str] = field(default_factory=dict)
    protocol: str = "navigation"  # how its tasks are played and scored: navigation, in-context or cooperation

    @property
    def full_name(self) -> str:
        return f"{self.name}-v{self.version}"

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"{self.full_name} has no task {name!r}; tasks: {[t.name for t in self.tasks]}")


_FACTORIES: dict[str, Callable[[], Suite]] = {}


def register(full_name: str):
    def decorate(factory: Callable[[], Suite]) -> Callable[[], Suite]:
        _FACTORIES[full_name] = factory
        return factory
    return decorate


def list_suites() -> list[str]:
    """Registered suites, by full (versioned) name."""
    _load_builtin()
    return sorted(_FACTORIES)


def get_suite(name: str) -> Suite:
    """A suite by full name (``navigation-v1``) or by name alone (the latest version). Unknown: ValueError listing
    the known ones."""
    _load_builtin()
    if name in _FACTORIES:
        return _FACTORIES[name]()
    versions = sorted((full for full in _FACTORIES if full.rsplit("-v", 1)[0] == name),
                      key=lambda full: int(full.rsplit("-v", 1)[1]))
    if not versions:
        raise ValueError(f"unknown suite {name!r}; known suites: {', '.join(list_suites())}")
    return _FACTORIES[versions[-1]]()


def pinned_digests() -> dict[str, dict[str, str]]:
    return json.loads(resources.files("gridenv_evals.suites").joinpath("pinned.json").read_text())


def suite_digest(suite: Suite, task_digests: dict[str, str] | None = None) -> str:
    """One digest for the whole suite: its name, version and every task's digest, in order."""
    task_digests = task_digests or pinned_digests()[suite.full_name]
    text = json.dumps([suite.full_name, [[t.name, task_digests[t.name]] for t in suite.tasks]])
    return hashlib.sha256(text.encode()).hexdigest()


def check_pinned(suite: Suite) -> list[str]:
    """Tasks whose recomputed digest differs from the pinned one (empty: the suite is exactly as published)."""
    pinned = pinned_digests().get(suite.full_name, {})
    changed = [t.name for t in suite.tasks if pinned.get(t.name) != t.digest()]
    changed += [name for name in pinned if name not in {t.name for t in suite.tasks}]
    return changed


def pin_new_suites() -> list[str]:
    """Pin the digests of registered suites that have none yet, in the source tree's pinned.json (a maintainer's
    step when a suite version is added: ``python -m gridenv_evals.suites``). Published pins are never rewritten."""
    path = Path(str(resources.files("gridenv_evals.suites").joinpath("pinned.json")))
    pinned = json.loads(path.read_text())
    added = []
    for name in list_suites():
        if name not in pinned:
            pinned[name] = {task.name: task.digest() for task in get_suite(name).tasks}
            added.append(name)
    if added:
        path.write_text(json.dumps(pinned, indent=1) + "\n")
    return added


def _load_builtin() -> None:
    from gridenv_evals.suites import cooperation, in_context, maze, navigation  # noqa: F401  (registers them)
