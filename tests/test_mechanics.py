"""The resource economy on tiny ASCII maps, with the exact expected outcome beside each assertion."""

import pytest
from scenes import act, inventory, make_env, position

import gridenv

CHAIN_MAP = """\
#####
#m0c#
##a##
#####
"""


def test_mine_charge_deposit_earns_exactly_the_configured_reward():
    env = make_env(CHAIN_MAP, body={"initial_energy": 60}, game={"rewards": {"heart": 2.5}})
    # 0 faces the mine by trying to walk into it: the move fails, the agent turns west, 1 energy is spent.
    act(env, agent_0="move_west")
    assert position(env, 0) == (1, 2)
    assert env.world.agent_positions()[0][2] == 2  # west
    assert inventory(env, 0) == {"energy": 59, "diamond": 0, "heart": 0}
    _, rewards, *_ = act(env, agent_0="use")  # mine: {} -> 1 diamond
    assert inventory(env, 0) == {"energy": 58, "diamond": 1, "heart": 0} and rewards["agent_0"] == 0.0
    act(env, agent_0="use")  # the mine is cooling down (20 steps): nothing but the action's cost
    assert inventory(env, 0) == {"energy": 57, "diamond": 1, "heart": 0}
    act(env, agent_0="move_east")  # face the charger
    act(env, agent_0="use")  # charger: 1 diamond -> 25 energy;  56 - 1 + 25 = 80
    assert inventory(env, 0) == {"energy": 80, "diamond": 0, "heart": 0}
    act(env, agent_0="move_south")  # face the altar: 79
    _, rewards, *_ = act(env, agent_0="use")  # altar: 50 energy -> 1 heart;  79 - 1 - 50 = 28
    assert inventory(env, 0) == {"energy": 28, "diamond": 0, "heart": 1}
    assert rewards["agent_0"] == 2.5

    stats = env.episode_stats()[0]
    assert stats["heart.gained"] == 1 and stats["diamond.gained"] == 1 and stats["energy.gained"] == 25
    assert stats["energy.spent"] == 7  # seven actions at 1 energy each
    assert stats["energy.consumed"] == 50 and stats["diamond.consumed"] == 1
    assert stats["action.use"] == 4 and stats["action.use.failed"] == 1
    assert stats["action.move_west.failed"] == 1 and stats["action.move_east.failed"] == 1
    assert stats["mine.used"] == 1 and stats["charger.used"] == 1 and stats["altar.used"] == 1
    assert stats["reward"] == 2.5


def test_episode_stats_arrive_in_infos_on_the_last_step():
    env = make_env(CHAIN_MAP, body={"initial_energy": 60}, game={"max_steps": 3})
    act(env, agent_0="move_west")
    _, _, _, truncations, infos = act(env, agent_0="use")
    assert truncations == {"agent_0": False} and infos == {"agent_0": {"raw_reward": 0.0, "shared_reward": 0.0}}
    _, _, terminations, truncations, infos = act(env)
    assert truncations == {"agent_0": True} and terminations == {"agent_0": False}
    assert infos["agent_0"]["episode"]["diamond.gained"] == 1
    assert infos["agent_0"]["episode"]["action.noop"] == 1
    assert env.agents == []
    assert act(env) == ({}, {}, {}, {}, {})  # one more step with no live agents: nothing (SuperSuit's black_death)
    with pytest.raises(ValueError, match="not live agents: the episode is over, call reset"):
        env.step({"agent_0": 0})


def test_an_agent_without_enough_energy_does_nothing():
    env = make_env("#####\n#.0.#\n#####", body={"initial_energy": 2, "action_costs": {"move_east": 3}})
    act(env, agent_0="move_east")  # costs 3 > 2: no move, no turn, no energy spent
    assert position(env, 0) == (1, 2) and env.world.agent_positions()[0][2] == 0
    assert inventory(env, 0)["energy"] == 2
    assert env.episode_stats()[0]["action.move_east.failed"] == 1
    act(env, agent_0="move_west")  # costs 1 (default): moves
    assert position(env, 0) == (1, 1) and inventory(env, 0)["energy"] == 1


def test_energy_regenerates_up_to_the_cap():
    env = make_env("###\n#0#\n###", body={"initial_energy": 7, "energy_cap": 10, "energy_regen": 2})
    for expected in (9, 10, 10):  # +2 per step, capped at 10
        act(env)
        assert inventory(env, 0)["energy"] == expected


def test_a_conversion_that_would_overflow_a_cap_fails_whole():
    env = make_env("####\n#0c#\n####", body={"initial_energy": 90, "energy_cap": 100,
                                             "initial_inventory": {"diamond": 2}})
    act(env, agent_0="move_east")  # 89
    act(env, agent_0="use")  # 88 - 1 + 25 = 113 > 100: fails, keeps the diamonds
    assert inventory(env, 0) == {"energy": 88, "diamond": 2, "heart": 0}
    assert env.episode_stats()[0]["action.use.failed"] == 1


