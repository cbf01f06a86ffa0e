"""Running suites: the baselines' scores, determinism, result files, the command line and its errors."""

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from gridenv_evals.cli import main
from gridenv_evals.policies import PolicyError, TaskSpec, load_policy
from gridenv_evals.results import Results, build_results, load_results, write_results
from gridenv_evals.runner import run_suite, task_spec
from gridenv_evals.suites import get_suite


def run(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "gridenv_evals", *args], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)


@pytest.fixture(scope="module")
def navigation_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("nav")
    assert main(["run", "--suite", "navigation", "--policy", "random", "--policy", "oracle", "--out", str(out / "a"),
                 "--no-progress"]) == 0
    assert main(["run", "--suite", "navigation", "--policy", "random", "--policy", "oracle", "--out", str(out / "b"),
                 "--threads", "2", "--no-progress"]) == 0
    return out


def test_oracle_solves_navigation_optimally_and_random_is_far_below(navigation_runs):
    random, oracle = load_results(navigation_runs / "a" / "results.json")
    assert oracle.aggregates["success"].mean >= 0.95 and oracle.aggregates["spl"].mean >= 0.9
    assert random.aggregates["success"].mean < 0.2 and random.aggregates["spl"].mean < 0.05
    assert random.aggregates["success"].ci95[1] < oracle.aggregates["success"].ci95[0]
    assert oracle.policy == "oracle" and random.suite == "navigation" and random.suite_version == 1
    assert len(oracle.tasks) == 30 and all(len(row.episodes) == 16 for row in oracle.tasks)


def test_results_are_identical_twice_and_with_two_env_threads(navigation_runs):
    for name in ("results.json", "results.csv", "summary.png"):
        assert (navigation_runs / "a" / name).read_bytes() == (navigation_runs / "b" / name).read_bytes(), name


def test_results_round_trip_and_damaged_files_are_refused(navigation_runs, tmp_path):
    loaded = load_results(navigation_runs / "a" / "results.json")
    again = Results.model_validate(json.loads(loaded[0].model_dump_json()))
    assert again == loaded[0]
    write_results(tmp_path, loaded)
    assert load_results(tmp_path / "results.json") == loaded
    data = json.loads((tmp_path / "results.json").read_text())
    data[0]["schema_version"] = 2
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"bad.json: not a gridenv-eval results file of schema version 1"):
        load_results(tmp_path / "bad.json")
    (tmp_path / "cut.json").write_text((tmp_path / "results.json").read_text()[:100])
    with pytest.raises(ValueError, match=r"cut.json: not valid JSON"):
        load_results(tmp_path / "cut.json")
    assert not list(tmp_path.glob("*.tmp"))
    rows = (navigation_runs / "a" / "results.csv").read_text().splitlines()
    assert rows[0].startswith("policy,suite,task") and len(rows) == 1 + 2 * 30


def test_the_command_line_lists_shows_runs_and_compares(navigation_runs, tmp_path):
    listing = run(tmp_path, "list")
    assert listing.returncode == 0 and "navigation-v1" in listing.stdout and "maze-v1" in listing.stdout
    shown = run(tmp_path, "show", "maze")
    assert shown.returncode == 0 and "kruskal-51" in shown.stdout and "3000" in shown.stdout
    (tmp_path / "r.json").write_text(json.dumps(json.loads((navigation_runs / "a" / "results.json").read_text())[0]))
    (tmp_path / "o.json").write_text(json.dumps(json.loads((navigation_runs / "a" / "results.json").read_text())[1]))
    compared = run(tmp_path, "compare", "r.json", "o.json")
    assert compared.returncode == 0 and "| success mean | 0.075 | 1.000 | +0.925 | no |" in compared.stdout
    led = run(tmp_path, "run", "--suite", "maze", "--policy", "oracle", "--policy", "random", "--episodes", "2")
    assert led.returncode == 0 and led.stdout.index("`oracle`") < led.stdout.index("`random`")  # ranked by SPL


