"""Hidden recipes for in-context learning, and their held-out split.

Six converter kinds (``k0`` .. ``k5``, drawn as ``A`` .. ``F``) look alike in every way but their kind channel.
A **recipe** decides what each kind does: an ordered **chain** of ``length`` kinds (2 to 5) makes a heart —

    chain[0]: nothing -> r1,   chain[j]: r_j -> r_(j+1),   chain[-1]: r_(length-1) -> heart

— and every other kind is a **sink** that eats one intermediate resource and gives nothing (a distractor that
costs the agent what it carried). Nothing on the map tells the chain apart from the sinks or its order: it has to
be found by trying, and remembered.

In the engine a recipe is a table of six converter rules (``recipe_table(length)``: the chain's steps first, then
the sinks) and a permutation ``recipe_of_kind`` giving each kind its rule. Its **canonical name** lists the chain's
kinds in order and each sink with what it eats (``3:k2>k0>k5|k1-r1,k3-r2,k4-r1``); permutations that only swap two
identical sinks have one name.

**The held-out split** is decided by the name alone, so it never depends on what was drawn or in which order: a
recipe is held out for evaluation when the first byte of ``SHA-256("gridenv/in-context split v1 " + name)`` is
below 64 (a quarter of all recipes). The registered ``in-context`` training env draws only training recipes
(``GameConfig.recipe_pool``); the ``in-context-v1`` suite plays only held-out ones; a test checks both sets.
"""

from __future__ import annotations

import hashlib
import itertools
from functools import lru_cache

from gridenv.config import (BodyConfig, BuildConfig, CombatConfig, ConverterConfig, EnvConfig, GameConfig,
                            GroupConfig)
from gridenv.map_gen import MapConfig, RoomsConfig

KINDS = ("k0", "k1", "k2", "k3", "k4", "k5")
SYMBOLS = "ABCDEF"
RESOURCES = ["energy", "r1", "r2", "r3", "r4", "heart"]
LENGTHS = (2, 3, 4, 5)
ACTIONS = ["noop", "move_north", "move_south", "move_west", "move_east", "use"]
SPLIT_SALT = "gridenv/in-context split v1 "
HELD_OUT_BELOW = 64  # of 256: a quarter of the recipes are held out
TRAINING_LENGTH = 3  # the registered training env's chain length (one recipe table per config)
# The training env's shaping: rewards for the intermediates besides the heart, and two converters of each kind, so
# that PPO's exploration finds the first steps of a chain (with hearts alone and one converter per kind, 1M
# agent-steps earned nothing); the suite scores hearts alone, on maps with one converter per kind.
TRAINING_REWARDS = {"r1": 0.1, "r2": 0.2, "heart": 1.0}
TRAINING_PER_KIND = 2  # converters of each kind on a training map (the suite's maps have one)
# An agent holds at most one of each intermediate: a source cannot be used again while its output is held, so r1's
# reward can only be earned again after r1 was spent (on the chain or a sink), never farmed by standing still.
CAPS = {"r1": 1, "r2": 1, "r3": 1, "r4": 1, "heart": 255}


def recipe_table(length: int) -> list[ConverterConfig]:
    """The six rules of a chain of ``length``: steps 0..length-1 of the chain, then the sinks (sink i eats
    r_(1 + i mod (length - 1)))."""
    if length not in LENGTHS:
        raise ValueError(f"length: a chain has 2 to 5 converters, got {length}")
    steps = [ConverterConfig(symbol="?", outputs={"r1": 1})]
    steps += [ConverterConfig(symbol="?", inputs={f"r{j}": 1}, outputs={f"r{j + 1}": 1}) for j in range(1, length - 1)]
    steps.append(ConverterConfig(symbol="?", inputs={f"r{length - 1}": 1}, outputs={"heart": 1}))
    sinks = [ConverterConfig(symbol="?", inputs={f"r{1 + i % (length - 1)}": 1}) for i in range(len(KINDS) - length)]
    return steps + sinks


