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
    # only lowercase true/false are booleans: YAML 1.1's yes/no/on/off/True stay the strings they were typed as
    assert [parse_value(text) for text in ("yes", "no", "on", "off", "True", "n")] == \
        ["yes", "no", "on", "off", "True", "n"]
    assert parse_value("[true, no]") == [True, "no"] and parse_value("inf") == "inf"


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
    # suggestions come from the model at the step that failed, past lists and dicts
    ("game.groups.0.body.energy_cp=5", r"'energy_cp' is not one of .*did you mean 'game\.groups\.0\.body\.energy_cap'\?"),
    ("game.converters.mien.cooldown=3", r"'mien' is not one of mine, charger, altar .*did you mean "
                                        r"'game\.converters\.mine'\?"),
    ("game.converters.mine.coldown=3", r"did you mean 'game\.converters\.mine\.cooldown'\?"),
    ("name=no", None),  # a string, as typed (YAML 1.1 would have made it False)
])
def test_bad_overrides_say_what_is_wrong(item, message):
    if message is None:
        assert apply_overrides(gridenv.resolve_config("arena"), [item]).name == "no"
        return
    with pytest.raises(ValueError, match=message):
        apply_overrides(gridenv.resolve_config("arena"), [item])


def test_a_dict_of_models_takes_a_new_entry_as_a_whole_value():
    config = apply_overrides(gridenv.resolve_config("arena"),
                             ["game.converters.gem={symbol: g, outputs: {heart: 1}}", "map.converter_counts.gem=2"])
    assert config.game.converters["gem"].outputs == {"heart": 1} and config.map.converter_counts["gem"] == 2


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


def test_the_installed_gridenv_command_runs():
    from pathlib import Path

    command = Path(sys.executable).with_name("gridenv")  # the console script pip installed beside this python
    assert command.exists(), command
    listing = subprocess.run([str(command), "list"], capture_output=True, text=True)
    assert listing.returncode == 0 and "arena-v0" in listing.stdout
    shown = subprocess.run([str(command), "show", "maze-small"], capture_output=True, text=True)
    assert shown.returncode == 0 and "generator: maze" in shown.stdout  # YAML by default


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
