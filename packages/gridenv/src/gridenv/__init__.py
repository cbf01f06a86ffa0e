"""gridenv: a fast multi-agent gridworld for research on the emergence of cooperation.

``gridenv.parallel_env("arena")`` gives a PettingZoo ParallelEnv, ``gridenv.env("arena")`` its AEC form.
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils import conversions, wrappers

from gridenv import _core
from gridenv.config import ACTION_KINDS, BodyConfig, ConverterConfig, EnvConfig, GameConfig, GroupConfig, MapConfig
from gridenv.envs import list_envs, resolve_config
from gridenv.parallel_env import GridParallelEnv, parallel_env

__version__ = "0.1.0"


def env(name_or_config: str | EnvConfig | dict = "arena", render_mode: str | None = None, **overrides: Any):
    """The AEC (turn-by-turn) PettingZoo env, converted from the parallel one (order-enforcing wrapper included)."""
    aec = conversions.parallel_to_aec(parallel_env(name_or_config, render_mode=render_mode, **overrides))
    return wrappers.OrderEnforcingWrapper(aec)


__all__ = [
    "ACTION_KINDS",
    "BodyConfig",
    "ConverterConfig",
    "EnvConfig",
    "GameConfig",
    "GridParallelEnv",
    "GroupConfig",
    "MapConfig",
    "_core",
    "env",
    "list_envs",
    "parallel_env",
    "resolve_config",
]
