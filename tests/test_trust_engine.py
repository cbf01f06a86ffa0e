"""Defects found by adversarial testing (issue 16), engine side. Each test failed on the main before its fix: a6f2adb's
parent for the first pass (and the rules-digest tests), 9244ce1 for the second (placement by construction on crowded
maps of every generator; counters, groups, bodies, ghosts, kinship, markers, recipes and stats checked on load)."""

import struct

import numpy as np
import pytest
from scenes import act, inventory
from test_maps import agents_reach_each_other_and_every_converter
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
    with pytest.raises(ValueError, match=r"map.agents, map.converter_counts: 30 agents and 4 converters do not fit "
                                         r"inside the border of a 6x6 map \(16 cells\)"):
        gridenv.vector.make("arena", game={"num_agents": 30, "groups": [{"name": "a"}]},
                            map={"width": 6, "height": 6, "converter_counts": {"mine": 4, "charger": 0, "altar": 0}})
    vec = gridenv.vector.make("arena", game={"num_agents": 12, "groups": [{"name": "a"}], "max_steps": 1},
                              map={"width": 6, "height": 6, "wall_density": 0.9,
                                   "converter_counts": {"mine": 4, "charger": 0, "altar": 0}})
    vec.reset(seed=0)  # 16 objects in 16 cells: fits, however dense the walls are drawn
    for _ in range(20):
        vec.step()


def _crowded(map_config, agents, mines=0, chargers=0, altars=0):
    """One-step episodes (an auto-reset every step) of `agents` on a generated map with these converters."""
    return {"game": {"num_agents": agents, "groups": [{"name": "a"}], "max_steps": 1},
            "map": {"wall_density": 0.0, **map_config,
                    "converter_counts": {"mine": mines, "charger": chargers, "altar": altars}}}


# 3 agents and 13 converters in a 6x6 map (16 inner cells) with walls at 0.9: every draw and then the open interior
# can fail to place them (the greedy placement walls its own alcoves in). Before the placement by construction this
# vector env reset at seed 0, then its auto-reset at step 4 raised "no cell is left where another converter would
# not cut the map", and every later step "the world has not been reset".
DENSE_6X6 = _crowded({"width": 6, "height": 6, "wall_density": 0.9}, 3, mines=8, chargers=3, altars=2)


def test_a_dense_map_whose_draws_all_fail_still_resets_on_every_seed():
    vec = gridenv.vector.make("arena", num_envs=2, **DENSE_6X6)
    vec.reset(seed=0)
    for _ in range(300):  # max_steps 1: 300 auto-resets of each world
        vec.step(np.zeros(6, np.int32))
    env = gridenv.parallel_env("arena", **DENSE_6X6)
    for seed in range(120):  # seed 59 failed on every draw and on the open interior
        env.reset(seed=seed)
        tiles = env.state()
        assert (tiles == 2).sum() == 3 and (tiles >= 3).sum() == 13, seed
        assert agents_reach_each_other_and_every_converter(tiles), seed
    # The placement by construction is drawn from the seed's RNG stream too: same seed, same map and trajectory.
    first, second = (gridenv.vector.make("arena", num_envs=2, seed=7, **DENSE_6X6) for _ in range(2))
    for actions in np.random.default_rng(0).integers(0, first.single_action_space.n, (50, 6), dtype=np.int32):
        for mine, theirs in zip(first.step(actions)[:4], second.step(actions)[:4]):
            assert np.array_equal(mine, theirs)


def test_converters_that_cannot_all_keep_an_open_neighbour_are_refused_when_made():
    # A converter needs an open cell beside it that the agents reach. A 20x20 map holds at most 248 such converters
    # (72 in the border beside the interior, 176 inside it between open rows), though 324 objects fit in its interior.
    # Before, 250 were accepted and every reset raised; now they are refused when the env is made.
    with pytest.raises(ValueError, match=r"map.agents, map.converter_counts: 1 agents and 250 converters do not fit a "
                                         r"20x20 map: a converter needs an open cell beside it, and at most 248 can "
                                         r"have one on every draw; enlarge the map or lower the counts"):
        gridenv.vector.make("arena", **_crowded({"width": 20, "height": 20}, 1, mines=250))
    env = gridenv.parallel_env("arena", **_crowded({"width": 20, "height": 20}, 1, mines=248))
    for seed in range(30):  # 248 failed on every one of these seeds before; the placement by construction holds them
        env.reset(seed=seed)
        tiles = env.state()
        assert (tiles == 2).sum() == 1 and (tiles >= 3).sum() == 248, seed
        assert agents_reach_each_other_and_every_converter(tiles), seed
    # The smallest crowded maps hold as many as their interior (8x8: 36 cells, 1 agent and 35 converters).
    env = gridenv.parallel_env("arena", **_crowded({"width": 8, "height": 8}, 1, mines=35))  # failed on 95 in 100
    for seed in range(30):
        env.reset(seed=seed)
        assert agents_reach_each_other_and_every_converter(env.state()), seed


