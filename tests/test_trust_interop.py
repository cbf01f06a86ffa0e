"""Defects found by adversarial testing (issue 16), Python side: ecosystem conventions and bad input that escaped.

Each test here failed before its fix; the engine-side ones are in test_trust_engine.py."""

import subprocess
import sys
import time

import numpy as np
import pytest
import supersuit
from pettingzoo.test import max_cycles_test, render_test

import gridenv
import gridenv.vector
from gridenv_train import TrainerConfig
from gridenv_train.cli import main as train_main
from gridenv_train.train import train

# --- 6: interop conventions ------------------------------------------------------------------------------------------


def test_pettingzoo_max_cycles_test_passes():
    max_cycles_test(gridenv)  # parallel_env(max_cycles=4) and env(max_cycles=4), 24 arena agents
    assert gridenv.parallel_env("navigation", max_cycles=7).config.game.max_steps == 7
    with pytest.raises(ValueError, match="max_cycles"):
        gridenv.parallel_env("navigation", max_cycles=0)


def test_pettingzoo_render_test_passes_and_human_prints_the_map(capsys):
    render_test(lambda render_mode=None: gridenv.env("arena-small", render_mode=render_mode))  # PettingZoo tests AEC
    env = gridenv.parallel_env({"game": {"num_agents": None}, "map": {"ascii": "#####\n#0.a#\n#####"}},
                               render_mode="human")
    capsys.readouterr()
    env.reset(seed=0)
    assert env.render() is None
    printed = capsys.readouterr().out
    assert printed == "#####\n#0.a#\n#####\n\n" * 2  # once at reset (human mode renders itself), once asked


def test_black_death_normalize_obs_concat_pipeline_runs_many_episodes_with_finite_observations():
    env = gridenv.parallel_env("arena-small", game={"max_steps": 20})
    env = supersuit.black_death_v3(env)
    env = supersuit.dtype_v0(env, np.float32)  # normalize_obs takes float observations
    env = supersuit.normalize_obs_v0(env, env_min=0.0, env_max=1.0)
    vec = supersuit.pettingzoo_env_to_vec_env_v1(env)
    vec = supersuit.concat_vec_envs_v1(vec, 2, num_cpus=0, base_class="gymnasium")
    observations, _ = vec.reset(seed=0)
    rng = np.random.default_rng(0)
    episodes = 0
    for _ in range(20 * 6 + 5):  # six episodes of each copy, through the end of every one
        actions = rng.integers(0, len(gridenv.parallel_env("arena-small").action_names), vec.num_envs)
        observations, rewards, terminations, truncations, infos = vec.step(actions)
        assert np.isfinite(observations).all() and observations.min() >= 0.0 and observations.max() <= 1.0
        episodes += int(np.sum(terminations | truncations))
    assert episodes >= 5 * vec.num_envs
    vec.close()


def test_observation_space_high_is_above_low_everywhere_and_still_bounds_observations():
    for name in gridenv.list_envs():
        env = gridenv.parallel_env(name)
        space = env.observation_space(env.possible_agents[0])
        assert (space.high > space.low).all(), name
        observations, _ = env.reset(seed=1)
        for _ in range(5):
            assert all(space.contains(o) for o in observations.values())
            observations, *_ = env.step({a: env.action_space(a).sample() for a in env.agents})
        vec = gridenv.vector.make(name)
        assert vec.single_observation_space == space


def test_a_step_after_the_episode_returns_nothing_and_actions_for_left_agents_are_refused():
    env = gridenv.parallel_env("navigation", max_cycles=2)
    env.reset(seed=0)
    while env.agents:
        env.step({a: 0 for a in env.agents})
    assert env.step({}) == ({}, {}, {}, {}, {})
    with pytest.raises(ValueError, match=r"not live agents: the episode is over"):
        env.step({"agent_0": 0})


