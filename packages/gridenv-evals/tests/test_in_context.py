"""in-context-v1: the held-out split, the trial protocol (memory kept across a trial's episodes), the scripted
references, result files and the command line."""

import itertools
import json

import numpy as np
import pytest

import gridenv
import gridenv.vector
from gridenv import in_context
from gridenv_evals.baselines import reference_scores, score_table
from gridenv_evals.chain_players import RecipeOracle, SystematicExplorer, next_kind
from gridenv_evals.cli import main
from gridenv_evals.in_context import LAST, build_in_context_results, run_in_context, trial_gain
from gridenv_evals.results import load_results
from gridenv_evals.runner import task_spec
from gridenv_evals.suites import check_pinned, get_suite


@pytest.fixture(scope="module")
def suite():
    return get_suite("in-context-v1")


def test_every_recipe_is_in_exactly_one_split_and_about_a_quarter_is_held_out():
    for length in in_context.LENGTHS:
        names = {in_context.canonical_name(length, p) for p in itertools.permutations(range(6))}
        train = {in_context.canonical_name(length, p) for p in in_context.recipes(length, "train")}
        held_out = {in_context.canonical_name(length, p) for p in in_context.recipes(length, "eval")}
        assert train | held_out == names and not train & held_out
        if length > 2:  # 30 recipes of length 2 are too few for a proportion
            assert 0.15 < len(held_out) / len(names) < 0.35


def test_the_training_env_draws_only_training_recipes_and_the_suite_plays_only_held_out_ones(suite):
    config = gridenv.resolve_config("in-context")
    length = in_context.TRAINING_LENGTH
    pool_names = {in_context.canonical_name(length, p) for p in config.game.recipe_pool}
    assert pool_names == {in_context.canonical_name(length, p) for p in in_context.recipes(length, "train")}
    suite_names = {task.kind for task in suite.tasks}
    assert len(suite_names) == len(suite.tasks) == 32
    assert all(in_context.is_held_out(name) for name in suite_names)
    assert not pool_names & suite_names
    vec = gridenv.vector.make(config, num_envs=8)  # what the engine actually draws, reset after reset
    drawn = set()
    for seed in range(30):
        vec.reset(seed=[8 * seed + w for w in range(8)])
        drawn |= {in_context.canonical_name(length, vec.core.recipe_of_kind(w)) for w in range(8)}
    assert drawn <= pool_names and len(drawn) > 100  # 240 draws over 274 training recipes


def test_a_chain_makes_a_heart_only_in_its_order_and_a_sink_eats_what_is_carried():
    # Length 3; kind k follows rule recipe[k]: k0 the source (-> r1), k1 r1 -> r2, k3 r2 -> heart, k2 a sink of r1.
    recipe = (0, 1, 3, 2, 4, 5)
    assert in_context.canonical_name(3, recipe) == "3:k0>k1>k3|k2-r1,k4-r2,k5-r1"
    config = in_context.make_config(3, recipe).to_dict()
    config["map"] = {"generator": "ascii", "ascii": "#####\n##A##\n#B0D#\n##C##\n#####"}  # A=k0 B=k1 C=k2 D=k3
    env = gridenv.parallel_env(gridenv.resolve_config(config))
    env.reset(seed=0)
    index = {name: i for i, name in enumerate(env.action_names)}

    def do(*names):  # the agent is boxed in: a move only turns it toward that neighbour
        rewards = 0.0
        for name in names:
            _, r, *_ = env.step({"agent_0": index[name]})
            rewards += r["agent_0"]
        return rewards, env.world.inventories()[0][1:].tolist()  # r1, r2, r3, r4, heart

    assert do("move_north", "use") == (0.0, [1, 0, 0, 0, 0])  # A (k0, the source): r1
    assert do("use") == (0.0, [1, 0, 0, 0, 0])                # one r1 is the cap: nothing more
    assert do("move_east", "use") == (0.0, [1, 0, 0, 0, 0])   # D (k3) needs r2: nothing with r1
    assert do("move_west", "use") == (0.0, [0, 1, 0, 0, 0])   # B (k1): r1 -> r2
    assert do("move_east", "use") == (1.0, [0, 0, 0, 0, 1])   # D (k3): r2 -> heart
    assert do("move_north", "use") == (0.0, [1, 0, 0, 0, 1])  # A: r1 again
    assert do("move_south", "use") == (0.0, [0, 0, 0, 0, 1])  # C (k2, a sink): r1 gone, nothing given