@pytest.mark.parametrize("map_config, agents, converters", [
    # 22 open cells. Before, World's one trial draw (seed 1) placed the 21 converters; seed 0 (and 3, 5, ...) could not
    ({"generator": "maze", "width": 7, "height": 7, "maze": {"corridor_width": 2}}, 1, 21),
    # one 13x15 room: 128 converters fitted on seed 1, not on seeds 0, 2, 3, 4, 6, ...
    ({"generator": "rooms", "width": 15, "height": 17, "rooms": {"rows": 1, "cols": 1}}, 3, 128),
])
def test_crowded_mazes_and_rooms_that_reset_once_reset_on_every_seed(map_config, agents, converters):
    config = _crowded(map_config, agents, mines=converters)
    env = gridenv.parallel_env("arena", **config)
    for seed in range(60):
        env.reset(seed=seed)
        tiles = env.state()
        assert (tiles == 2).sum() == agents and (tiles >= 3).sum() == converters, seed
        assert agents_reach_each_other_and_every_converter(tiles), seed
    vec = gridenv.vector.make("arena", num_envs=2, seed=1, **config)
    for _ in range(100):  # max_steps 1: an auto-reset of both worlds every step
        vec.step(np.zeros(2 * agents, np.int32))


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


@pytest.mark.parametrize("change", [
    {"game": {"converters": {"mine": {"cooldown": 19}}}}, {"game": {"converters": {"altar": {"max_uses": 3}}}},
    {"game": {"combat": {"freeze_steps": 9}}}, {"game": {"combat": {"steal_fraction": 0.25}}},
    {"game": {"shield": {"upkeep": 2}}}, {"game": {"share": {"amount": 11}}},
    {"game": {"build": {"max_walls_per_agent": 9}}}, {"game": {"marker_duration": 19}},
    {"game": {"goal": {"resource": "heart", "amount": 5}}}, {"game": {"shuffle_recipes": True}},
    {"game": {"obs_height": 9}}, {"kinship": {"normalize_rows": False}}, {"kinship": {"self_weight": 0.9}},
    {"kinship": {"bond_window": 4}}, {"kinship": {"bond_cost": 4}}, {"kinship": {"bond_weight": 0.5}},
    {"kinship": {"family_size": 3}}, {"map": {"cave": {"fill": 0.5}}},
])
def test_every_kind_of_rule_reaches_the_rules_digest(change):
    saved = gridenv.parallel_env("arena-small")
    saved.reset(seed=3)
    with pytest.raises(ValueError, match=r"saved under other rules \(the same sizes"):
        gridenv.parallel_env("arena-small", **change).load_state(saved.save_state())


def test_a_state_of_an_older_format_is_refused_by_its_version():
    env = gridenv.parallel_env("arena-small")
    env.reset(seed=0)
    state = env.save_state()
    older = state[:7] + bytes([1]) + state[8:-8]  # format 1: states without the rules digest
    with pytest.raises(ValueError, match=r"format version 1, this engine reads 2"):
        env.load_state(older + fnv1a(older))


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


# A saved world state field by field (the layout in cpp/world_state.cpp): fixed values, then arrays (a uint64 count and
# the items), so a test forges one named field. Agent: row, col, orientation, group, body, glyph, shield, frozen_until,
# walls_built, walls_destroyed, bond_target, bond_step, last_action, last_action_succeeded, terminated. Converter:
# row, col, kind, (padding), ready_step, uses, pending_step, pending_count, pending[4].
AGENT, CONVERTER = "2i5B3x6i2B2x", "2i2H8i"
WALLS_BUILT, WALLS_DESTROYED, BOND_TARGET, USES = 8, 9, 10, 5
LAYOUT = (("magic", "8s"), ("fingerprint", "8iQ"), ("rng", "4Q"), ("step", "i"), ("num_terminated", "i"),
          ("grid.cells", ["H"]), ("grid.marker_kinds", ["B"]), ("grid.marker_expiry", ["i"]),
          ("grid.marker_queue", ["Ii"]), ("grid.marker_head", "Q"), ("agents", [AGENT]), ("converters", [CONVERTER]),
          ("inventories", ["i"]), ("action_order", ["i"]), ("raw_rewards", ["f"]), ("recipe_of_kind", ["i"]),
          ("kinship.weights", ["f"]), ("kinship.quantized", ["B"]), ("kinship.row_sums", ["f"]),
          ("kinship.bonded", ["B"]), ("stats", ["d"]))


