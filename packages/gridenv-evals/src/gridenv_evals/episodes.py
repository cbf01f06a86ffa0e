"""What an evaluation episode starts from: the task's initial map for one seed, where the agent stands, the goal,
and the shortest plan to it.

gridenv draws a map as a pure function of config and seed, and world ``w`` of a vector env reset with one seed per
world starts exactly like ``gridenv.parallel_env(config).reset(seed=seeds[w])`` (docs/vector.md). The vector env
has no map accessor, so the initial maps come from a single ParallelEnv reset with each seed; the runner checks that
its first observation equals the vector env's for every episode, so the two provably coincide.

These starts feed the suite pins (their digest), the SPL metric (the shortest path) and the oracle (the plan).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import gridenv

from gridenv_evals.shortest_path import shortest_plan

EMPTY, WALL, AGENT = 0, 1, 2  # tile codes of GridParallelEnv.state(); converter kind k is 3 + k
FIRST_CONVERTER_TILE = 3


@dataclass(frozen=True, eq=False)
class EpisodeStart:
    """One episode's initial state, as the engine draws it for (task config, seed)."""

    task: str
    seed: int
    tiles: np.ndarray
    """(H, W) uint8 tile codes: 0 empty, 1 wall, 2 the agent, 3 + k converter kind k."""
    agent: tuple[int, int, int]
    """The agent's (row, column, orientation); orientation 0 north, 1 south, 2 west, 3 east."""
    goal_tile: int
    """Tile code of the goal converter (the one whose output is the config's goal resource)."""
    observation: np.ndarray
    """(C, H, W) uint8: the agent's first observation (compared with the vector env's)."""
    plan: tuple[str, ...] | None
    """Shortest action names to success, final ``use`` included (gridenv_evals.shortest_path); None: unsolvable."""

    @property
    def shortest(self) -> int:
        """Fewest steps to success (the SPL denominator's reference length)."""
        if self.plan is None:
            raise ValueError(f"task {self.task!r}, seed {self.seed}: the goal cannot be reached from the start")
        return len(self.plan)


def goal_tile(config: gridenv.EnvConfig) -> int:
    """Tile code of the converter that yields the config's goal resource (the altar in navigation and maze)."""
    if config.game.goal is None:
        raise ValueError(f"{config.full_name}: has no game.goal, so there is no goal to navigate to")
    for kind, (name, converter) in enumerate(config.game.converters.items()):
        if config.game.goal.resource in converter.outputs:
            return FIRST_CONVERTER_TILE + kind
    raise ValueError(f"{config.full_name}: no converter outputs the goal resource {config.game.goal.resource!r}")


def episode_starts(task: str, config: gridenv.EnvConfig, seeds: Sequence[int]) -> list[EpisodeStart]:
    """The initial state of every seed's episode of a single-agent task, with its shortest plan."""
    env = gridenv.parallel_env(config)
    if len(env.possible_agents) != 1:
        raise ValueError(f"task {task!r}: evaluation tasks have one agent, this config has {len(env.possible_agents)}")
    target = goal_tile(config)
    starts = []
    for seed in seeds:
        observations, _ = env.reset(seed=int(seed))
        tiles = env.state()
        row, col, orientation = env.world.agent_positions()[0]
        plan = shortest_plan((tiles == EMPTY) | (tiles == AGENT), tiles == target, (row, col, orientation))
        starts.append(EpisodeStart(task=task, seed=int(seed), tiles=tiles, agent=(row, col, orientation),
                                   goal_tile=target, observation=observations[env.possible_agents[0]], plan=plan))
    return starts