def test_backward_chaining_picks_the_next_step_from_what_is_held():
    effects = {0: (frozenset(), frozenset({"r1"})), 3: (frozenset({"r1"}), frozenset({"r2"})),
               5: (frozenset({"r2"}), frozenset({"heart"})), 1: (frozenset({"r1"}), frozenset())}
    assert next_kind(effects, set()) == 0
    assert next_kind(effects, {"r1"}) == 3
    assert next_kind(effects, {"r2"}) == 5
    assert next_kind({0: effects[0]}, set()) is None  # nothing known makes a heart


class Recorder:
    """A policy that counts its steps in its state and records what the runner hands it."""

    def __init__(self):
        self.initial_states, self.dones_seen, self.states = 0, [], []

    def initial_state(self, batch):
        self.initial_states += 1
        return np.zeros(batch, dtype=np.int64)

    def act(self, observations, state, dones):
        self.dones_seen.append(bool(dones.any()))
        self.states.append(int(state[0]))
        return np.zeros(len(observations), np.int32), state + 1


def test_memory_is_kept_across_the_episodes_of_a_trial_and_zeroed_only_between_trials(suite):
    recorder = Recorder()
    tasks = list(suite.tasks[:2])
    returns = run_in_context(suite, recorder, "py://recorder", episodes=5, tasks=tasks)
    steps = 5 * 100
    assert recorder.initial_states == 2 and not any(recorder.dones_seen)
    assert recorder.states == list(range(steps)) * 2  # the state counts on through all 5 episodes of each trial
    assert all(r.shape == (5,) for r in returns.values())


def test_the_references_order_and_the_explorers_gain(suite):
    spec = task_spec(suite.tasks[0])
    tasks = [t for t in suite.tasks if t.name.endswith("-0") or t.name.endswith("-1")]  # 2 trials per length
    results = {}
    for uri, policy in (("oracle", RecipeOracle(spec.action_names)), ("explorer", SystematicExplorer(spec.action_names))):
        results[uri] = np.stack(list(run_in_context(suite, policy, uri, tasks=tasks).values()))
    oracle, explorer = results["oracle"], results["explorer"]
    assert (oracle > 0).all()                                   # the oracle makes hearts in every episode
    assert (explorer[:, 0] <= oracle[:, 0]).all()               # exploring costs the first episode ...
    assert np.array_equal(explorer[:, -LAST:], oracle[:, -LAST:])  # ... and nothing once the recipe is known
    assert trial_gain(explorer).mean() > 0.5


def test_published_scripted_scores_are_reproduced_exactly():
    published = reference_scores()["in-context-v1"]
    for uri in ("random", "oracle", "explorer"):
        assert score_table("in-context-v1", uri) == published[uri], uri
    assert published["random"]["gain"]["mean"] == 0.0 and published["random"]["mean_return"] < 0.05
    assert published["explorer"]["gain"]["ci95"][0] > 0.5


def test_suite_is_pinned(suite):
    assert check_pinned(suite) == []


def test_cli_runs_writes_and_compares_in_context_results(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--suite", "in-context", "--policy", "random", "--policy", "explorer", "--episodes", "4",
                 "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "in-context gain" in printed and "`explorer`" in printed
    random, explorer = load_results(out / "results.json")
    assert explorer.protocol == "in-context" and explorer.episodes_per_trial == 4 and len(explorer.trials) == 32
    assert explorer.gain.mean > random.gain.mean
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert header[-4:] == ["return_1", "return_2", "return_3", "return_4"]
    data = json.loads((out / "results.json").read_text())
    (tmp_path / "one.json").write_text(json.dumps(data[1]))
    assert main(["compare", str(tmp_path / "one.json"), str(tmp_path / "one.json")]) == 0
    assert "in-context gain" in capsys.readouterr().out


def test_bad_episode_counts_and_explorer_outside_in_context_are_refused(capsys):
    assert main(["run", "--suite", "in-context", "--policy", "random", "--episodes", "3"]) == 2
    assert "--episodes" in capsys.readouterr().err
    assert main(["run", "--suite", "navigation", "--policy", "explorer"]) == 2
    assert "in-context suites only" in capsys.readouterr().err


def test_results_file_of_the_suite_validates(suite):
    returns = {task.name: np.arange(10, dtype=float) for task in suite.tasks}
    results = build_in_context_results(suite, "x", returns)
    assert results.gain.mean == pytest.approx(np.mean([7, 8, 9]) - 0)
    assert results.per_episode.median == [float(k) for k in range(10)]