# --- 7: bad input that escaped -------------------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
game: {resources: *g}
"""


def test_a_billion_laughs_config_is_refused_at_once(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"laughs.yaml: not valid YAML: YAML aliases \(\*a\) are not allowed"):
        gridenv.EnvConfig.load(path)
    assert time.perf_counter() - start < 10  # it took 107 s; not a timing assertion of speed, a guard against a hang
    with pytest.raises(ValueError, match="aliases"):
        gridenv.apply_overrides(gridenv.resolve_config("navigation"),
                                ["game.resources=[&a [energy], *a, *a]"])


@pytest.mark.parametrize("text,message", [
    ("game: [1, 2\n", r"bad.yaml: not valid YAML: while parsing a flow sequence"),
    ("- just\n- a list\n", r"bad.yaml: a config is a mapping .* got a list"),
    ("\udcff", r"bad.yaml: not UTF-8 text"),
])
def test_malformed_yaml_names_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match=message):
        gridenv.EnvConfig.load(path)
    assert train_main(["--env", str(path), "--run", "x", "--train-dir", str(tmp_path)]) == 2


def test_the_trainer_cli_reports_errors_in_one_line_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("game: {max_steps: [\n")
    for args, message in [
        (["--env", str(bad)], "not valid YAML"),
        (["--env", "navigation", "--run", "../escape"], "run name '../escape'"),
        (["--env", "navigation", "--run", "a/b"], "run name 'a/b'"),
        (["--env", "navigation", "trainer.checkpoint_interval=0"], "trainer.checkpoint_interval: must be >= 1"),
        (["--env", "navigation", "trainer.eval_episodes=-1"], "trainer.eval_episodes: must be >= 0"),
        (["--env", "navigation", "trainer.learning_rate=-1"], "trainer.learning_rate: must be a finite number > 0"),
    ]:
        result = subprocess.run([sys.executable, "-m", "gridenv_train", *args, "--train-dir", str(tmp_path)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert not (tmp_path.parent / "escape").exists() and not (tmp_path / "a").exists()


def test_run_names_that_leave_the_train_dir_are_refused_by_the_api(tmp_path):
    env = gridenv.resolve_config("navigation")
    for run in ("../x", "a/b", "/abs", "..", "", "a\\b", "x" * 200):
        with pytest.raises(ValueError, match="run name"):
            train(env, TrainerConfig(total_timesteps=1), run, tmp_path / "train", device="cpu", progress=False)
    assert not (tmp_path / "x").exists() and not (tmp_path / "train").exists()


def test_trainer_fields_are_checked_when_the_config_is_made():
    for field, value, message in [("checkpoint_interval", 0, ">= 1"), ("eval_episodes", -1, ">= 0"),
                                  ("hidden_size", "big", "expected a int"), ("gamma", 1.5, r"in \[0, 1\]"),
                                  ("precision", "float16", "'float32' or 'bfloat16'"), ("anneal_lr", 1, "true or false"),
                                  ("num_envs", 10**9, "<= 65536")]:
        with pytest.raises(ValueError, match=rf"trainer.{field}.*{message}|{message}"):
            TrainerConfig(**{field: value})


def test_rewards_are_bounded_so_they_stay_finite():
    with pytest.raises(ValueError, match=r"game.rewards.heart\n.*less than or equal to 1000000"):
        gridenv.parallel_env("arena", game={"rewards": {"heart": 1e39}})
    env = gridenv.parallel_env("arena", game={"rewards": {"heart": 1e6, "diamond": -1e6}})
    assert env.config.game.rewards["heart"] == 1e6


def test_a_non_ascii_map_character_is_named():
    with pytest.raises(ValueError, match=r"row 1, column 3: 'é' is not a map symbol"):
        gridenv.parallel_env({"game": {"num_agents": None}, "map": {"ascii": "#####\n#0.é#\n#####"}})


def test_converter_densities_past_the_count_limit_are_named():
    with pytest.raises(ValueError, match=r"converter_densities: 'mine' comes to 81,020 converters .*at most 65,535"):
        gridenv.parallel_env("arena", map={"width": 300, "height": 300, "converter_densities": {"mine": 0.9}})


@pytest.mark.parametrize("kwargs,message", [
    ({"num_envs": True}, r"num_envs: expected an int in \[1, 1,048,576\], got True"),
    ({"num_envs": 2**31}, r"num_envs: expected an int in \[1, 1,048,576\], got 2147483648"),
    ({"num_threads": 0}, r"num_threads: expected an int in \[1, 1,024\], got 0"),
    ({"num_envs": 2.0}, r"num_envs: expected an int"),
])
def test_vec_env_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gridenv.vector.make("navigation", **kwargs)


def test_vec_env_seed_must_be_an_int_and_a_closed_vec_env_refuses_to_run():
    vec = gridenv.vector.make("navigation", num_envs=2)
    for seed in ("x", 1.5, True, [1, "y"]):
        with pytest.raises(ValueError, match="seed"):
            vec.reset(seed=seed)
    vec.reset(seed=np.int64(3))
    vec.step()
    state = vec.save_state()
    vec.close()
    vec.close()  # twice is fine
    for call in (vec.step, vec.reset, lambda: vec.load_state(state)):
        with pytest.raises(RuntimeError, match="on a closed VecEnv"):
            call()
