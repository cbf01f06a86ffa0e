"""The batched C++ vector env: equivalence with PettingZoo, thread-count independence, auto-reset, bad input."""

import importlib.util
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import gridenv
import gridenv.vector

VECTOR_DOC = Path(__file__).resolve().parents[1] / "docs" / "vector.md"


def random_actions(rng, env, steps):
    return rng.integers(0, env.single_action_space.n, size=(steps, env.num_agents), dtype=np.int32)


@pytest.mark.parametrize("name, steps", [("arena-small", 450), ("maze-small", 350)])
@pytest.mark.parametrize("threads", [1, 2])
def test_vector_env_matches_pettingzoo_envs_step_by_step(name, steps, threads):
    """World w of VecEnv.reset(seed=s) == parallel_env.reset(seed=s + w), across auto-resets."""
    num_envs = 3
    vec = gridenv.vector.make(name, num_envs=num_envs, num_threads=threads)
    observations, _ = vec.reset(seed=10)
    singles = [gridenv.parallel_env(name) for _ in range(num_envs)]
    per_env = vec.agents_per_env
    for w, env in enumerate(singles):
        single_obs, _ = env.reset(seed=10 + w)
        np.testing.assert_array_equal(observations[w * per_env:(w + 1) * per_env],
                                      np.stack([single_obs[a] for a in env.possible_agents]))
    episodes_ended = 0
    for actions in random_actions(np.random.default_rng(0), vec, steps):
        observations, rewards, terminals, truncations, infos = vec.step(actions)
        for w, env in enumerate(singles):
            rows = slice(w * per_env, (w + 1) * per_env)
            live = list(env.agents)
            obs, rew, term, trunc, info = env.step({a: int(actions[w * per_env + env.possible_agents.index(a)])
                                                    for a in live})
            for a in live:
                i = w * per_env + env.possible_agents.index(a)
                assert rewards[i] == rew[a] and terminals[i] == term[a] and truncations[i] == trunc[a]
                expected_obs = vec.final_observations[i] if vec.episode_done[w] else observations[i]
                np.testing.assert_array_equal(expected_obs, obs[a])
                if "episode" in info[a]:
                    stats = dict(zip(vec.stat_names, vec.episode_stats[i].tolist()))
                    assert stats == pytest.approx({k: info[a]["episode"][k] for k in vec.stat_names})
            assert vec.episode_done[w] == (not env.agents)
            if not env.agents:  # same-step auto-reset: the vector env already shows the next episode
                episodes_ended += 1
                next_obs, _ = env.reset()
                np.testing.assert_array_equal(observations[rows],
                                              np.stack([next_obs[a] for a in env.possible_agents]))
    assert episodes_ended >= num_envs  # the comparison crossed auto-resets


def test_results_do_not_depend_on_the_thread_count():
    runs = []
    for threads in (1, 2, 3):
        vec = gridenv.vector.make("arena", num_envs=5, num_threads=threads, seed=3, game={"max_steps": 120})
        digest = []
        for actions in random_actions(np.random.default_rng(1), vec, 260):
            observations, rewards, *_ = vec.step(actions)
            digest.append((observations.sum(dtype=np.int64), observations[::7].tobytes(), rewards.tobytes(),
                           vec.episode_done.tobytes()))
        runs.append(digest)
    assert runs[0] == runs[1] == runs[2]


def test_step_writes_in_place_without_new_arrays():
    vec = gridenv.vector.make("arena-small", num_envs=4, num_threads=2, seed=0)
    buffers = (vec.observations, vec.rewards, vec.terminals, vec.truncations)
    before = vec.observations.copy()
    result = vec.step(np.zeros(vec.num_agents, np.int32) + 1)
    assert all(a is b for a, b in zip(result[:4], buffers))
    assert not np.array_equal(before, vec.observations)  # changed in place


