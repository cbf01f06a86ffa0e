"""Game: the immutable side of an environment (mirrors cpp/game.hpp).

``gridenv.Game(config)`` validates a config once in the engine and holds what follows from it alone — the agents, the
action names, the observation channels and their upper bounds, the stat names and the spaces — without stepping
anything. Every world of a :class:`~gridenv.parallel_env.GridParallelEnv` or :class:`~gridenv.vector.VecEnv` shares
its Game; trainers and evaluators read spaces and names from a Game instead of building an env to look at.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from gridenv import _core
from gridenv.config import EnvConfig


def game_of(config: EnvConfig, game: Game | None = None) -> Game:
    """`game` when it was made from `config` (an env shares it), else a new Game of `config`."""
    if game is None:
        return Game(config)
    if game.config is not config and game.config != config:
        raise ValueError("game: made from another config than `config`")
    return game


class Game:
    """The rules of one config and everything derived from them (shapes, names, spaces); read-only."""

    def __init__(self, config: EnvConfig):
        self.config = config
        self.core = _core.Game(config.to_rules())
        core = self.core
        self.num_agents: int = core.num_agents
        self.possible_agents: list[str] = [f"agent_{i}" for i in range(self.num_agents)]
        self.agent_groups: list[int] = list(core.agent_groups)
        self.map_height: int = core.map_height
        self.map_width: int = core.map_width
        self.action_names: list[str] = list(core.action_names)
        self.channels: list[tuple[str, int]] = list(core.channels)  # (name, upper bound), the engine's one table
        self.self_features: list[tuple[str, int]] = list(core.self_features)
        self.channel_names: list[str] = [name for name, _ in self.channels]
        self.self_feature_names: list[str] = [name for name, _ in self.self_features]
        self.stat_names: list[str] = list(core.stat_names)
        self.observation_shape: tuple[int, int, int] = (core.num_channels, config.game.obs_height,
                                                        config.game.obs_width)
        high = self.observation_high()
        self.observation_space = spaces.Box(low=np.zeros_like(high), high=high, dtype=np.uint8)
        self.action_space = spaces.Discrete(core.num_actions)

    def observation_high(self) -> np.ndarray:
        """The observation Box's upper bound (C, H, W) uint8: the engine's exact bound per cell, raised to at least 1.
        Cells that are always 0 (unused self-plane cells, glyphs when there are none) would otherwise have
        high == low, and normalising wrappers (SuperSuit's normalize_obs divides by high - low) would turn them into
        NaN."""
        high = np.empty(self.observation_shape, dtype=np.uint8)
        self.core.fill_observation_high(high)
        return np.maximum(high, 1)
