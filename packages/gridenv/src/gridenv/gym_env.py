"""Single-agent configs as Gymnasium environments.

``gymnasium.make("gridenv/Navigation-v0")`` (also ``Maze-v0``, ``MazeSmall-v0``, ``MazeLarge-v0``, ``InContext-v0``)
returns :class:`SingleAgentEnv`: the one agent of a gridenv world behind the standard ``gymnasium.Env`` API, with the
same observation and action spaces as its PettingZoo form. Any one-agent config works:
``SingleAgentEnv("maze", map={"width": 21, "height": 21})``.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from gridenv.config import EnvConfig
from gridenv.envs import SINGLE_AGENT_ENVS, resolve_config
from gridenv.parallel_env import RENDER_MODES, GridParallelEnv


class SingleAgentEnv(gymnasium.Env):
    """A one-agent gridenv world as a ``gymnasium.Env``."""

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 10}

    def __init__(self, name_or_config: str | EnvConfig | dict = "navigation", render_mode: str | None = None,
                 **overrides: Any):
        config = resolve_config(name_or_config, **overrides)
        self._env = GridParallelEnv(config, render_mode=render_mode)
        if len(self._env.possible_agents) != 1:
            raise ValueError(f"SingleAgentEnv: {config.full_name} has {len(self._env.possible_agents)} agents; "
                             "use gridenv.parallel_env for multi-agent configs")
        self._agent = self._env.possible_agents[0]
        self.observation_space = self._env.observation_space(self._agent)
        self.action_space = self._env.action_space(self._agent)
        self.render_mode = render_mode
        self.config = config

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        observations, infos = self._env.reset(seed=seed, options=options)
        return observations[self._agent], infos[self._agent]

    def step(self, action):
        if isinstance(action, np.ndarray):
            action = action.item()
        observations, rewards, terminations, truncations, infos = self._env.step({self._agent: action})
        agent = self._agent
        return observations[agent], rewards[agent], terminations[agent], truncations[agent], infos[agent]

    def render(self):
        return self._env.render()

    @property
    def unwrapped_parallel(self) -> GridParallelEnv:
        """The PettingZoo env underneath (world, stats, kinship)."""
        return self._env


def gym_id(name: str) -> str:
    """``maze-small`` -> ``gridenv/MazeSmall-v0``."""
    config = resolve_config(name)
    return f"gridenv/{''.join(part.capitalize() for part in name.split('-'))}-v{config.version}"


def register_gymnasium_envs() -> None:
    """Register every single-agent named env with Gymnasium (done on ``import gridenv``)."""
    for name in SINGLE_AGENT_ENVS:
        env_id = gym_id(name)
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point="gridenv.gym_env:SingleAgentEnv", kwargs={"name_or_config": name})