def fields(state: bytes) -> dict:
    """A saved world state split into its fields; an array is a list of items, each a list of its values."""
    parts, at = {}, 0
    for name, layout in LAYOUT:
        if isinstance(layout, str):
            parts[name] = list(struct.unpack_from("<" + layout, state, at))
            at += struct.calcsize("<" + layout)
            continue
        (count,), size = struct.unpack_from("<Q", state, at), struct.calcsize("<" + layout[0])
        parts[name] = [list(struct.unpack_from("<" + layout[0], state, at + 8 + i * size)) for i in range(count)]
        at += 8 + count * size
    assert at == len(state) - 8 and sealed(parts) == state, "the layout must account for every byte"
    return parts


def sealed(parts: dict) -> bytes:
    """The bytes of `parts` (see fields), with the checksum made to match."""
    body = b""
    for name, layout in LAYOUT:
        if isinstance(layout, str):
            body += struct.pack("<" + layout, *parts[name])
        else:
            body += struct.pack("<Q", len(parts[name]))
            body += b"".join(struct.pack("<" + layout[0], *item) for item in parts[name])
    return body + fnv1a(body)


def refuses(env, parts, message):
    before = env.save_state()
    with pytest.raises(ValueError, match=message):
        env.load_state(sealed(parts))
    assert env.save_state() == before  # a refused load leaves the world as it was


def test_counters_the_engine_increments_are_bounded_so_they_cannot_overflow():
    # With unlimited walls, ++walls_built on a loaded INT32_MAX was a signed overflow (UBSan); so was ++uses of a
    # converter without max_uses. One a step at most: after 2 steps, at most 2.
    env = social_env("#####\n#a01#\n#####", converters=ALTAR, kinship={"scheme": "selfish"},
                     game={"actions": ALL_ACTIONS, "build": {"max_walls_per_agent": 0, "max_destroys_per_agent": 0}})
    act(env)
    act(env)
    for field, index in (("walls_built", WALLS_BUILT), ("walls_destroyed", WALLS_DESTROYED)):
        for value in (2**31 - 1, 3, -1):
            parts = fields(env.save_state())
            parts["agents"][1][index] = value
            refuses(env, parts, rf"agents\[1\]\.{field}: {value} outside \[0, 2\] \(one a step at most\)")
    parts = fields(env.save_state())
    parts["converters"][0][USES] = 2**31 - 1
    refuses(env, parts, r"converters\[0\]\.uses: 2147483647 outside \[0, 2\] \(one use a step at most\)")
    capped = social_env(game={"actions": ALL_ACTIONS, "build": {"max_walls_per_agent": 1}})
    for _ in range(3):
        act(capped)
    parts = fields(capped.save_state())
    parts["agents"][0][WALLS_BUILT] = 2
    refuses(capped, parts, r"agents\[0\]\.walls_built: 2 outside \[0, 1\] \(one a step at most, and "
                           r"build\.max_walls_per_agent\)")


def test_groups_bodies_and_bond_offers_are_the_ones_the_rules_allow():
    env = social_env()  # PAIR: agent 0 in group 0, agent 1 in group 1, no posture bodies
    for index, value, message in ((3, 0, r"agents\[1\]\.group: 0, but the rules put agent 1 in group 1"),
                                  (4, 0, r"agents\[1\]\.body: 0, neither its group's body \(1\) nor its posture "
                                         r"body \(none\)"),
                                  (BOND_TARGET, 1, r"agents\[1\]\.bond_target: the agent itself")):
        parts = fields(env.save_state())
        parts["agents"][1][index] = value
        refuses(env, parts, message)


