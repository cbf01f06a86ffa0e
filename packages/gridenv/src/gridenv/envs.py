"""Named, versioned environment configs: ``arena`` (the default) and ``arena-small``.

A name resolves to an :class:`~gridenv.config.EnvConfig`; keyword overrides are applied as nested updates
(``game={"max_steps": 100}``) and the result is validated again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gridenv.config import EnvConfig, GameConfig, GroupConfig, KinshipConfig, MapConfig


def _arena() -> EnvConfig:
    """24 agents in 4 teams of 6 on a 32x32 map with walls, 20 mines, 8 chargers and 6 altars; combat, shields,
    sharing, glyphs and markers on; teams share reward (kin weight 0.5, rows normalised)."""
    return EnvConfig(
        name="arena",
        version=0,
        game=GameConfig(num_agents=24, groups=[GroupConfig(name=f"team_{i}") for i in range(4)], max_steps=1000),
        map=MapConfig(width=32, height=32, wall_density=0.08,
                      converter_counts={"mine": 20, "charger": 8, "altar": 6}),
        kinship=KinshipConfig(scheme="teams", kin_weight=0.5),
    )


def _arena_small() -> EnvConfig:
    """A fast smoke config: 4 agents in 2 teams on a 12x12 map, 200 steps."""
    return EnvConfig(
        name="arena-small",
        version=0,
        game=GameConfig(num_agents=4, groups=[GroupConfig(name=f"team_{i}") for i in range(2)], max_steps=200),
        map=MapConfig(width=12, height=12, wall_density=0.05, converter_counts={"mine": 4, "charger": 2, "altar": 2}),
        kinship=KinshipConfig(scheme="teams", kin_weight=0.5),
    )


REGISTRY: dict[str, Callable[[], EnvConfig]] = {
    "arena": _arena,
    "arena-small": _arena_small,
}


def list_envs() -> list[str]:
    """Names of the registered environments."""
    return sorted(REGISTRY)


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve_config(name_or_config: str | EnvConfig | dict[str, Any] = "arena", **overrides: Any) -> EnvConfig:
    """Turn a registered name (``"arena"`` or ``"arena-v0"``), a config, or a dict into a validated EnvConfig."""
    if isinstance(name_or_config, EnvConfig):
        config = name_or_config
    elif isinstance(name_or_config, dict):
        config = EnvConfig.model_validate(name_or_config)
    elif isinstance(name_or_config, str):
        name = name_or_config
        base, _, version = name.rpartition("-v")
        if base in REGISTRY and version.isdigit():
            name = base
        if name not in REGISTRY:
            raise ValueError(f"unknown environment {name_or_config!r}; registered: {', '.join(list_envs())}")
        config = REGISTRY[name]()
        if base == name and int(version) != config.version:
            raise ValueError(f"{name_or_config!r}: version {version} does not exist; current is {config.full_name}")
    else:
        raise TypeError(f"name_or_config: expected a name, EnvConfig or dict, got {type(name_or_config).__name__}")
    if overrides:
        config = EnvConfig.model_validate(_merge(config.to_dict(), overrides))
    return config
