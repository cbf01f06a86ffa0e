"""Same config + seed => identical trajectories (in one process and across processes); another seed => another map."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest

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


CONTINUE_FROM_STATE = """
import hashlib, sys, numpy as np, gridenv
from test_determinism import ALL_MECHANICS_STATE_CONFIG
env = gridenv.parallel_env(ALL_MECHANICS_STATE_CONFIG)
env.load_state(open(sys.argv[1], "rb").read())
rng = np.random.default_rng(7)
digest = hashlib.sha256()
while env.agents:
    observations, rewards, *_ = env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
    for agent in sorted(observations):
        digest.update(observations[agent].tobytes() + np.float32(rewards[agent]).tobytes())
print(digest.hexdigest(), env.episode_stats()[0]["markers.dropped"])
"""
ALL_MECHANICS_STATE_CONFIG = {
    "game": {"num_agents": 8, "max_steps": 120,
             "actions": ["noop", "move_north", "move_south", "move_west", "move_east", "use", "attack",
                         "toggle_shield", "share", "glyph_0", "marker_0", "marker_1", "build", "destroy", "bond",
                         "switch_body"],
             "groups": [{"name": "a", "posture": {"energy_cap": 40}}, {"name": "b"}]},
    "map": {"generator": "cave", "width": 16, "height": 14, "converter_counts": {"mine": 4, "charger": 2, "altar": 2}},
    "kinship": {"scheme": "bonds", "bond_window": 5, "bond_cost": 0},
}


def test_a_saved_state_continues_exactly_in_another_env_and_another_process(tmp_path):
    env = gridenv.parallel_env(ALL_MECHANICS_STATE_CONFIG)
    env.reset(seed=5)
    rng = np.random.default_rng(3)
    for _ in range(40):  # mid-episode: markers down, walls built, agents frozen or bonded
        env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
    state = env.save_state()
    (tmp_path / "world.state").write_bytes(state)

    def continue_from(target):
        observations = target.load_state(state)
        rng = np.random.default_rng(7)
        steps = [observations]
        while target.agents:
            steps.append(target.step({a: int(rng.integers(target.action_space(a).n)) for a in target.agents})[:4])
        return steps, target.episode_stats()

    original, original_stats = continue_from(env)
    other = gridenv.parallel_env(ALL_MECHANICS_STATE_CONFIG)
    other.reset(seed=999)  # another episode entirely, overwritten by the load
    copy, copy_stats = continue_from(other)
    assert len(original) == 81 and original_stats == copy_stats
    for a, b in zip(original, copy):
        for part_a, part_b in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            assert part_a.keys() == part_b.keys()
            for agent in part_a:
                np.testing.assert_array_equal(part_a[agent], part_b[agent])
    assert env.save_state() == other.save_state()  # and they end in the same state, byte for byte

    expected = hashlib.sha256()
    for observations, rewards, *_ in original[1:]:
        for agent in sorted(observations):
            expected.update(observations[agent].tobytes() + np.float32(rewards[agent]).tobytes())
    result = subprocess.run([sys.executable, "-c", CONTINUE_FROM_STATE, str(tmp_path / "world.state")],
                            capture_output=True, text=True, check=True, cwd=str(__import__("pathlib").Path(__file__).parent))
    digest, markers = result.stdout.split()
    assert digest == expected.hexdigest() and float(markers) == original_stats[0]["markers.dropped"]


def test_states_from_other_rules_or_damaged_bytes_are_refused():
    env = gridenv.parallel_env(ALL_MECHANICS_STATE_CONFIG)
    env.reset(seed=1)
    state = env.save_state()
    damaged = bytearray(state)
    damaged[len(state) // 2] ^= 0x10
    for bad, message in ((bytes(damaged), "damaged"), (state[:-9], "damaged|truncated"), (b"", "truncated"),
                         (b"\x00" * 64, "damaged")):
        with pytest.raises(ValueError, match=rf"World\.load_state: .*({message})"):
            env.load_state(bad)
    with pytest.raises(ValueError, match=r"saved by a world of other rules \(8 agents on 14x16, this one 4 on 12x12"):
        small = gridenv.parallel_env("arena-small")
        small.load_state(state)
    assert env.save_state() == state  # bytes refused before loading leave the world as it was

    def fnv1a(data: bytes) -> bytes:
        value = 0xCBF29CE484222325
        for byte in data:
            value = ((value ^ byte) * 0x100000001B3) % 2**64
        return value.to_bytes(8, "little")

    # Well-formed bytes with a value out of range (the step counter, after the 8-byte magic, the 40-byte fingerprint
    # (8 sizes and the rules digest) and the 32-byte RNG: offset 80)
    # pass the checksum and are refused by the checks, which run before anything is replaced: the world is as it was.
    env.step({agent: 0 for agent in env.agents})
    before = env.save_state()
    forged = bytearray(state[:-8])
    forged[80:84] = (-5).to_bytes(4, "little", signed=True)
    with pytest.raises(ValueError, match=r"step: outside \[0, max_steps\]"):
        env.load_state(bytes(forged) + fnv1a(bytes(forged)))
    assert env.save_state() == before and env.world.step_count == 1
    zero_rng = bytearray(state[:-8])
    zero_rng[48:80] = bytes(32)  # xoshiro's all-zero state would hang the next shuffle
    with pytest.raises(ValueError, match=r"rng: an all-zero generator state"):
        env.load_state(bytes(zero_rng) + fnv1a(bytes(zero_rng)))
    env.step({agent: 0 for agent in env.agents})  # still steps
    assert env.load_state(state).keys() == set(env.possible_agents)  # a good state loads


def test_forged_states_never_crash_the_engine():
    # Random bytes changed inside a state, with the checksum made to match: every load either raises ValueError or
    # gives a world that steps (the checks cover every value that indexes memory). A crash would kill this process.
    env = gridenv.parallel_env(ALL_MECHANICS_STATE_CONFIG)
    env.reset(seed=2)
    rng = np.random.default_rng(0)
    for _ in range(30):
        env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
    body = env.save_state()[:-8]
    outcomes = {"refused": 0, "loaded": 0}
    for _ in range(150):
        forged = bytearray(body)
        for position in rng.integers(40, len(body), size=int(rng.integers(1, 4))):  # past magic and fingerprint
            forged[position] = int(rng.integers(256))
        forged = bytes(forged)
        checksum = 0xCBF29CE484222325
        for byte in forged:
            checksum = ((checksum ^ byte) * 0x100000001B3) % 2**64
        try:
            env.load_state(forged + checksum.to_bytes(8, "little"))
        except ValueError:
            outcomes["refused"] += 1
            env.reset(seed=int(rng.integers(1000)))  # a refused load left nothing behind that a reset would trip on
            env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
            continue
        outcomes["loaded"] += 1
        for _ in range(5):
            if not env.agents:
                break
            env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes
