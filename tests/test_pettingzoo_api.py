"""PettingZoo's own compliance tests, over every registered env and an ASCII-map config."""

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test

import gridenv

ASCII_CONFIG = {
    "name": "tiny",
    "game": {"num_agents": None, "groups": [{"name": "a"}, {"name": "b"}], "max_steps": 30},
    "map": {"ascii": "#######\n#0.m.1#\n#..c..#\n#1.a.0#\n#######"},
}
ALL_MECHANICS_CONFIG = {  # every action kind, a posture body, dynamic kinship
    "name": "all-mechanics",
    "game": {
        "num_agents": 8, "max_steps": 60,
        "actions": ["noop", "move_north", "move_south", "move_west", "move_east", "use", "attack", "toggle_shield",
                    "share", "glyph_0", "glyph_3", "marker_0", "marker_1", "build", "destroy", "bond", "switch_body"],
        "groups": [{"name": "a", "posture": {"energy_cap": 40, "action_costs": {"move_north": 2}}}, {"name": "b"}],
        "build": {"cost": {}, "max_walls_per_agent": 0},
    },
    "map": {"width": 10, "height": 10},
    "kinship": {"scheme": "bonds", "bond_window": 5, "bond_cost": 0},
}
CONFIGS = [*gridenv.list_envs(), ASCII_CONFIG, ALL_MECHANICS_CONFIG]
IDS = [*gridenv.list_envs(), "ascii", "all-mechanics"]


def short(config):
    """The same env with episodes short enough for the API tests to reach truncation."""
    if isinstance(config, str):
        return gridenv.resolve_config(config, game={"max_steps": 60})
    return config


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_parallel_api(config):
    parallel_api_test(gridenv.parallel_env(short(config)), num_cycles=100)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_parallel_seed(config):
    parallel_seed_test(lambda: gridenv.parallel_env(short(config)), num_cycles=50)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_aec_api(config):
    api_test(gridenv.env(short(config)), num_cycles=100)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_observations_stay_inside_the_declared_space(config):
    env = gridenv.parallel_env(short(config))
    rng = np.random.default_rng(0)
    observations, _ = env.reset(seed=3)
    space = env.observation_space(env.possible_agents[0])
    steps = 0
    while env.agents:
        for agent, observation in observations.items():
            assert env.observation_space(agent).contains(observation), (agent, steps)
        actions = {agent: int(rng.integers(env.action_space(agent).n)) for agent in env.agents}
        observations, *_ = env.step(actions)
        steps += 1
    goal = env.config.game.goal is not None
    assert steps <= env.config.game.max_steps if goal else steps == env.config.game.max_steps
    assert env.observation_space(env.possible_agents[0]) is space


def test_metadata_and_spaces_follow_pettingzoo_conventions():
    env = gridenv.parallel_env("arena")
    assert env.metadata["name"] == "gridenv/arena-v0"
    assert env.metadata["is_parallelizable"] is True
    assert set(env.metadata["render_modes"]) == {"human", "rgb_array", "ansi"}
    assert env.metadata["render_fps"] > 0
    assert len(env.possible_agents) == 24
    agent = env.possible_agents[0]
    assert env.observation_space(agent) is env.observation_space(agent)
    assert env.action_space(agent) is env.action_space(agent)
    assert env.observation_space(agent).shape == (len(env.channel_names), 11, 11)
    assert env.action_space(agent).n == len(env.action_names) == 15


def test_render_modes():
    env = gridenv.parallel_env(ASCII_CONFIG, render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "#######\n#0.m.1#\n#..c..#\n#1.a.0#\n#######\n"
    env = gridenv.parallel_env(ASCII_CONFIG, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.shape == (5 * 16, 7 * 16, 3)
    assert tuple(image[0, 0]) == (70, 70, 78)  # wall corner
    with pytest.raises(ValueError, match="render_mode: expected None or one of"):
        gridenv.parallel_env("arena-small", render_mode="window")