@pytest.mark.parametrize("args,message", [
    (["run", "--suite", "navgation", "--policy", "random"], "unknown suite 'navgation'; known suites: "
                                                            "cooperation-v1, in-context-v1, maze-v1, navigation-v1"),
    (["run", "--suite", "maze", "--policy", "missing/run"], "policy 'missing/run': no such file or directory"),
    (["run", "--suite", "maze", "--policy", "s3://bucket/x"], "policy 's3://bucket/x': unknown scheme"),
    (["run", "--suite", "maze", "--policy", "py://no_such_module:make"], "cannot import no_such_module:make"),
    (["run", "--suite", "maze", "--policy", "baseline://nope"], "no such baseline; shipped: "
                                                                "['reference-in-context', 'reference-navigation', "
                                                                "'selfish-raiders']"),
    (["run", "--suite", "maze", "--policy", "random", "--episodes", "17"], "--episodes: maze-v1 has 16 seeds"),
    (["compare", "nothing.json", "nothing.json"], "nothing.json: cannot read"),
])
def test_command_line_errors_are_one_line_and_name_the_problem(tmp_path, args, message):
    result = run(tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint")
    result = run(tmp_path, "run", "--suite", "maze", "--policy", str(tmp_path / "junk.safetensors"))
    assert result.returncode == 2 and "junk.safetensors" in result.stderr and "damaged" in result.stderr


def test_a_policy_for_other_observations_or_actions_is_refused_naming_both_shapes():
    spec = task_spec(get_suite("maze").tasks[0])
    with pytest.raises(PolicyError, match=r"expects observations of shape \(14, 11, 11\), the task gives "
                                          r"\(12, 11, 11\)"):
        load_policy("py://policy_factories:wrong_observations", spec)
    with pytest.raises(PolicyError, match=r"has 4 actions, the task has 6 \(noop, move_north"):
        load_policy("py://policy_factories:wrong_actions", spec)
    with pytest.raises(PolicyError, match=r"returned a str, which has no initial_state"):
        load_policy("py://policy_factories:not_a_policy", spec)


def test_a_python_factory_policy_plays_with_one_batched_call_per_step():
    import policy_factories

    suite = get_suite("maze")
    spec = task_spec(suite.tasks[0])
    policy = load_policy("py://policy_factories:counting", spec)
    results = run_suite(suite, policy, "py://policy_factories:counting", episodes=3, tasks=list(suite.tasks[:2]))
    assert [len(r.episodes) for r in results] == [3, 3]
    calls = policy_factories.CALLS
    assert all(batch == 3 for batch in calls) and len(calls) == sum(max(e.steps for e in r.episodes) for r in results)


def test_a_stable_baselines3_model_zip_plays_through_sb3_uri(tmp_path):
    import gymnasium
    import stable_baselines3

    import gridenv

    env = gymnasium.make(gridenv.gym_id("maze-small"))
    model = stable_baselines3.PPO("MlpPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=0, verbose=0)
    model.learn(total_timesteps=128)
    model.save(tmp_path / "tiny.zip")
    suite = get_suite("maze")
    spec = task_spec(suite.tasks[0])
    policy = load_policy(f"sb3://{tmp_path / 'tiny.zip'}", spec)
    results = build_results(suite, "sb3", 2, run_suite(suite, policy, "sb3", 2, tasks=list(suite.tasks[:2])))
    assert len(results.tasks) == 2 and 0.0 <= results.aggregates["success"].mean <= 1.0
    # A model made for the in-context env (six converter kinds: 17 observation channels) does not fit a maze.
    other = stable_baselines3.PPO("MlpPolicy", gymnasium.make(gridenv.gym_id("in-context")), n_steps=64, verbose=0)
    other.save(tmp_path / "other.zip")
    with pytest.raises(PolicyError, match=r"expects observations of shape \(17, 11, 11\), the task gives \(12, 11, 11\)"):
        load_policy(f"sb3://{tmp_path / 'other.zip'}", spec)
    with pytest.raises(PolicyError, match=r"sb3://.*missing.zip: no such file"):
        load_policy(f"sb3://{tmp_path / 'missing.zip'}", spec)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("suite, policies, episodes", [("navigation", ("random", "oracle"), 3),
                                                       ("in-context", ("random", "explorer"), 4),
                                                       ("cooperation", ("random", "cooperator"), 1)])
def test_two_torchrun_ranks_write_what_one_process_writes(tmp_path, suite, policies, episodes):
    common = ["run", "--suite", suite, *[arg for policy in policies for arg in ("--policy", policy)], "--episodes",
              str(episodes), "--no-progress"]
    single = run(tmp_path, *common, "--out", "one")
    assert single.returncode == 0, single.stderr
    sharded = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node=2",
                              f"--master-port={_free_port()}", "-m", "gridenv_evals", *common, "--out", "two"],
                             capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert sharded.returncode == 0, sharded.stderr[-3000:]
    for name in ("results.json", "results.csv", "summary.png"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_the_policy_protocol_types():
    spec = TaskSpec((12, 11, 11), ("noop", "move_north", "move_south", "move_west", "move_east", "use"))
    policy = load_policy("random?seed=5", spec)
    actions, state = policy.act(np.zeros((4, 12, 11, 11), np.uint8), policy.initial_state(4), np.zeros(4, bool))
    assert actions.dtype == np.int32 and actions.shape == (4,) and state is None


def test_replays_of_each_task_are_written_and_the_oracle_replays_its_shortest_path(tmp_path):
    from gridenv.replay import load_replay

    from gridenv_evals.metrics import shortest_path

    result = run(tmp_path, "run", "--suite", "maze", "--policy", "oracle", "--episodes", "1", "--replays",
                 "--out", "out")
    assert result.returncode == 0, result.stderr
    suite = get_suite("maze")
    files = sorted((tmp_path / "out" / "replays" / "oracle").glob("*.json.z"))
    assert [f.name for f in files] == sorted(f"{t.name}-{t.seeds[0]}.json.z" for t in suite.tasks)
    task = suite.tasks[0]
    replay = load_replay(tmp_path / "out" / "replays" / "oracle" / f"{task.name}-{task.seeds[0]}.json.z")
    (tiles, start), = task.initial_maps(task.seeds[:1])
    assert replay.seed == task.seeds[0] and replay.num_steps == shortest_path(tiles, start, 3)
    refused = run(tmp_path, "run", "--suite", "maze", "--policy", "oracle", "--replays")
    assert refused.returncode == 2 and "--replays: give --out DIR too" in refused.stderr
