"""Dotted overrides, the gridenv command line, and the Gymnasium registration of single-agent envs."""

import subprocess
import sys

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridenv
from gridenv.overrides import apply_overrides, parse_value


def test_values_follow_the_seed_runner_conventions():
    assert parse_value("true") is True and parse_value("false") is False
    assert parse_value("12") == 12 and parse_value("0.5") == 0.5 and parse_value("null") is None
    assert parse_value("'42'") == "42" and parse_value('"true"') == "true" and parse_value("clans") == "clans"
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("1e-3") == 0.001 and parse_value("'1e-3'") == "1e-3"


def test_dotted_overrides_reach_models_dicts_and_lists():
    config = apply_overrides(gridenv.resolve_config("arena"), [
        "game.num_agents=12", "map.width=40", "kinship.scheme=clans", "game.rewards.diamond=0.25",
        "game.groups.1.body.energy_cap=60", "game.converters.mine.cooldown=3", "kinship.normalize_rows=false",
    ])
    assert config.game.num_agents == 12 and config.map.width == 40 and config.kinship.scheme == "clans"
    assert config.game.rewards == {"heart": 1.0, "diamond": 0.25}
    assert config.game.groups[1].body.energy_cap == 60 and config.game.groups[0].body.energy_cap == 100
    assert config.game.converters["mine"].cooldown == 3 and config.kinship.normalize_rows is False


@pytest.mark.parametrize("item, message", [
    ("game.num_agnts=3", r"unknown key 'game\.num_agnts'.*did you mean 'game\.num_agents'\?"),
    ("kinship.shceme=teams", r"did you mean 'kinship\.scheme'\?"),
    ("game.groups.9.body.energy_cap=1", r"'9' is not an index of a list of 4"),
    ("game.max_steps", r"expected key=value"),
    ("game.max_steps=-1", r"game\.max_steps\n  Input should be greater than or equal to 1"),
    ("kinship.scheme=cousins", r"Input should be 'selfish', 'teams', 'random', 'clans' or 'bonds'"),
])
def test_bad_overrides_say_what_is_wrong(item, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(gridenv.resolve_config("arena"), [item])


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gridenv", *args], capture_output=True, text=True)


def test_cli_list_show_and_render(tmp_path):
    listing = run_cli("list")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()] == \
        [gridenv.resolve_config(name).full_name for name in gridenv.list_envs()]
    shown = run_cli("show", "arena", "game.num_agents=12", "--format", "json")
    assert shown.returncode == 0
    assert gridenv.EnvConfig.model_validate_json(shown.stdout).game.num_agents == 12
    out = tmp_path / "maze.png"
    rendered = run_cli("render", "maze", "--seed", "3", "--out", str(out))
    assert rendered.returncode == 0, rendered.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 15 * 16  # width in pixels
    text = run_cli("render", "maze-small", "--seed", "3")
    assert text.stdout.count("\n") == 9 and "a" in text.stdout
    bad = run_cli("show", "arena", "game.num_agnts=3")
    assert bad.returncode == 2 and "did you mean 'game.num_agents'?" in bad.stderr


def test_png_decodes_to_the_rendered_image(tmp_path):
    import zlib

    from gridenv.render import write_png

    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    write_png(tmp_path / "x.png", image)
    data = (tmp_path / "x.png").read_bytes()
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(5, 1 + 7 * 3)
    assert (rows[:, 0] == 0).all()
    np.testing.assert_array_equal(rows[:, 1:].reshape(5, 7, 3), image)


@pytest.mark.parametrize("name", gridenv.SINGLE_AGENT_ENVS)
def test_single_agent_envs_pass_gymnasiums_checker(name):
    env = gymnasium.make(gridenv.gym_id(name))
    check_env(env.unwrapped, skip_render_check=True)
    observation, _ = env.reset(seed=0)
    assert env.observation_space.contains(observation)


def test_gymnasium_ids_and_rollout():
    assert gridenv.gym_id("maze-small") == "gridenv/MazeSmall-v0"
    env = gymnasium.make("gridenv/Navigation-v0", render_mode="ansi")
    env.reset(seed=0)
    steps, done = 0, False
    while not done:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        done = terminated or truncated
        steps += 1
    assert steps <= 200 and "episode" in info
    with pytest.raises(ValueError, match="has 24 agents; use gridenv.parallel_env"):
        gridenv.SingleAgentEnv("arena")
