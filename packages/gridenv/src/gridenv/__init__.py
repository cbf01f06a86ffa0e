"""gridenv: a fast multi-agent gridworld for research on the emergence of cooperation.

``gridenv.parallel_env("arena")`` gives a PettingZoo ParallelEnv, ``gridenv.env("arena")`` its AEC form.
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils import conversions, wrappers

from gridenv import _core
from gridenv.config import ACTION_KINDS, BodyConfig, ConverterConfig, EnvConfig, GameConfig, GroupConfig, KinshipConfig
from gridenv.envs import SINGLE_AGENT_ENVS, describe, list_envs, resolve_config
from gridenv.game import Game
from gridenv.gym_env import SingleAgentEnv, gym_id, register_gymnasium_envs
from gridenv.map_gen import MapConfig
from gridenv.overrides import apply_overrides
from gridenv.parallel_env import GridParallelEnv, parallel_env

__version__ = "0.1.0"

register_gymnasium_envs()


def make(name_or_config: str | EnvConfig | dict = "arena", render_mode: str | None = None, **overrides: Any):
    """A registered environment by name: the PettingZoo ParallelEnv (same as :func:`parallel_env`)."""
    return parallel_env(name_or_config, render_mode=render_mode, **overrides)


def env(name_or_config: str | EnvConfig | dict = "arena", render_mode: str | None = None,
        max_cycles: int | None = None, **overrides: Any):
    """The AEC (turn-by-turn) PettingZoo env, converted from the parallel one (order-enforcing wrapper included)."""
    aec = conversions.parallel_to_aec(parallel_env(name_or_config, render_mode=render_mode, max_cycles=max_cycles,
                                                   **overrides))
    return wrappers.OrderEnforcingWrapper(aec)


__all__ = [
    "ACTION_KINDS",
    "BodyConfig",
    "ConverterConfig",
    "EnvConfig",
    "Game",
    "GameConfig",
    "GridParallelEnv",
    "GroupConfig",
    "KinshipConfig",
    "SINGLE_AGENT_ENVS",
    "SingleAgentEnv",
    "apply_overrides",
    "describe",
    "gym_id",
    "make",
    "MapConfig",
    "_core",
    "env",
    "list_envs",
    "parallel_env",
    "resolve_config",
]