def test_converter_cooldown_and_observation_of_readiness():
    converters = {"mine": {"symbol": "m", "outputs": {"diamond": 1}, "cooldown": 3}}
    env = make_env("####\n#0m#\n####", body={"initial_energy": 100}, converters=converters,
                   game={"obs_height": 5, "obs_width": 5})
    act(env, agent_0="move_east")
    results = []
    for _ in range(6):
        observations, *_ = act(env, agent_0="use")
        mine_plane = observations["agent_0"][env.channel_names.index("converter_mine")]
        cooldown_plane = observations["agent_0"][env.channel_names.index("converter_cooldown")]
        results.append((inventory(env, 0)["diamond"], int(mine_plane[2, 3]), int(cooldown_plane[2, 3])))
    # used at the first step, unavailable for 3 steps, used again on the 5th
    assert results == [(1, 2, 3), (1, 2, 2), (1, 2, 1), (1, 1, 0), (2, 2, 3), (2, 2, 2)]


def test_max_uses_exhausts_a_converter():
    converters = {"mine": {"symbol": "m", "outputs": {"diamond": 1}, "max_uses": 2}}
    env = make_env("####\n#0m#\n####", body={"initial_energy": 100}, converters=converters)
    act(env, agent_0="move_east")
    for _ in range(4):
        act(env, agent_0="use")
    assert inventory(env, 0)["diamond"] == 2


@pytest.mark.parametrize(
    "ascii_map, action",
    [
        ("####\n#0##\n####", "move_east"),  # a wall
        ("####\n#01#\n####", "move_east"),  # another agent (which stays put)
        ("#0#", "move_north"),  # the map edge, no border wall
        ("####\n#0m#\n####", "move_east"),  # a converter
    ],
)
def test_a_blocked_move_leaves_the_agent_in_place_but_turns_it(ascii_map, action):
    env = make_env(ascii_map)
    before = env.world.agent_positions().tolist()
    act(env, agent_0=action)
    after = env.world.agent_positions().tolist()
    assert after[0][:2] == before[0][:2]
    assert after[0][2] == {"move_north": 0, "move_east": 3}[action]
    assert after[1:] == before[1:]
    assert env.episode_stats()[0][f"action.{action}.failed"] == 1


def test_two_agents_racing_for_one_cell_the_earlier_in_the_step_order_wins():
    # 0 moves east and 1 moves west into the same middle cell.
    outcomes = set()
    for seed in range(12):
        env = make_env("#####\n#0.1#\n#####")
        env.reset(seed=seed)
        act(env, agent_0="move_east", agent_1="move_west")
        first = env.world.action_order[0]
        winner = 0 if position(env, 0) == (1, 2) else 1
        loser = 1 - winner
        assert winner == first
        assert position(env, loser) == ((1, 3) if loser == 1 else (1, 1))
        outcomes.add(winner)
    assert outcomes == {0, 1}  # the shuffled order gives both agents their turn first


def test_a_freed_cell_can_be_taken_in_the_same_step():
    # 0 moves east into the cell 1 leaves, if 1 moves first.
    for seed in range(12):
        env = make_env("#####\n#01.#\n#####")
        env.reset(seed=seed)
        act(env, agent_0="move_east", agent_1="move_east")
        if list(env.world.action_order) == [1, 0]:
            assert position(env, 0) == (1, 2) and position(env, 1) == (1, 3)
        else:
            assert position(env, 0) == (1, 1) and position(env, 1) == (1, 3)


def test_observation_channels_on_a_known_scene():
    env = make_env("#####\n#0.m#\n#.1.#\n#####", groups=2, game={"obs_height": 5, "obs_width": 5})
    act(env, agent_0="move_east")  # 0 walks to (1, 2) and faces east
    observations, *_ = act(env)
    obs = observations["agent_0"]
    channel = {name: obs[i].tolist() for i, name in enumerate(env.channel_names)}
    # the window spans map rows -1..3 and columns 0..4; row -1 lies outside the map and reads as wall
    assert channel["wall"] == [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]]
    assert channel["agent"] == [[0] * 5, [0] * 5, [0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [0] * 5]
    assert channel["agent_group"] == [[0] * 5, [0] * 5, [0, 0, 1, 0, 0], [0, 0, 2, 0, 0], [0] * 5]
    assert channel["agent_orientation"] == [[0] * 5, [0] * 5, [0, 0, 4, 0, 0], [0, 0, 1, 0, 0], [0] * 5]
    assert channel["converter_mine"] == [[0] * 5, [0] * 5, [0, 0, 0, 1, 0], [0] * 5, [0] * 5]
    features = dict(zip(env.self_feature_names, [v for row in channel["self"] for v in row]))
    assert features == {"inventory_energy": 24, "inventory_diamond": 0, "inventory_heart": 0, "orientation": 4,
                        "group": 1, "episode_progress": 255 * 2 // 100, "last_action": 1, "last_action_succeeded": 1,
                        "frozen": 0, "shield": 0, "glyph": 0, "posture": 0}


def test_cells_outside_the_map_are_seen_as_walls():
    env = make_env("0", game={"obs_height": 5, "obs_width": 5})
    observations, _ = env.reset(seed=0)
    wall = observations["agent_0"][env.channel_names.index("wall")]
    assert wall.sum() == 24 and wall[2, 2] == 0


def test_agent_groups_come_from_the_map_digits():
    env = make_env("#####\n#1.0#\n#0..#\n#####", groups=2)
    # agents are numbered in reading order: (1,1) group 1, (1,3) group 0, (2,1) group 0
    assert env.game.agent_groups == [1, 0, 0]
    assert gridenv.parallel_env("arena").game.agent_groups == [g for g in range(4) for _ in range(6)]
