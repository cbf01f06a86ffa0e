"""Same config + seed => identical trajectories (in one process and across processes); another seed => another map."""

import hashlib
import subprocess
import sys

import numpy as np

import gridenv

ROLLOUT = """
import hashlib, numpy as np, gridenv
env = gridenv.parallel_env("arena", game={"max_steps": 150})
digest = hashlib.sha256()
observations, _ = env.reset(seed=1234)
rng = np.random.default_rng(99)
while env.agents:
    actions = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
    observations, rewards, terminations, truncations, infos = env.step(actions)
    for agent in sorted(observations):
        digest.update(observations[agent].tobytes())
        digest.update(np.float32(rewards[agent]).tobytes())
print(digest.hexdigest())
"""


def rollout(env, seed, action_seed, steps):
    observations, _ = env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    trajectory = [observations]
    for _ in range(steps):
        actions = {agent: int(rng.integers(env.action_space(agent).n)) for agent in env.agents}
        observations, rewards, terminations, truncations, _ = env.step(actions)
        trajectory.append((observations, rewards, terminations, truncations))
    return trajectory


def assert_same(a, b):
    assert len(a) == len(b)
    for step_a, step_b in zip(a, b):
        if isinstance(step_a, tuple):
            observations_a, *rest_a = step_a
            observations_b, *rest_b = step_b
            assert rest_a == rest_b
        else:
            observations_a, observations_b = step_a, step_b
        assert observations_a.keys() == observations_b.keys()
        for agent in observations_a:
            np.testing.assert_array_equal(observations_a[agent], observations_b[agent])


def test_two_envs_with_the_same_seed_and_actions_agree_step_by_step():
    first = rollout(gridenv.parallel_env("arena"), seed=7, action_seed=1, steps=200)
    second = rollout(gridenv.parallel_env("arena"), seed=7, action_seed=1, steps=200)
    assert_same(first, second)


def test_reset_without_a_seed_continues_the_seeded_sequence():
    a, b = gridenv.parallel_env("arena-small"), gridenv.parallel_env("arena-small")
    a.reset(seed=5)
    b.reset(seed=5)
    maps_a = [a.reset()[0]["agent_0"] for _ in range(3)]
    maps_b = [b.reset()[0]["agent_0"] for _ in range(3)]
    for x, y in zip(maps_a, maps_b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(maps_a[0], maps_a[1])  # each episode draws a new map


def test_a_different_seed_gives_a_different_map():
    env = gridenv.parallel_env("arena", render_mode="ansi")
    env.reset(seed=1)
    first = env.render()
    env.reset(seed=2)
    second = env.render()
    env.reset(seed=1)
    assert env.render() == first
    assert first != second


def test_trajectories_are_identical_across_processes():
    digests = {
        subprocess.run([sys.executable, "-c", ROLLOUT], capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(2)
    }
    local = {}
    exec(compile(ROLLOUT.replace("print(digest.hexdigest())", "result = digest.hexdigest()"), "rollout", "exec"),
         local)
    assert digests == {local["result"]}
    assert len(local["result"]) == 64 and hashlib.sha256(b"").hexdigest() != local["result"]
