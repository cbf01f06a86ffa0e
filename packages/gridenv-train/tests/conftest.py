"""Shared settings for the trainer tests: tiny budgets, a temporary train_dir."""

import pytest

import gridenv

TINY_ENV = {
    "name": "tiny",
    "game": {
        "num_agents": None,
        "groups": [{"name": "w", "body": {"initial_energy": 0, "energy_regen": 0,
                                          "action_costs": {"noop": 0, "move_north": 0, "move_south": 0,
                                                           "move_west": 0, "move_east": 0, "use": 0}}}],
        "actions": ["noop", "move_north", "move_south", "move_west", "move_east", "use"],
        "converters": {"altar": {"symbol": "a", "outputs": {"heart": 1}}},
        "goal": {"resource": "heart", "amount": 1},
        "glyphs": 0, "markers": 0, "max_steps": 30,
    },
    "map": {"ascii": "######\n#0..a#\n######"},
}


@pytest.fixture
def tiny_env():
    """One agent, walk east and use the altar: learnable in seconds."""
    return gridenv.resolve_config(TINY_ENV)