def test_auto_reset_is_same_step_with_final_observations_and_stats():
    vec = gridenv.vector.make("arena-small", num_envs=2, seed=5, game={"max_steps": 3})
    for _ in range(2):
        _, _, _, truncations, _ = vec.step(np.zeros(vec.num_agents, np.int32))
        assert not truncations.any() and not vec.episode_done.any()
    last_obs = vec.observations.copy()
    observations, _, terminals, truncations, infos = vec.step(np.zeros(vec.num_agents, np.int32))
    assert truncations.all() and not terminals.any() and infos["episode_done"].all()
    assert (vec.episode_stats[:, vec.stat_names.index("action.noop")] == 3).all()
    progress = vec.self_feature_names.index("episode_progress")
    assert (observations[:, -1].reshape(vec.num_agents, -1)[:, progress] == 0).all()  # a new episode's first obs
    assert (vec.final_observations[:, -1].reshape(vec.num_agents, -1)[:, progress] == 255).all()
    assert not np.array_equal(vec.final_observations, last_obs)
    vec.step(np.zeros(vec.num_agents, np.int32))
    assert not vec.episode_done.any()
    assert vec.core.step_count(0) == 1


def test_send_and_recv_step_two_halves_while_the_other_computes():
    halves = [gridenv.vector.make("arena", num_envs=2, num_threads=2, seed=s) for s in (0, 2)]
    whole = gridenv.vector.make("arena", num_envs=4, num_threads=2, seed=0)
    rng = np.random.default_rng(2)
    for actions in random_actions(rng, whole, 50):
        halves[0].send(actions[:48])
        halves[1].send(actions[48:])  # the first half steps while this one starts
        first, second = halves[0].recv(), halves[1].recv()
        expected = whole.step(actions)
        np.testing.assert_array_equal(np.concatenate([first[0], second[0]]), expected[0])
        np.testing.assert_array_equal(np.concatenate([first[1], second[1]]), expected[1])
    with pytest.raises(RuntimeError, match="recv\\(\\) without send\\(\\)"):
        halves[0].recv()
    halves[0].send()
    with pytest.raises(RuntimeError, match="a step is in flight"):
        halves[0].send()
    halves[0].recv()


def step_counts(vec):
    return [vec.core.step_count(w) for w in range(vec.num_envs)]


def test_send_with_one_thread_leaves_the_whole_step_to_recv():
    """num_threads=1: no worker, so send() only checks the actions; no world moves until recv() steps them all."""
    vec = gridenv.vector.make("arena-small", num_envs=3, num_threads=1, seed=4)
    twin = gridenv.vector.make("arena-small", num_envs=3, num_threads=1, seed=4)
    for t, actions in enumerate(random_actions(np.random.default_rng(3), vec, 4)):
        before = vec.observations.copy()
        vec.send(actions)
        assert step_counts(vec) == [t] * 3
        np.testing.assert_array_equal(vec.observations, before)  # nothing written yet
        observations, rewards, *_ = vec.recv()
        assert step_counts(vec) == [t + 1] * 3
        assert not np.array_equal(observations, before)  # (episode progress alone changes every observation)
        expected = twin.step(actions)
        np.testing.assert_array_equal(observations, expected[0])
        np.testing.assert_array_equal(rewards, expected[1])


def test_the_next_actions_may_be_written_while_a_step_is_in_flight():
    """send() validates and copies the actions: writing the next ones into env.actions before recv() (what a
    pipelined policy does) does not change the step in flight. With one thread the worlds step inside recv(), after
    the write, so a step that read the caller's buffer would see the new actions (and -1 is not even valid)."""
    vec = gridenv.vector.make("arena-small", num_envs=4, num_threads=1, seed=4)
    twin = gridenv.vector.make("arena-small", num_envs=4, num_threads=1, seed=4)
    actions = random_actions(np.random.default_rng(3), vec, 1)[0]
    vec.send(actions)
    vec.actions[:] = -1
    observations, rewards, *_ = vec.recv()
    expected = twin.step(actions)
    np.testing.assert_array_equal(observations, expected[0])
    np.testing.assert_array_equal(rewards, expected[1])


