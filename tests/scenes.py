"""Helpers for mechanics tests on tiny hand-written ASCII maps (imported by name: `from scenes import act`)."""

from __future__ import annotations

import textwrap

import gridenv


def make_env(ascii_map: str, *, groups: int | None = None, body: dict | None = None, game: dict | None = None,
             converters: dict | None = None, render_mode=None):
    """An env on a fixed ASCII map. `body` overrides every group's body; regen defaults to 0 for exact sums."""
    if groups is None:  # as many groups as the map's digits ask for
        groups = 1 + max((int(ch) for ch in ascii_map if ch.isdigit()), default=0)
    body_config = {"energy_regen": 0, **(body or {})}
    game_config = {
        "num_agents": None,
        "groups": [{"name": f"g{i}", "body": body_config} for i in range(groups)],
        "max_steps": 100,
        **(game or {}),
    }
    if converters is not None:
        game_config["converters"] = converters
    config = {"name": "test", "game": game_config, "map": {"ascii": textwrap.dedent(ascii_map)}}
    env = gridenv.parallel_env(config, render_mode=render_mode)
    env.reset(seed=0)
    return env


def act(env, **named_actions):
    """Step with named actions per agent index (``agent_0="use"``); unnamed agents take noop."""
    index = {name: i for i, name in enumerate(env.action_names)}
    actions = {agent: index[named_actions.get(agent, "noop")] for agent in env.agents}
    return env.step(actions)


def inventory(env, agent: int) -> dict[str, int]:
    return dict(zip(env.config.game.resources, env.world.inventories()[agent]))


def position(env, agent: int) -> tuple[int, int]:
    row, col, _ = env.world.agent_positions()[agent]
    return row, col

