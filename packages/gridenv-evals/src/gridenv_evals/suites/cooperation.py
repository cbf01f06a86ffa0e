"""cooperation-v1: Melting Pot style scenarios — a substrate, a background population, a kinship condition.

Every substrate is the arena's economy at demo size (gridenv's ``arena-demo``: 4 agents, mines -> diamonds,
chargers -> 25 energy, altars: 25 energy -> a heart; moves and ``use`` free, energy only from chargers), with one
action table for all (moves, use, attack, shield, share, bond), so one policy can play every scenario. Scored in
hearts (1 per heart, nothing else). Agents 0 and 1 are **focal** (the evaluated policy drives them), agents 2 and 3
the **background**.

Substrates, each needing cooperation in its own way:
- ``joint-altar``: an altar pays only when two agents use it in the same step (each pays 25 energy, each gets a
  heart). Two teams: {0, 1} and {2, 3}.
- ``division-of-labour``: miners (group 0) cannot hold hearts, crafters (group 1) cannot hold diamonds; a heart
  needs a miner's energy shared to a crafter (``share`` gives 25). Agents are numbered miner, crafter, miner,
  crafter, so the families of the ``clans`` scheme are {miner 0, crafter 1} and {miner 2, crafter 3} and ``teams``
  (by group) joins the two miners and the two crafters: strangers and kin in one map.
- ``raiders``: the plain economy, but attacks freeze the target for 10 steps and steal half its diamonds and
  hearts. Two teams as in joint-altar.

Backgrounds: ``random``, ``cooperator`` and ``defector`` (scripted, gridenv_evals.social_players), and ``selfish``
(baseline://selfish-raiders, gridenv-train's CNN + LSTM trained on raiders under selfish reward).
Kinship conditions: ``selfish``; ``teams`` (kin weight 0.5 within a group); ``clans`` (family 0.5, clan 0.25; the
two families form one clan); ``bonds`` (selfish until two agents bond: then 1.0 between them).

48 scenarios (3 x 4 x 4), 4 episodes of 200 steps each at fixed seeds.
"""

from __future__ import annotations

import textwrap

from gridenv.config import (BodyConfig, CombatConfig, ConverterConfig, EnvConfig, GameConfig, GroupConfig,
                            KinshipConfig, ShareConfig)
from gridenv.map_gen import MapConfig
from gridenv_evals.suites import Suite, Task, register

EPISODES = 4
MAX_STEPS = 200
SUBSTRATES = ("joint-altar", "division-of-labour", "raiders")
BACKGROUNDS = ("random", "cooperator", "defector", "selfish")
KINSHIP = {
    "selfish": KinshipConfig(scheme="selfish"),
    "teams": KinshipConfig(scheme="teams", kin_weight=0.5),
    "clans": KinshipConfig(scheme="clans", family_size=2, families_per_clan=2, clans_per_tribe=1,
                           family_weight=0.5, clan_weight=0.25, tribe_weight=0.0),
    "bonds": KinshipConfig(scheme="bonds", bond_window=3, bond_weight=1.0, bond_cost=5),
}
FOCAL = (0, 1)
ACTIONS = ["noop", "move_north", "move_south", "move_west", "move_east", "use", "attack", "toggle_shield", "share",
           "bond"]
FREE = ("noop", "move_north", "move_south", "move_west", "move_east", "use")
CHARGE = 25
CONVERTERS = {
    "mine": ConverterConfig(symbol="m", outputs={"diamond": 1}, cooldown=20),
    "charger": ConverterConfig(symbol="c", inputs={"diamond": 1}, outputs={"energy": CHARGE}),
    "altar": ConverterConfig(symbol="a", inputs={"energy": CHARGE}, outputs={"heart": 1}, cooldown=10),
}
DIVISION_MAP = """
    ############
    #0...m....1#
    #..........#
    #.c......a.#
    #..........#
    #....##....#
    #....##....#
    #..........#
    #.a......c.#
    #..........#
    #0...m....1#
    ############"""


def body(**caps: int) -> BodyConfig:
    """The demo body: free moves and use, no regeneration, agents start empty; other actions cost their defaults."""
    return BodyConfig(initial_energy=0, energy_regen=0, action_costs={name: 0 for name in FREE},
                      resource_caps={"diamond": 50, "heart": 255, **caps})


# For training only (the suite scores hearts): arena-demo's shaping, so that PPO finds the chain in minutes.
TRAINING_REWARDS = {"heart": 1.0, "diamond": 0.1, "energy": 0.01}


def substrate(name: str, kinship: str = "selfish", training: bool = False) -> EnvConfig:
    """A substrate's config under a kinship condition (its name: ``cooperation-<substrate>``); ``training``: with
    TRAINING_REWARDS instead of hearts alone."""
    if name not in SUBSTRATES:
        raise ValueError(f"substrate: one of {', '.join(SUBSTRATES)}, got {name!r}")
    if kinship not in KINSHIP:
        raise ValueError(f"kinship: one of {', '.join(KINSHIP)}, got {kinship!r}")
    converters = {kind: rule.model_copy() for kind, rule in CONVERTERS.items()}
    combat = CombatConfig(freeze_steps=10, steal_fraction=0.5, stealable=["diamond", "heart"])
    map_config = MapConfig(width=12, height=12, wall_density=0.05, converter_counts={"mine": 4, "charger": 2,
                                                                                      "altar": 2})
    groups = [GroupConfig(name=f"team_{i}", body=body()) for i in range(2)]
    num_agents: int | None = 4
    if name == "joint-altar":
        converters["altar"] = converters["altar"].model_copy(update={"users_required": 2})
    elif name == "division-of-labour":
        groups = [GroupConfig(name="miners", body=body(heart=0)), GroupConfig(name="crafters", body=body(diamond=0))]
        map_config = MapConfig(generator="ascii", ascii=textwrap.dedent(DIVISION_MAP).strip("\n"))
        num_agents = None
    return EnvConfig(
        name=f"cooperation-{name}", version=1,
        game=GameConfig(num_agents=num_agents, groups=groups, actions=ACTIONS, converters=converters,
                        rewards=dict(TRAINING_REWARDS) if training else {"heart": 1.0}, glyphs=0, markers=0, max_steps=MAX_STEPS, combat=combat,
                        share=ShareConfig(resource="energy", amount=CHARGE)),
        map=map_config, kinship=KINSHIP[kinship].model_copy())


def scenario_tasks() -> tuple[Task, ...]:
    tasks = []
    for s, name in enumerate(SUBSTRATES):
        for b, background in enumerate(BACKGROUNDS):
            for k, kinship in enumerate(KINSHIP):
                seeds = tuple(10_000 * (s + 1) + 1_000 * b + 100 * k + e for e in range(EPISODES))
                roles = tuple("focal" if agent in FOCAL else background for agent in range(4))
                tasks.append(Task(name=f"{name}/{background}/{kinship}", kind=name, roles=roles, seeds=seeds,
                                  config=substrate(name, kinship)))
    return tuple(tasks)


@register("cooperation-v1")
def cooperation_v1() -> Suite:
    return Suite(name="cooperation", version=1, protocol="cooperation", episodes=EPISODES, tasks=scenario_tasks(),
                 description="Melting Pot style: 3 substrates (joint altar, division of labour, raiders) x 4 "
                             "backgrounds x 4 kinship conditions; focal per-capita hearts normalised per scenario, "
                             "social measures by kin and non-kin",
                 metrics=("score", "hearts"))