def test_send_with_worker_threads_steps_every_world_without_recv():
    """num_threads=2: send() returns while the worker steps; the worker also takes the caller's range 0 when the
    caller does not come to recv(), so every world advances with no recv() at all, and recv() then only collects."""
    vec = gridenv.vector.make("arena-small", num_envs=4, num_threads=2, seed=4)
    twin = gridenv.vector.make("arena-small", num_envs=4, num_threads=1, seed=4)
    actions = random_actions(np.random.default_rng(3), vec, 1)[0]
    vec.send(actions)
    # Polls the step counters while the worker may still write them: an int32 read racing its write, harmless here.
    deadline = time.monotonic() + 60  # only a guard against hanging; the worker needs well under a millisecond
    while step_counts(vec) != [1] * 4:
        assert time.monotonic() < deadline, f"the worker left worlds unstepped: {step_counts(vec)}"
        time.sleep(0.001)
    observations, rewards, *_ = vec.recv()
    assert step_counts(vec) == [1] * 4  # recv() did not step anything again
    expected = twin.step(actions)
    np.testing.assert_array_equal(observations, expected[0])
    np.testing.assert_array_equal(rewards, expected[1])


@pytest.mark.skipif(not getattr(sys, "_is_gil_enabled", lambda: True)(), reason="free-threaded Python: no GIL")
def test_a_python_thread_runs_while_the_caller_is_inside_a_batched_step():
    """The C++ step runs with the GIL released. The switch interval is raised so the main thread never hands the GIL
    over by itself: the counting thread can then only advance while the main thread has released it. A pure-Python
    loop as long as the steps took is the control: there the count must not move at all."""
    vec = gridenv.vector.make("arena", num_envs=256, num_threads=1, seed=0)
    vec.actions[:] = vec.action_names.index("move_north")  # then step() copies nothing and calls no numpy
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1
            time.sleep(0.0002)  # releases the GIL, so the main thread always gets it back at once

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(30.0)  # before the thread starts: a waiting thread reads the interval when it starts waiting
    thread = threading.Thread(target=counter, daemon=True)
    try:
        thread.start()
        while count[0] < 3:
            time.sleep(0.001)
        start, before = time.perf_counter(), count[0]
        for _ in range(40):  # ~2 ms each for 256 arena worlds on one thread
            vec.step()
        during_steps = count[0] - before
        end = time.perf_counter() + (time.perf_counter() - start)
        before = count[0]
        while time.perf_counter() < end:
            pass
        during_python = count[0] - before
    finally:
        stop.set()
        sys.setswitchinterval(switch_interval)
        thread.join()
    assert during_python == 0  # the GIL held: the counter stood still
    assert during_steps > 0  # inside step() it ran
    assert step_counts(vec)[:3] == [40] * 3


@pytest.mark.parametrize("actions, message", [
    (np.zeros(7, np.int32), r"actions: expected shape \(8,\) or \(2, 4\), got \(7,\)"),
    (np.zeros(8, np.float32), r"actions: expected an integer array, got dtype float32"),
    (np.full(8, 15, np.int32), r"actions\[0\]: must be in \[0, 14\], got 15"),
    (np.full(8, -1, np.int64), r"actions: must be in \[0, 14\], got -1"),
    (np.full(8, 2**32 + 1, np.int64), r"actions: must be in \[0, 14\], got 4294967297"),  # would wrap to 1
    (np.array([[0, 1, 2, 3], [4, 5, 6, 99]], np.uint8), r"actions: must be in \[0, 14\], got 99"),
])
def test_bad_action_arrays_raise_and_leave_the_worlds_untouched(actions, message):
    vec = gridenv.vector.make("arena-small", num_envs=2, seed=0)
    before = vec.observations.copy()
    with pytest.raises(ValueError, match=message):
        vec.step(actions)
    assert vec.core.step_count(0) == 0 and vec.core.step_count(1) == 0
    np.testing.assert_array_equal(vec.observations, before)
    vec.step(np.zeros((2, 4), np.int64))  # a good array of another integer dtype is fine
    assert vec.core.step_count(1) == 1


