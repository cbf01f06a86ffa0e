"""Defects found by adversarial testing (issue 16), engine side. Each test failed on the main of 2026-12-03."""

import struct

import numpy as np
import pytest
from scenes import act, inventory
from test_social import ALL_ACTIONS, social_env

import gridenv
import gridenv.vector


def fnv1a(data: bytes) -> bytes:
    """The saved state's closing checksum, so a forged value passes it and meets the engine's own checks."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) % 2**64
    return value.to_bytes(8, "little")


def forge(state: bytes, old: bytes, new: bytes) -> bytes:
    """`state` with the one occurrence of `old` replaced by `new` (same length) and the checksum made to match."""
    body = state[:-8]
    assert body.count(old) == 1, "the pattern must identify one field"
    forged = body.replace(old, new)
    return forged + fnv1a(forged)


# --- 3: bonds share rewards under every scheme, selfish (the default) included ------------------------------------

ALTAR = {"altar": {"symbol": "a", "outputs": {"heart": 1}}}


@pytest.mark.parametrize("scheme", ["selfish", "bonds"])
def test_a_bond_shares_rewards_under_the_selfish_scheme_too(scheme):
    env = social_env("#####\n#a01#\n#####", converters=ALTAR, kinship={"scheme": scheme, "bond_weight": 1.0})
    act(env, agent_0="move_west")  # blocked by the altar: 0 now faces it
    _, rewards, *_ = act(env, agent_0="use")  # before any bond: 0 keeps its heart
    assert rewards == {"agent_0": 1.0, "agent_1": 0.0}
    act(env, agent_0="move_east", agent_1="move_west")  # blocked by each other: now face to face
    act(env, agent_0="bond")
    act(env, agent_1="bond")  # bonded: K = [[1, 1], [1, 1]]
    assert env.kinship_matrix().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    act(env, agent_0="move_west")  # face the altar again
    _, rewards, *_ = act(env, agent_0="use")
    assert rewards == {"agent_0": 0.5, "agent_1": 0.5}  # (1 * 1 + 1 * 0) / 2 each: shared with the bonded partner
    assert inventory(env, 0)["heart"] == 2 and env.episode_stats()[1]["reward"] == 0.5
    env.reset(seed=0)  # bonds last one episode: selfish again, and the fast path is back
    act(env, agent_0="move_west")
    _, rewards, *_ = act(env, agent_0="use")
    assert rewards == {"agent_0": 1.0, "agent_1": 0.0}


def test_a_bond_survives_save_and_load_under_the_selfish_scheme():
    env = social_env("#####\n#a01#\n#####", converters=ALTAR, kinship={"scheme": "selfish"})
    act(env, agent_0="move_east", agent_1="move_west")
    act(env, agent_0="bond")
    act(env, agent_1="bond")
    state = env.save_state()
    other = social_env("#####\n#a01#\n#####", converters=ALTAR, kinship={"scheme": "selfish"})
    other.load_state(state)
    act(other, agent_0="move_west")
    _, rewards, *_ = act(other, agent_0="use")
    assert rewards == {"agent_0": 0.5, "agent_1": 0.5}


# --- 4: a config that resets once resets always -------------------------------------------------------------------

CROWDED = {"game": {"num_agents": 4, "groups": [{"name": "a"}], "max_steps": 2},
           "map": {"width": 8, "height": 8, "wall_density": 0.4,
                   "converter_counts": {"mine": 2, "charger": 1, "altar": 1}},
           "kinship": {"scheme": "selfish"}}


def test_auto_resets_of_a_crowded_dense_map_never_fail():
    # On the old main this vector env reset at seed 0, then its auto-reset at step 15 raised "4 agents and 4
    # converters do not fit in the 6 cells of the largest connected open area", and every later step raised
    # "the world has not been reset".
    vec = gridenv.vector.make("arena", num_envs=4, **CROWDED)
    vec.reset(seed=0)
    for _ in range(400):  # 200 auto-resets of each world
        vec.step()
    for seed in range(300):
        env = gridenv.parallel_env("arena", **CROWDED)
        env.reset(seed=seed)
        tiles = env.state()
        assert (tiles == 2).sum() == 4 and (tiles >= 3).sum() == 4, seed  # every agent and converter placed


def test_a_map_that_can_never_fit_is_refused_when_made():
    with pytest.raises(ValueError, match=r"map.agents, converter_counts: 30 agents and 4 converters do not fit "
                                         r"inside the border of a 6x6 map \(16 cells\)"):
        gridenv.vector.make("arena", game={"num_agents": 30, "groups": [{"name": "a"}]},
                            map={"width": 6, "height": 6, "converter_counts": {"mine": 4, "charger": 0, "altar": 0}})
    vec = gridenv.vector.make("arena", game={"num_agents": 12, "groups": [{"name": "a"}], "max_steps": 1},
                              map={"width": 6, "height": 6, "wall_density": 0.9,
                                   "converter_counts": {"mine": 4, "charger": 0, "altar": 0}})
    vec.reset(seed=0)  # 16 objects in 16 cells: fits, however dense the walls are drawn
    for _ in range(20):
        vec.step()


# --- 5: a state loads only under the rules it was saved by --------------------------------------------------------

@pytest.mark.parametrize("change", [
    {"kinship": {"scheme": "selfish"}},
    {"kinship": {"scheme": "teams", "kin_weight": 0.25}},
    {"game": {"rewards": {"heart": 2.0, "diamond": 0.1}}},
    {"game": {"max_steps": 199}},
    {"map": {"wall_density": 0.1}},
])
def test_a_state_saved_under_other_rules_of_the_same_sizes_is_refused(change):
    saved = gridenv.parallel_env("arena-small")  # teams, kin weight 0.5
    saved.reset(seed=3)
    saved.step({agent: 0 for agent in saved.agents})
    state = saved.save_state()
    other = gridenv.parallel_env("arena-small", **change)
    other.reset(seed=3)
    before = other.save_state()
    with pytest.raises(ValueError, match=r"saved under other rules \(the same sizes, but another kinship scheme"):
        other.load_state(state)
    assert other.save_state() == before
    same = gridenv.parallel_env("arena-small")
    same.load_state(state)  # the same rules load
    assert same.save_state() == state


# --- 7: loaded values the engine computes with are bounded --------------------------------------------------------

def _env_with_a_converter():
    env = social_env("#####\n#a01#\n#####", converters=ALTAR, kinship={"scheme": "selfish"},
                     body={"initial_inventory": {"diamond": 7}})
    return env


def test_a_negative_or_over_cap_inventory_is_refused_by_name():
    env = _env_with_a_converter()
    state = env.save_state()
    mine = struct.pack("<3i", 50, 7, 0)  # an agent's inventory: energy, diamond, heart
    for amount in (-1, 51):  # the body's diamond cap is 50
        forged = forge(state, mine + mine, mine + struct.pack("<3i", 50, amount, 0))
        with pytest.raises(ValueError, match=rf"inventories\[1\]\[diamond\]: {amount} outside \[0, 50\]"):
            env.load_state(forged)
    assert env.save_state() == state


def test_a_forged_converter_ready_step_or_frozen_timer_is_refused():
    env = _env_with_a_converter()
    state = env.save_state()
    converter = struct.pack("<2i2H8i", 1, 1, 0, 0, 0, 0, -1, 0, -1, -1, -1, -1)  # row, col, kind, pad, ready, uses...
    for ready_step in (-2**31, 2**31 - 1):  # int32 extremes: step - ready_step overflowed in the observation
        forged = forge(state, converter, struct.pack("<2i2H8i", 1, 1, 0, 0, ready_step, 0, -1, 0, -1, -1, -1, -1))
        with pytest.raises(ValueError, match=r"converters\[0\]: inconsistent with the rules or the grid"):
            env.load_state(forged)
    observations, *_ = act(env)  # the world is as it was and steps
    assert observations["agent_0"].shape == env.observation_space("agent_0").shape


def test_forged_kinship_weights_are_refused_and_derived_parts_rebuilt():
    env = _env_with_a_converter()
    state = env.save_state()
    weights = struct.pack("<Q4f", 4, 1.0, 0.0, 0.0, 1.0)
    for bad, message in (((1.0, 0.7, 0.0, 1.0), "not symmetric"), ((1.0, float("nan"), float("nan"), 1.0),
                                                                    r"a weight outside \[0, 1\]"),
                         ((0.5, 0.0, 0.0, 1.0), "the diagonal is not kinship.self_weight")):
        with pytest.raises(ValueError, match=rf"kinship.weights: {message}"):
            env.load_state(forge(state, weights, struct.pack("<Q4f", 4, *bad)))
    # Row sums are what shared rewards are divided by: a forged zero is rebuilt from the weights, not trusted.
    sums = struct.pack("<Q2f", 2, 1.0, 1.0)
    env.load_state(forge(state, sums, struct.pack("<Q2f", 2, 0.0, 0.0)))
    act(env, agent_0="move_west")
    _, rewards, *_ = act(env, agent_0="use")
    assert rewards == {"agent_0": 1.0, "agent_1": 0.0} and all(np.isfinite(list(rewards.values())))


def test_a_world_without_converters_saves_and_loads():
    # Empty arrays in the state (no converters): the loader's copy of zero bytes must not touch a null pointer
    # (UBSan flagged memcpy(nullptr, ..., 0); the sanitizer job in .ci/sanitizers runs this test).
    env = social_env("####\n#01#\n####", game={"actions": ALL_ACTIONS}, converters={})
    state = env.save_state()
    env.load_state(state)
    assert env.save_state() == state


# --- rules that pydantic refuses are refused by the engine too (gridenv._core.GameRules is writable from Python) -----
# (found by the config fuzzer's boundary mode, tests/fuzz/fuzz_config.py)

def _rules(name="maze"):
    return gridenv.parallel_env(name).config.to_rules()


@pytest.mark.parametrize("reward", [float("nan"), float("inf"), 1e7])
def test_the_engine_refuses_non_finite_or_huge_rewards(reward):
    rules = _rules("arena-small")
    rules.resource_rewards = [0.0, 0.1, reward]
    with pytest.raises(ValueError, match=r"resource_rewards.heart: must be a finite number in \[-1e6, 1e6\]"):
        gridenv._core.World(rules)


def test_the_engine_refuses_a_goal_of_zero_and_a_repeated_action():
    rules = _rules()
    rules.goal_amount = 0
    with pytest.raises(ValueError, match=r"goal_amount: must be in \[1, 255\], got 0"):
        gridenv._core.World(rules)
    rules = _rules()
    rules.actions = [(0, 0), (5, 0), (0, 0)]
    with pytest.raises(ValueError, match=r"actions: entries 0 and 2 are the same action"):
        gridenv._core.World(rules)


def test_overrides_after_a_replaced_parent_are_named_not_a_traceback():
    config = gridenv.resolve_config("arena-small")
    with pytest.raises(ValueError, match=r"'game.rewards.heart': game.rewards is a int \(an earlier override set it"):
        gridenv.apply_overrides(config, ["game.rewards=5", "game.rewards.heart=1"])
    replaced = gridenv.apply_overrides(config, ["game={}", "game.rewards.heart=2"])
    assert replaced.game.rewards == {"heart": 2.0} and replaced.game.max_steps == 1000  # the rest: defaults