def canonical_name(length: int, recipe_of_kind: tuple[int, ...] | list[int]) -> str:
    """The recipe's name: ``length:chain kinds in order|sink kind-eaten resource,...``."""
    if sorted(recipe_of_kind) != list(range(len(KINDS))):
        raise ValueError(f"recipe_of_kind: a permutation of 0..{len(KINDS) - 1}, got {list(recipe_of_kind)}")
    kind_of_rule = {rule: kind for kind, rule in enumerate(recipe_of_kind)}
    chain = ">".join(KINDS[kind_of_rule[step]] for step in range(length))
    sinks = []
    for kind, rule in enumerate(recipe_of_kind):
        if rule >= length:
            sinks.append(f"{KINDS[kind]}-r{1 + (rule - length) % (length - 1)}")
    return f"{length}:{chain}|{','.join(sinks)}"


def chain_kinds(length: int, recipe_of_kind: tuple[int, ...] | list[int]) -> list[int]:
    """The kinds of the chain, in the order they must be used."""
    kind_of_rule = {rule: kind for kind, rule in enumerate(recipe_of_kind)}
    return [kind_of_rule[step] for step in range(length)]


def is_held_out(name: str) -> bool:
    """True when the recipe named ``name`` belongs to the evaluation split (see the module's docstring)."""
    return hashlib.sha256((SPLIT_SALT + name).encode()).digest()[0] < HELD_OUT_BELOW


@lru_cache(maxsize=None)
def recipes(length: int, split: str) -> tuple[tuple[int, ...], ...]:
    """Every recipe of a split (``train`` or ``eval``) as one permutation per canonical name (the first in
    lexicographic order), sorted by name."""
    if split not in ("train", "eval"):
        raise ValueError(f"split: 'train' or 'eval', got {split!r}")
    chosen: dict[str, tuple[int, ...]] = {}
    for permutation in itertools.permutations(range(len(KINDS))):
        name = canonical_name(length, permutation)
        if name not in chosen and is_held_out(name) == (split == "eval"):
            chosen[name] = permutation
    return tuple(chosen[name] for name in sorted(chosen))


def make_config(length: int, recipe_of_kind: tuple[int, ...] | None = None, *, name: str = "in-context",
                version: int = 1, max_steps: int = 100, pool_split: str = "train",
                rewards: dict[str, float] | None = None, per_kind: int = 1) -> EnvConfig:
    """An in-context env: one agent, the six kinds once each in a 13x13 house of 2x2 rooms, hearts rewarded.
    With ``recipe_of_kind`` the recipe is fixed (a suite's trial); without, every reset draws one of the split's
    recipes (``recipe_pool``). ``rewards``: per resource (default: 1 per heart, nothing else); ``per_kind``:
    converters of each kind on the map."""
    table = recipe_table(length)
    if recipe_of_kind is None:
        converters = {kind: rule.model_copy(update={"symbol": SYMBOLS[k]}) for k, (kind, rule) in
                      enumerate(zip(KINDS, table))}
        pool = [list(p) for p in recipes(length, pool_split)]
    else:
        canonical_name(length, recipe_of_kind)  # validates
        converters = {kind: table[recipe_of_kind[k]].model_copy(update={"symbol": SYMBOLS[k]})
                      for k, kind in enumerate(KINDS)}
        pool = None
    return EnvConfig(
        name=name, version=version,
        game=GameConfig(
            num_agents=1, resources=RESOURCES, rewards=rewards or {"heart": 1.0},
            groups=[GroupConfig(name="learner", body=BodyConfig(initial_energy=0, energy_regen=0, resource_caps=CAPS,
                                                                action_costs={a: 0 for a in ACTIONS}))],
            actions=ACTIONS, converters=converters, glyphs=0, markers=0, max_steps=max_steps,
            combat=CombatConfig(stealable=[]), build=BuildConfig(cost={}),
            shuffle_recipes=pool is not None, recipe_pool=pool),
        map=MapConfig(generator="rooms", width=13, height=13, rooms=RoomsConfig(rows=2, cols=2),
                      converter_counts={kind: per_kind for kind in KINDS}),
    )