def test_construction_errors_are_clear():
    with pytest.raises(ValueError, match=r"num_envs: expected an int in \[1, 1,048,576\], got 0"):
        gridenv.vector.make("arena-small", num_envs=0)
    with pytest.raises(ValueError, match=r"num_threads: expected an int in \[1, 1,024\], got 0"):
        gridenv.vector.make("arena-small", num_threads=0)
    with pytest.raises(RuntimeError, match="before reset"):
        gridenv.vector.make("arena-small").step(np.zeros(4, np.int32))
    with pytest.raises(ValueError, match="do not fit"):  # refused when made, not at a later (auto-)reset
        gridenv.vector.make("arena-small", num_envs=2, num_threads=2, game={"num_agents": 200})


def test_action_mask_marks_what_can_take_effect():
    vec = gridenv.vector.make({"game": {"num_agents": None, "groups": [{"name": "g", "body": {
        "initial_energy": 10, "energy_regen": 0}}], "combat": {"freeze_steps": 5}},
        "map": {"ascii": "#####\n#00.#\n#####"}}, num_envs=1, seed=0, action_mask=True)
    names = vec.action_names
    mask = vec.action_mask
    assert mask.tolist() == [[1] * len(names)] * 2  # 10 energy pays for anything
    actions = np.zeros(2, np.int32)
    actions[1] = names.index("move_west")  # agent 1 turns to face agent 0: 9 left
    vec.step(actions)
    actions[1] = names.index("attack")  # 9 - 5 = 4 left; agent 0 is frozen for 5 steps
    vec.step(actions)
    assert mask[0].tolist() == [0] * len(names)  # frozen: nothing can take effect
    assert mask[1, names.index("attack")] == 0 and mask[1, names.index("move_west")] == 1  # 4 < 5, 4 >= 1
    assert mask[1, names.index("noop")] == 1


def test_gymnasium_vector_view_for_single_agent_configs():
    import gymnasium

    env = gridenv.vector.GymVectorEnv("maze-small", num_envs=3, num_threads=2)
    assert env.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
    observations, _ = env.reset(seed=0)
    assert observations.shape == (3, *env.single_observation_space.shape)
    assert env.observation_space.contains(observations)
    saw_final = False
    for _ in range(120):
        observations, rewards, terminations, truncations, infos = env.step(env.action_space.sample())
        assert rewards.shape == (3,) and terminations.dtype == bool
        if "final_obs" in infos:
            done = terminations | truncations
            np.testing.assert_array_equal(infos["_final_obs"], done)
            np.testing.assert_array_equal(infos["_final_info"], done)
            np.testing.assert_array_equal(infos["_episode_stats"], done)
            assert [obs is None for obs in infos["final_obs"]] == list(~done)
            # an episode that terminated made its heart; one cut off by the time limit did not
            hearts = infos["episode_stats"]["heart.gained"]
            np.testing.assert_array_equal(hearts[terminations], 1.0)
            np.testing.assert_array_equal(hearts[truncations], 0.0)
            saw_final = True
    assert saw_final
    # Gymnasium's own episode-statistics wrapper works on top and agrees with gridenv's stats.
    wrapped = gymnasium.wrappers.vector.RecordEpisodeStatistics(gridenv.vector.GymVectorEnv("maze-small", num_envs=3))
    wrapped.reset(seed=1)
    episodes = 0
    for _ in range(120):
        _, _, terminations, truncations, infos = wrapped.step(wrapped.action_space.sample())
        if "episode" in infos:
            done = infos["_episode"]
            np.testing.assert_array_equal(done, terminations | truncations)
            np.testing.assert_allclose(infos["episode"]["r"][done], infos["episode_stats"]["reward"][done])
            np.testing.assert_array_equal(infos["episode"]["l"], infos["final_info"]["episode"]["l"])
            episodes += int(done.sum())
    assert episodes >= 3
    with pytest.raises(ValueError, match="has 24 agents per world"):
        gridenv.vector.GymVectorEnv("arena")


