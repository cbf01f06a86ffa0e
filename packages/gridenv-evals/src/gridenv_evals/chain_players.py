"""Scripted references for converter chains (the in-context suite): a recipe oracle and a systematic explorer.

Both see the whole map (stated in docs/evals.md): each keeps a replica of its trial's world, reset with the episode's
seed and stepped with its own actions. The engine is deterministic, so the replica is the evaluated world itself,
step for step. Both then play the same way — walk the shortest path to a converter kind and use it — and differ only
in what they know about the recipe:

- ``RecipeOracle`` is told every kind's rule (read from the trial's config): it makes hearts from the first step,
  the upper bound of what any policy can score.
- ``SystematicExplorer`` knows nothing at a trial's start. It tries kinds it has not seen work, nearest first,
  with what it carries; it remembers each kind's effect (what a use took and gave) and which kinds did nothing with
  which inventory, and makes hearts as soon as it knows a chain to one. Its memory lasts the whole trial, so later
  episodes start where earlier ones ended: the reference for in-context learning (its gain is what memory buys).

Knowledge is a kind's effect: (consumed, produced) resource names. To decide, both chain backward from the heart:
the kind that produces a heart needs some resource; if the agent holds it, use that kind, else find what produces
that resource, and so on (``next_kind``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import gridenv
from gridenv_evals.metrics import MOVES, plan_to_goal

FIRST_KIND_TILE = 3  # gridenv.render.map_codes: 3 + k is converter kind k
Effect = tuple[frozenset[str], frozenset[str]]  # (consumed, produced)


def rule_effects(config: gridenv.EnvConfig) -> dict[int, Effect]:
    """Every kind's effect as the config's (unshuffled) rules give it."""
    if config.game.shuffle_recipes:
        raise ValueError("the recipe oracle needs a fixed recipe (a trial's config), not shuffled recipes")
    return {k: (frozenset(rule.inputs), frozenset(rule.outputs)) for k, rule in enumerate(config.game.converters.values())}


def next_kind(effects: dict[int, Effect], held: set[str], goal: str = "heart") -> int | None:
    """The kind to use next to make ``goal`` from what is ``held``, chaining backward through known effects; None
    when the known effects reach no chain that starts from what is held (or from nothing)."""
    wanted, seen = goal, set()
    while wanted not in seen:
        seen.add(wanted)
        producers = [k for k, (consumed, produced) in sorted(effects.items()) if wanted in produced]
        if not producers:
            return None
        usable = [k for k in producers if effects[k][0] <= held]
        if usable:
            return usable[0]
        consumed = effects[producers[0]][0]
        if len(consumed) != 1:
            return None
        wanted = next(iter(consumed))
    return None


@dataclass
class _Row:
    """One trial being played: its replica world, its memory, and the walk under way."""

    task: Any
    env: Any = None
    effects: dict[int, Effect] = field(default_factory=dict)
    failed: set[tuple[int, frozenset[str]]] = field(default_factory=set)  # (kind, what was held) that did nothing
    plan: list[int] = field(default_factory=list)
    target: int | None = None


class _ChainPlayer:
    knows_recipe = False

    def __init__(self, action_names: tuple[str, ...]):
        self.action_names = tuple(action_names)
        self.index = {name: i for i, name in enumerate(action_names)}
        missing = {"use", "noop"} | {m[0] for m in MOVES}
        missing -= set(self.index)
        if missing:
            raise ValueError(f"the task's actions lack {sorted(missing)}")
        self.rows: list[_Row] = []
        self.resources: list[str] = []

    def begin_trials(self, tasks) -> None:
        """Called by the in-context runner at the start of a batch of trials (one row each)."""
        self.rows = []
        for task in tasks:
            row = _Row(task, env=gridenv.parallel_env(task.config))
            if self.knows_recipe:
                row.effects = rule_effects(task.config)
            self.rows.append(row)
        self.resources = list(tasks[0].config.game.resources)

    def begin_episode(self, index: int) -> None:
        """Called at every episode's start: the replicas reset with that episode's seeds; memory stays."""
        for row in self.rows:
            row.env.reset(seed=row.task.seeds[index])
            row.plan, row.target = [], None

    def initial_state(self, batch: int) -> None:
        if batch != len(self.rows):
            raise ValueError(f"planned {len(self.rows)} trials, asked to play {batch}")
        return None

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray):
        actions = np.array([self._act_row(row) for row in self.rows], dtype=np.int32)
        return actions, state

    def _held(self, row: _Row) -> set[str]:
        inventory = row.env.world.inventories()[0].tolist()
        return {name for name, count in zip(self.resources[1:], inventory[1:]) if count > 0}

    def _act_row(self, row: _Row) -> int:
        world = row.env.world
        if world.episode_over:
            return self.index["noop"]
        if not row.plan:
            row.target = self._choose(row)
            row.plan = self._walk_to(row, row.target) if row.target is not None else []
            if not row.plan:
                row.target = None
                row.plan = [self.index["noop"]]
        action = row.plan.pop(0)
        before = world.inventories()[0].tolist()
        held = self._held(row)
        row.env.step({row.env.agents[0]: action})
        if action == self.index["use"] and row.target is not None:
            after = world.inventories()[0].tolist()
            self._learn(row, row.target, held, before, after)
        return action

    def _learn(self, row: _Row, kind: int, held: set[str], before, after) -> None:
        names = self.resources
        consumed = frozenset(names[r] for r in range(1, len(names)) if after[r] < before[r])
        produced = frozenset(names[r] for r in range(1, len(names)) if after[r] > before[r])
        if consumed or produced:
            row.effects.setdefault(kind, (consumed, produced))
        else:
            row.failed.add((kind, frozenset(held)))

    def _choose(self, row: _Row) -> int | None:
        held = self._held(row)
        known = next_kind(row.effects, held)
        if known is not None or self.knows_recipe:
            return known
        kinds = self._kinds_on_map(row)
        untried = [k for k in kinds if k not in row.effects and (k, frozenset(held)) not in row.failed]
        if untried:
            return self._nearest(row, untried)
        # Everything unknown did nothing with this inventory: carry something new (a known use that gives a
        # resource not held) and try again.
        for k, (consumed, produced) in sorted(row.effects.items()):
            if consumed <= held and produced - held:
                return k
        return None

    def _kinds_on_map(self, row: _Row) -> list[int]:
        return sorted({int(kind) for _, _, kind, *_ in row.env.world.converter_states()})

    def _tiles(self, row: _Row) -> np.ndarray:
        world = row.env.world
        tiles = np.empty((world.height, world.width), dtype=np.uint8)
        world.fill_map_codes(tiles)
        return tiles

    def _walk_to(self, row: _Row, kind: int) -> list[int]:
        start = tuple(row.env.world.agent_positions()[0].tolist())
        plan = plan_to_goal(self._tiles(row), start, FIRST_KIND_TILE + kind)
        return [self.index[name] for name in plan] if plan else []

    def _nearest(self, row: _Row, kinds: list[int]) -> int:
        tiles, start = self._tiles(row), tuple(row.env.world.agent_positions()[0].tolist())
        lengths = []
        for kind in kinds:
            plan = plan_to_goal(tiles, start, FIRST_KIND_TILE + kind)
            lengths.append((len(plan) if plan else 10**9, kind))
        return min(lengths)[1]


class RecipeOracle(_ChainPlayer):
    """Knows the trial's recipe: walks the chain from its first step, heart after heart."""

    knows_recipe = True


class SystematicExplorer(_ChainPlayer):
    """Knows nothing of the recipe at a trial's start; tries, remembers for the whole trial, then exploits."""

    knows_recipe = False