def test_an_object_on_a_second_cell_is_refused():
    # ######   a ghost of agent 1 (or of the altar) on the empty cell (1, 4): others could face, attack, bond with or
    # #a01.#   use it, and agent 1 would leave it behind when it moves
    # ######
    env = social_env("######\n#a01.#\n######", converters=ALTAR)
    cells = fields(env.save_state())["grid.cells"]
    empty = cells.index([5]) + 1  # agent 1 is object 1 (cell 4 + 1); (1, 4) follows it
    for ghost, message in ((5, r"grid\.cells: \(1, 4\) holds agent 1, which stands at \(1, 3\)"),
                           (6, r"grid\.cells: \(1, 4\) holds converter 0, which stands at \(1, 1\)")):
        parts = fields(env.save_state())
        parts["grid.cells"][empty] = [ghost]
        refuses(env, parts, message)


def test_kinship_weights_and_bonds_are_the_ones_the_rules_give():
    env = _env_with_a_converter()  # selfish: K = I until a bond
    parts = fields(env.save_state())
    parts["kinship.weights"] = [[1.0], [0.7], [0.7], [1.0]]  # in range and symmetric: it shared rewards before
    refuses(env, parts, r"kinship\.weights: agents 0 and 1 have weight 0\.700000; these rules give them 0\.000000 "
                        r"\(not bonded\)")
    for bonded, message in (([0, 1, 0, 0], "not symmetric"), ([1, 0, 0, 0], "agent 0 bonded to itself")):
        parts = fields(env.save_state())
        parts["kinship.bonded"] = [[flag] for flag in bonded]
        refuses(env, parts, rf"kinship\.bonded: {message}")
    parts = fields(env.save_state())
    parts["kinship.bonded"] = [[0], [1], [1], [0]]  # bonded, but the weight was never raised to bond_weight (1)
    refuses(env, parts, r"agents 0 and 1 have weight 0\.000000; these rules give them 1\.000000 \(bonded\)")
    teams = gridenv.parallel_env("arena-small")  # teams, kin weight 0.5
    teams.reset(seed=0)
    parts = fields(teams.save_state())
    weights = [w for (w,) in parts["kinship.weights"]]
    pair = next(i for i, w in enumerate(weights) if w == 0.5)
    parts["kinship.weights"][pair] = [0.25]
    parts["kinship.weights"][(pair % 4) * 4 + pair // 4] = [0.25]
    refuses(teams, parts, r"have weight 0\.250000; these rules give them 0\.500000 \(not bonded\)")


def test_markers_expire_as_dropped_and_only_on_the_map():
    env = social_env()  # markers last 20 steps
    act(env, agent_0="marker_0")  # dropped at step 0: expires at the end of step 20
    parts = fields(env.save_state())
    cell = parts["grid.marker_queue"][0][0]
    assert parts["grid.marker_kinds"][cell] == [1] and parts["grid.marker_queue"][0][1] == 21
    forged = fields(env.save_state())
    forged["grid.marker_queue"][0][1] = forged["grid.marker_expiry"][cell][0] = 10**9  # a marker that stays forever
    refuses(env, forged, r"grid\.marker_queue: an expiry step 1000000000 outside \[step \+ 1, step \+ "
                         r"marker_duration\] = \[2, 21\]")
    forged = fields(env.save_state())
    forged["grid.marker_kinds"][cell + 1] = [2]  # no queue entry: it would never expire
    refuses(env, forged, r"grid\.marker_kinds: a marker with no entry in the marker queue \(it would never expire\)")
    forged = fields(env.save_state())
    forged["grid.marker_kinds"][0] = [1]  # in the padding, where observations read it as a marker off the map
    refuses(env, forged, r"grid\.marker_kinds: a marker outside the map")


def test_recipes_must_be_a_permutation_and_stats_float32():
    env = social_env("#####\n#ab0#\n#####", converters={"altar": {"symbol": "a", "outputs": {"heart": 1}},
                                                         "bank": {"symbol": "b", "outputs": {"diamond": 1}}},
                     game={"actions": ALL_ACTIONS, "shuffle_recipes": True})
    parts = fields(env.save_state())
    parts["recipe_of_kind"] = [[0], [0]]  # both kinds follow the altar's recipe: no kind has the bank's
    refuses(env, parts, r"recipe_of_kind: not a permutation of the converter kinds")
    parts = fields(env.save_state())
    parts["stats"][0] = [1e300]  # VecEnv hands episode stats out as float32: it would come out as inf
    refuses(env, parts, r"stats: not a finite number in float32's range")


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