def test_gymnasium_vector_view_matches_sync_vector_env_same_step():
    """Step by step, GymVectorEnv gives what gymnasium.vector.SyncVectorEnv(autoreset_mode=SAME_STEP) over
    SingleAgentEnv copies gives: observations, rewards, flags, and the final_obs / final_info layout of episode ends."""
    import gymnasium

    num_envs = 3
    reference = gymnasium.vector.SyncVectorEnv([lambda: gridenv.SingleAgentEnv("maze-small")] * num_envs,
                                               autoreset_mode=gymnasium.vector.AutoresetMode.SAME_STEP)
    env = gridenv.vector.GymVectorEnv("maze-small", num_envs=num_envs, num_threads=2)
    np.testing.assert_array_equal(env.reset(seed=4)[0], reference.reset(seed=4)[0])
    ends = terminated = 0
    for actions in np.random.default_rng(0).integers(0, env.single_action_space.n, (400, num_envs)):
        *expected, expected_infos = reference.step(actions)
        *result, infos = env.step(actions)
        for want, got in zip(expected, result):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype or want.dtype == np.float64  # SyncVectorEnv's rewards are float64
        assert ("final_obs" in infos) == ("final_obs" in expected_infos)
        if "final_obs" not in infos:
            continue
        ends += int(infos["_final_obs"].sum())
        terminated += int(result[1].astype(bool).sum())
        for key in ("_final_obs", "_final_info"):
            np.testing.assert_array_equal(infos[key], expected_infos[key])
        assert infos["final_obs"].dtype == object
        for got, want in zip(infos["final_obs"], expected_infos["final_obs"]):
            assert (got is None) == (want is None)
            if want is not None:
                np.testing.assert_array_equal(got, want)
        episode, expected_episode = infos["final_info"]["episode"], expected_infos["final_info"]["episode"]
        np.testing.assert_array_equal(infos["final_info"]["_episode"], expected_infos["final_info"]["_episode"])
        assert episode.keys() == expected_episode.keys()  # r, l, every stat, and their "_" masks
        for key, want in expected_episode.items():
            assert episode[key].dtype == want.dtype, key
            np.testing.assert_allclose(episode[key], want, rtol=1e-6, err_msg=key)  # float32 stats vs float64
    assert ends >= 6 and terminated >= 1  # several episode ends, and not only time limits


def test_the_engine_writes_into_a_caller_supplied_observation_buffer():
    import torch  # the trainer's pinned-memory case, shown with a torch-owned buffer (torch: installed for tests)
    host = torch.zeros((2 * 4, 14, 11, 11), dtype=torch.uint8)
    vec = gridenv.vector.make("arena-small", num_envs=2, observations=host.numpy(), seed=0)
    assert np.shares_memory(vec.observations, host.numpy())
    assert host.sum().item() > 0  # reset wrote into the torch tensor itself
    before = host.clone()
    vec.step(np.ones(8, np.int32))
    assert not torch.equal(before, host)
    with pytest.raises(ValueError, match=r"observations: expected a writeable C-contiguous uint8 array of shape "
                                         r"\(8, 14, 11, 11\)"):
        gridenv.vector.make("arena-small", num_envs=2, observations=np.zeros((8, 14, 11, 11), np.float32))


def doc_python_block(heading):
    section = VECTOR_DOC.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return compile(block, f"{VECTOR_DOC.name}: {heading}", "exec")


def test_the_pufferlib_style_adapter_in_the_docs_runs():
    """The docs' adapter, run as written (its own imports), matches a plain VecEnv step by step, shares its buffers,
    and reports each finished episode's stats in the infos list."""
    namespace = {}
    exec(doc_python_block("PufferLib-style use (no dependency)"), namespace)
    overrides = {"game": {"max_steps": 25}}
    env = namespace["GridenvPuffer"](name="arena-small", num_envs=3, num_threads=2, **overrides)
    twin = gridenv.vector.make("arena-small", num_envs=3, seed=7, **overrides)
    observations, infos = env.reset(seed=7)
    assert observations is env.vec.observations and infos == []
    np.testing.assert_array_equal(observations, twin.observations)
    assert env.num_agents == 12 and env.single_action_space == twin.single_action_space
    ended = 0
    for actions in random_actions(np.random.default_rng(5), twin, 60):
        env.actions[:] = actions  # the policy writes into the adapter's buffer
        observations, rewards, terminals, truncations, infos = env.step(env.actions)
        expected = twin.step(actions)
        for got, want in zip((observations, rewards, terminals, truncations), expected[:4]):
            np.testing.assert_array_equal(got, want)
        assert observations is env.vec.observations and rewards is env.vec.rewards
        if twin.episode_done.any():
            ended += 1
            assert infos == [twin.finished_episode_stats()] and "heart.gained" in infos[0]
        else:
            assert infos == []
    assert ended == 2  # steps 25 and 50


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray (RLlib) is not installed")
def test_the_rllib_registration_in_the_docs_runs():
    from ray.tune.registry import ENV_CREATOR, _global_registry

    exec(doc_python_block("RLlib-style use (no dependency)"), {})
    env = _global_registry.get(ENV_CREATOR, "gridenv_arena")({"game": {"max_steps": 5}})
    observations, _ = env.reset(seed=0)
    assert set(observations) == set(gridenv.parallel_env("arena").possible_agents)


def test_a_saved_vector_env_continues_exactly_in_another_one():
    vec = gridenv.vector.make("arena-small", num_envs=3, num_threads=2, seed=1, game={"max_steps": 40})
    rng = np.random.default_rng(0)
    for actions in random_actions(rng, vec, 25):  # mid-episode
        vec.step(actions)
    state = vec.save_state()
    later = random_actions(rng, vec, 30)  # crosses an auto-reset at step 40
    expected = [tuple(np.copy(x) for x in vec.step(actions)[:4]) for actions in later]
    other = gridenv.vector.make("arena-small", num_envs=3, num_threads=1, seed=77, game={"max_steps": 40})
    observations, _ = other.load_state(state)
    for actions, want in zip(later, expected):
        got = other.step(actions)[:4]
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    assert other.save_state() == vec.save_state()
    with pytest.raises(ValueError, match=r"the state holds 3 worlds, this VecWorld 2"):
        gridenv.vector.make("arena-small", num_envs=2, game={"max_steps": 40}).load_state(state)


def test_gymnasium_vector_view_takes_one_seed_per_env_as_sync_vector_env_does():
    import gymnasium

    reference = gymnasium.vector.SyncVectorEnv([lambda: gridenv.SingleAgentEnv("maze-small")] * 3,
                                               autoreset_mode=gymnasium.vector.AutoresetMode.SAME_STEP)
    env = gridenv.vector.GymVectorEnv("maze-small", num_envs=3)
    seeds = [11, 3, 250]
    observations, _ = env.reset(seed=seeds)
    np.testing.assert_array_equal(observations, reference.reset(seed=seeds)[0])
    assert not np.array_equal(observations[0], env.reset(seed=[12, 3, 250])[0][0])
    with pytest.raises(ValueError, match=r"seed: expected an int or a list of 3 ints \(one per world\)"):
        env.reset(seed=[1, 2])
    with pytest.raises(ValueError, match=r"options\['reset_mask'\]: partial resets are for next-step autoreset"):
        env.reset(options={"reset_mask": np.array([True, False, False])})
