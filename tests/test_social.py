"""Social mechanics and kinship on tiny ASCII maps, with the exact expected outcome beside each assertion."""

import numpy as np
import pytest
from scenes import act, inventory, make_env, position

import gridenv

ALL_ACTIONS = ["noop", "move_north", "move_south", "move_west", "move_east", "use", "attack", "toggle_shield",
               "share", "glyph_0", "glyph_1", "glyph_2", "marker_0", "marker_1", "build", "destroy", "bond",
               "switch_body"]
PAIR = "#####\n#01.#\n#####"  # agent 0 (group 0) west of agent 1 (group 1)


def social_env(ascii_map=PAIR, body=None, game=None, kinship=None, **kwargs):
    env = make_env(ascii_map, body={"initial_energy": 50, **(body or {})},
                   game={"actions": ALL_ACTIONS, "glyphs": 3, **(game or {})}, **kwargs)
    if kinship is not None:
        config = env.config.model_copy(update={"kinship": gridenv.config.KinshipConfig(**kinship)})
        env = gridenv.parallel_env(config)
        env.reset(seed=0)
    return env


def channel(env, observations, agent, name):
    return observations[agent][env.channel_names.index(name)]


def test_attack_freezes_an_unshielded_target_and_steals_a_share_of_its_inventory():
    env = social_env(body={"initial_inventory": {"diamond": 5, "heart": 3}},
                     game={"combat": {"freeze_steps": 3, "steal_fraction": 0.5, "stealable": ["diamond", "heart"]}})
    act(env, agent_0="move_east")  # blocked by 1: 0 now faces it; 49
    observations, *_ = act(env, agent_0="attack")  # 49 - 5 = 44
    assert inventory(env, 0) == {"energy": 44, "diamond": 5 + 2, "heart": 3 + 1}  # floor(5 * .5), floor(3 * .5)
    assert inventory(env, 1) == {"energy": 50, "diamond": 3, "heart": 2}
    assert channel(env, observations, "agent_0", "agent_frozen")[5, 6] == 3  # 0 sees 1 frozen for 3 more steps
    for _ in range(3):  # frozen: moves do nothing and cost nothing
        act(env, agent_1="move_east")
        assert position(env, 1) == (1, 2) and inventory(env, 1)["energy"] == 50
    act(env, agent_1="move_east")
    assert position(env, 1) == (1, 3) and inventory(env, 1)["energy"] == 49
    stats = env.episode_stats()
    assert stats[0]["attack.hits"] == 1 and stats[0]["diamond.stolen"] == 2 and stats[1]["heart.lost_to_theft"] == 1
    assert stats[1]["frozen.steps"] == 3 and stats[1]["action.move_east.failed"] == 3


def test_an_attack_on_a_shielded_agent_freezes_nobody_and_drains_the_shield_energy():
    env = social_env(body={"initial_inventory": {"diamond": 4}},
                     game={"shield": {"upkeep": 1, "absorb_cost": 10}})
    act(env, agent_0="move_east", agent_1="toggle_shield")  # 1: 50 - 1 (toggle) - 1 (upkeep) = 48
    assert inventory(env, 1)["energy"] == 48
    observations, *_ = act(env, agent_0="attack")  # 1: 48 - 10 (absorbed) - 1 (upkeep) = 37
    assert inventory(env, 1) == {"energy": 37, "diamond": 4, "heart": 0}
    assert inventory(env, 0)["diamond"] == 4
    assert channel(env, observations, "agent_0", "agent_frozen")[5, 6] == 0
    assert channel(env, observations, "agent_0", "agent_shield")[5, 6] == 1
    act(env, agent_1="move_east")  # not frozen: it moves
    assert position(env, 1) == (1, 3)
    assert env.episode_stats()[0]["attack.blocked"] == 1 and env.episode_stats()[0]["attack.hits"] == 0
    assert env.episode_stats()[1]["shield.energy_absorbed"] == 10


def test_an_attack_on_a_frozen_agent_does_nothing_but_cost_the_attacker():
    env = social_env(body={"initial_inventory": {"diamond": 8}},
                     game={"combat": {"freeze_steps": 5, "steal_fraction": 0.5, "stealable": ["diamond"]}})
    act(env, agent_0="move_east")  # 0 faces 1: 49
    act(env, agent_0="attack")  # 44; 1 frozen for 5 steps, 0 takes floor(8 * .5) = 4
    act(env, agent_0="attack")  # 39; 1 is frozen: not robbed again, its freeze not extended
    assert inventory(env, 0) == {"energy": 39, "diamond": 12, "heart": 0}
    assert inventory(env, 1)["diamond"] == 4
    assert env.world.agent_states()[1][3] == 4  # 5 steps from the first hit, one gone
    stats = env.episode_stats()[0]
    assert stats["attack.hits"] == 1 and stats["action.attack.failed"] == 1


def test_a_steal_takes_only_what_the_attacker_has_room_for():
    env = social_env(body={"initial_inventory": {"diamond": 5}, "resource_caps": {"diamond": 6}},
                     game={"combat": {"steal_fraction": 0.5, "stealable": ["diamond"]}})
    act(env, agent_0="move_east")
    act(env, agent_0="attack")  # floor(5 * .5) = 2 stealable, but the attacker has room for 1: the rest stays
    assert inventory(env, 0)["diamond"] == 6 and inventory(env, 1)["diamond"] == 4
    assert env.episode_stats()[0]["diamond.stolen"] == 1


def test_a_shield_that_absorbs_a_hit_it_cannot_pay_for_drops():
    env = social_env(body={"initial_energy": 8}, game={"shield": {"upkeep": 1, "absorb_cost": 10}})
    act(env, agent_0="move_east", agent_1="toggle_shield")  # 0: 7; 1: 8 - 1 - 1 (upkeep) = 6, raised
    act(env, agent_0="attack")  # 0: 2; 1 has 6 < 10: loses all 6, the shield drops (no upkeep), still not frozen
    assert inventory(env, 0)["energy"] == 2 and inventory(env, 1)["energy"] == 0
    body, _, shield, frozen, _ = env.world.agent_states()[1]
    assert shield == 0 and frozen == 0
    assert env.episode_stats()[0]["attack.blocked"] == 1 and env.episode_stats()[1]["shield.energy_absorbed"] == 6


def test_share_can_give_a_resource_other_than_energy():
    env = social_env(body={"initial_inventory": {"diamond": 3}}, game={"share": {"resource": "diamond", "amount": 2}})
    act(env, agent_0="move_east")  # 49
    act(env, agent_0="share")  # 0: 48 energy, 1 diamond; 1: 5 diamonds
    assert inventory(env, 0) == {"energy": 48, "diamond": 1, "heart": 0} and inventory(env, 1)["diamond"] == 5
    act(env, agent_0="share")  # 1 < 2: nothing given, the action's 1 energy paid
    assert inventory(env, 0) == {"energy": 47, "diamond": 1, "heart": 0} and inventory(env, 1)["diamond"] == 5


def test_each_group_has_its_own_regen_and_inventory_caps():
    config = {
        "name": "bodies",
        "game": {
            "num_agents": None, "actions": ALL_ACTIONS, "glyphs": 3,
            "share": {"resource": "diamond", "amount": 3},
            "groups": [
                {"name": "fast", "body": {"initial_energy": 55, "energy_cap": 60, "energy_regen": 2,
                                          "initial_inventory": {"diamond": 9}}},
                {"name": "small", "body": {"initial_energy": 50, "energy_regen": 0,
                                           "resource_caps": {"diamond": 2}}},
            ],
        },
        "map": {"ascii": "#####\n#01.#\n#####"},
    }
    env = gridenv.parallel_env(config)
    env.reset(seed=0)
    energies = []
    for _ in range(3):
        act(env)  # noop costs 0
        energies.append((inventory(env, 0)["energy"], inventory(env, 1)["energy"]))
    assert energies == [(57, 50), (59, 50), (60, 50)]  # +2 per step up to the cap of 60; the other group: +0
    act(env, agent_0="move_east")  # 60 - 1 + 1 (regen up to the cap)
    act(env, agent_0="share")  # group "small" holds at most 2 diamonds: 3 do not fit, nothing moves
    assert inventory(env, 0)["diamond"] == 9 and inventory(env, 1)["diamond"] == 0
    assert env.episode_stats()[0]["action.share.failed"] == 1


def test_the_arena_shares_reward_within_teams():
    config = gridenv.resolve_config("arena")
    assert config.kinship.scheme == "teams" and config.kinship.kin_weight == 0.5
    env = gridenv.parallel_env("arena")
    env.reset(seed=0)
    matrix = env.kinship_matrix()
    team = np.repeat(np.arange(4), 6)  # 24 agents in 4 teams of 6, in agent order
    expected = np.where(team[:, None] == team[None, :], 0.5, 0.0)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(matrix, expected)


def test_a_shield_drops_when_its_upkeep_cannot_be_paid():
    env = social_env(body={"initial_energy": 3}, game={"shield": {"upkeep": 1, "absorb_cost": 10}})
    act(env, agent_1="toggle_shield")  # 3 - 1 - 1 = 1, raised
    assert env.world.agent_states()[1][2] == 1
    act(env)  # 1 - 1 = 0, still raised
    assert env.world.agent_states()[1][2] == 1 and inventory(env, 1)["energy"] == 0
    act(env)  # 0 < 1: drops
    assert env.world.agent_states()[1][2] == 0
    assert env.episode_stats()[1]["shield.steps"] == 2

def test_a_shield_lowered_again_costs_no_upkeep_and_no_longer_stops_a_hit():
    env = social_env(body={"initial_inventory": {"diamond": 4}},
                     game={"shield": {"upkeep": 1, "absorb_cost": 10},
                           "combat": {"freeze_steps": 3, "steal_fraction": 0.5, "stealable": ["diamond"]}})
    act(env, agent_0="move_east", agent_1="toggle_shield")  # 0 faces 1: 49; 1 raises: 50 - 1 - 1 (upkeep) = 48
    assert env.world.agent_states()[1][2] == 1 and inventory(env, 1)["energy"] == 48
    act(env, agent_1="toggle_shield")  # lowered: 48 - 1 = 47, no upkeep
    assert env.world.agent_states()[1][2] == 0 and inventory(env, 1)["energy"] == 47
    act(env)  # down: no upkeep, still 47
    assert inventory(env, 1)["energy"] == 47
    observations, *_ = act(env, agent_0="attack")  # 0: 44; nothing absorbs: 1 frozen for 3, 0 takes floor(4 * .5)
    assert inventory(env, 0) == {"energy": 44, "diamond": 6, "heart": 0}
    assert inventory(env, 1) == {"energy": 47, "diamond": 2, "heart": 0}  # no absorb cost
    assert env.world.agent_states()[1][2:4].tolist() == [0, 3]  # shield down, frozen 3 more steps
    assert channel(env, observations, "agent_0", "agent_shield")[5, 6] == 0
    assert channel(env, observations, "agent_0", "agent_frozen")[5, 6] == 3
    stats = env.episode_stats()
    assert stats[1]["shield.steps"] == 1 and stats[1]["energy.spent"] == 3  # 2 toggles + 1 upkeep
    assert stats[0]["attack.hits"] == 1 and stats[0]["attack.blocked"] == 0
    assert stats[1]["shield.energy_absorbed"] == 0



def test_share_gives_the_configured_amount_or_nothing():
    env = social_env(body={"energy_cap": 60}, game={"share": {"resource": "energy", "amount": 10}})
    act(env, agent_0="move_east")  # 0: 49
    act(env, agent_0="share")  # 0: 49 - 1 - 10 = 38; 1: 60
    assert inventory(env, 0)["energy"] == 38 and inventory(env, 1)["energy"] == 60
    act(env, agent_0="share")  # 1 is full (cap 60): nothing given; 0 pays the action only
    assert inventory(env, 0)["energy"] == 37 and inventory(env, 1)["energy"] == 60
    stats = env.episode_stats()
    assert stats[0]["share.given"] == 10 and stats[1]["share.received"] == 10 and stats[0]["action.share.failed"] == 1


def test_glyphs_show_on_the_agent_and_markers_fade_after_their_duration():
    env = social_env(game={"marker_duration": 2})
    observations, *_ = act(env, agent_0="glyph_2", agent_1="marker_1")
    assert channel(env, observations, "agent_1", "agent_glyph")[5, 4] == 3  # glyph 2 shown as 3, west of 1
    seen = [channel(env, observations, "agent_0", "marker")[5, 6]]
    for _ in range(2):
        observations, *_ = act(env)
        seen.append(channel(env, observations, "agent_0", "marker")[5, 6])
    assert seen == [2, 2, 0]  # marker 1 shown as 2 for two steps, then gone
    assert env.episode_stats()[1]["markers.dropped"] == 1


def test_build_and_destroy_walls_within_limits():
    env = social_env("######\n#0...#\n######", body={"initial_inventory": {"diamond": 3}},
                     game={"build": {"cost": {"diamond": 1}, "max_walls_per_agent": 1}})
    act(env, agent_0="move_east")  # 0 steps to (1, 2), facing east: 49
    act(env, agent_0="build")  # wall at (1, 3) for 1 diamond and 5 energy: 44
    assert env.state()[1, 3] == 1 and inventory(env, 0) == {"energy": 44, "diamond": 2, "heart": 0}
    act(env, agent_0="destroy")  # 2 energy: 42
    assert env.state()[1, 3] == 0 and inventory(env, 0)["energy"] == 42
    act(env, agent_0="build")  # the limit of one wall per agent is reached
    assert env.state()[1, 3] == 0 and inventory(env, 0)["diamond"] == 2
    act(env, agent_0="move_north")  # faces the map-edge wall
    act(env, agent_0="destroy")  # edge walls are indestructible
    assert env.state()[0, 2] == 1
    stats = env.episode_stats()[0]
    assert stats["walls.built"] == 1 and stats["walls.destroyed"] == 1 and stats["action.destroy.failed"] == 1

def test_destroy_fails_after_the_per_agent_limit_and_still_costs_its_energy():
    env = social_env("#######\n#0##1.#\n#######", game={"build": {"max_destroys_per_agent": 1}})
    # #######
    # #0##1.#   two inner walls at (1, 2) and (1, 3)
    # #######
    act(env, agent_0="move_east")  # blocked by the wall: faces it, 49
    act(env, agent_0="destroy")  # 47: (1, 2) removed, 0's one destroy used
    act(env, agent_0="move_east")  # 46: steps to (1, 2), faces (1, 3)
    act(env, agent_0="destroy")  # over the limit: the wall stays, the action's 2 paid: 44
    # #######
    # #.0#1.#
    # #######
    assert env.state()[1].tolist() == [1, 0, 2, 1, 2, 0, 1] and inventory(env, 0)["energy"] == 44
    act(env, agent_1="move_west")  # 1 faces (1, 3): 49
    act(env, agent_1="destroy")  # the limit is per agent: 1 may still destroy one, 47
    assert env.state()[1, 3] == 0 and inventory(env, 1)["energy"] == 47
    stats = env.episode_stats()
    assert [s["walls.destroyed"] for s in stats] == [1, 1] and [s["action.destroy.failed"] for s in stats] == [1, 0]
    assert stats[0]["energy.spent"] == 1 + 2 + 1 + 2
    env.reset(seed=0)  # the limit is per episode
    act(env, agent_0="move_east")
    act(env, agent_0="destroy")
    assert env.state()[1, 2] == 0 and env.episode_stats()[0]["walls.destroyed"] == 1


def test_build_fails_without_the_resource_and_onto_an_occupied_cell():
    bodies = [{"name": "poor", "body": {"initial_energy": 50, "energy_regen": 0}},
              {"name": "rich", "body": {"initial_energy": 50, "energy_regen": 0, "initial_inventory": {"diamond": 3}}}]
    env = social_env("#######\n#0..1.#\n#######", game={"groups": bodies, "build": {"cost": {"diamond": 1}}})
    act(env, agent_0="move_east")  # 0 (no diamonds) to (1, 2), facing the empty (1, 3): 49
    act(env, agent_0="build")  # 0 < 1 diamond: no wall, the action's 5 paid: 44
    # #######
    # #.0.1.#   (1, 3) still empty
    # #######
    assert env.state()[1].tolist() == [1, 0, 2, 0, 2, 0, 1] and inventory(env, 0)["energy"] == 44
    act(env, agent_1="move_west")  # 1 to (1, 3), facing 0 at (1, 2): 49
    act(env, agent_1="build")  # the faced cell holds an agent: no wall, diamonds kept, 5 paid: 44
    # #######
    # #.01..#
    # #######
    assert env.state()[1].tolist() == [1, 0, 2, 2, 0, 0, 1]
    assert inventory(env, 1) == {"energy": 44, "diamond": 3, "heart": 0}
    act(env, agent_0="move_west")  # 0 steps back to (1, 1): 1 now faces the empty (1, 2)
    act(env, agent_1="build")  # builds: 39, 1 diamond
    # #######
    # #0#1..#
    # #######
    assert env.state()[1].tolist() == [1, 2, 1, 2, 0, 0, 1]
    assert inventory(env, 1) == {"energy": 39, "diamond": 2, "heart": 0}
    stats = env.episode_stats()
    assert [s["walls.built"] for s in stats] == [0, 1] and [s["action.build.failed"] for s in stats] == [1, 1]
    assert [s["diamond.consumed"] for s in stats] == [0, 1]



def test_groups_have_their_own_bodies_and_switch_to_their_posture():
    config = {
        "name": "bodies",
        "game": {
            "num_agents": None, "actions": ALL_ACTIONS, "glyphs": 3,
            "groups": [
                {"name": "runners", "body": {"initial_energy": 50, "energy_regen": 0},
                 "posture": {"energy_cap": 30, "energy_regen": 0, "action_costs": {"move_west": 3}}},
                {"name": "walkers", "body": {"initial_energy": 50, "energy_regen": 0,
                                             "action_costs": {"move_east": 2}}},
            ],
        },
        "map": {"ascii": "#######\n#.0.1.#\n#######"},
    }
    env = gridenv.parallel_env(config)
    env.reset(seed=0)
    act(env, agent_1="move_east")  # walkers pay 2
    assert inventory(env, 1)["energy"] == 48
    act(env, agent_0="switch_body")  # 50 - 1 = 49 > posture cap 30: refused, nothing dropped
    assert env.world.agent_states()[0][0] == 0 and inventory(env, 0)["energy"] == 49
    for _ in range(19):
        act(env, agent_0="glyph_0")  # spend down to 30
    act(env, agent_0="switch_body")  # 30 - 1 = 29 <= 30: switches to body 2 (the posture)
    assert env.world.agent_states()[0][0] == 2
    act(env, agent_0="move_west")  # the posture's cost: 3
    assert inventory(env, 0)["energy"] == 26 and position(env, 0) == (1, 1)
    observations, *_ = act(env, agent_0="switch_body")  # back to its own body
    assert env.world.agent_states()[0][0] == 0
    features = dict(zip(env.self_feature_names, observations["agent_0"][-1].reshape(-1)))
    assert features["posture"] == 0


TEAM_MAP = "#####\n#a0.#\n#0.1#\n#####"  # agents 0 and 1 are group 0, agent 2 is group 1; 0 is next to the altar


@pytest.mark.parametrize(
    "kinship, expected",
    [
        ({"scheme": "selfish"}, [1.0, 0.0, 0.0]),
        ({"scheme": "teams", "kin_weight": 0.5, "normalize_rows": False}, [1.0, 0.5, 0.0]),
        ({"scheme": "teams", "kin_weight": 0.5, "normalize_rows": True}, [1 / 1.5, 0.5 / 1.5, 0.0]),
    ],
)
def test_teammates_share_the_heart_as_documented(kinship, expected):
    env = social_env(TEAM_MAP, body={"initial_energy": 60}, kinship=kinship)
    act(env, agent_0="move_west")  # faces the altar: 59
    _, rewards, _, _, infos = act(env, agent_0="use")  # 58 >= 50: a heart, raw reward 1
    assert [infos[a]["raw_reward"] for a in env.possible_agents] == [1.0, 0.0, 0.0]
    assert [rewards[a] for a in env.possible_agents] == pytest.approx(expected, abs=1e-6)
    assert [infos[a]["shared_reward"] for a in env.possible_agents] == [rewards[a] for a in env.possible_agents]


def test_teams_kinship_is_observed_quantised():
    env = social_env(TEAM_MAP, kinship={"scheme": "teams", "kin_weight": 0.5})
    observations, _ = env.reset(seed=0)
    kin = channel(env, observations, "agent_0", "agent_kinship")
    assert kin[5, 5] == 255 and kin[6, 4] == 128 and kin[6, 6] == 0  # self, teammate, other team
    np.testing.assert_allclose(env.kinship_matrix(), [[1, .5, 0], [.5, 1, 0], [0, 0, 1]])

@pytest.mark.parametrize(
    "kinship, expected",
    [  # agent 0 makes a heart (raw reward 1); K = [[s, k, 0], [k, s, 0], [0, 0, s]] for teams, s I for selfish
        ({"scheme": "teams", "kin_weight": 0.5, "self_weight": 0.25, "normalize_rows": False}, [0.25, 0.5, 0.0]),
        ({"scheme": "teams", "kin_weight": 0.5, "self_weight": 0.25, "normalize_rows": True},
         [0.25 / 0.75, 0.5 / 0.75, 0.0]),  # rows of 0 and 1 sum to 0.75: the teammate gets more than the maker
        ({"scheme": "selfish", "self_weight": 0.5, "normalize_rows": False}, [0.5, 0.0, 0.0]),
        ({"scheme": "selfish", "self_weight": 0.5, "normalize_rows": True}, [1.0, 0.0, 0.0]),  # 0.5 / 0.5
    ],
)
def test_self_weight_scales_the_own_share_of_the_reward(kinship, expected):
    env = social_env(TEAM_MAP, body={"initial_energy": 60}, kinship=kinship)
    s, k = kinship["self_weight"], kinship.get("kin_weight", 0.0) * (kinship["scheme"] == "teams")
    np.testing.assert_allclose(env.kinship_matrix(), [[s, k, 0], [k, s, 0], [0, 0, s]])
    act(env, agent_0="move_west")  # faces the altar: 59
    observations, rewards, _, _, infos = act(env, agent_0="use")  # 58 >= 50: a heart, raw reward 1
    assert [infos[a]["raw_reward"] for a in env.possible_agents] == [1.0, 0.0, 0.0]
    assert [rewards[a] for a in env.possible_agents] == pytest.approx(expected, abs=1e-6)
    stats = env.episode_stats()
    assert [st["reward"] for st in stats] == pytest.approx(expected, abs=1e-6)
    assert [st["reward.raw"] for st in stats] == [1.0, 0.0, 0.0]
    assert channel(env, observations, "agent_0", "agent_kinship")[5, 5] == round(255 * s)  # 64 or 128 at the centre



def test_clans_nest_families_in_clans_in_tribes():
    config = gridenv.resolve_config("arena", game={"num_agents": 16}, kinship={
        "scheme": "clans", "family_size": 2, "families_per_clan": 2, "clans_per_tribe": 2,
        "family_weight": 0.5, "clan_weight": 0.25, "tribe_weight": 0.125})
    env = gridenv.parallel_env(config)
    env.reset(seed=0)
    ids = np.arange(16)
    expected = np.where(ids[:, None] // 8 == ids[None, :] // 8, 0.125, 0.0)
    expected = np.where(ids[:, None] // 4 == ids[None, :] // 4, 0.25, expected)
    expected = np.where(ids[:, None] // 2 == ids[None, :] // 2, 0.5, expected)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(env.kinship_matrix(), expected)


def test_random_kinship_is_symmetric_beta_distributed_and_redrawn_each_episode():
    env = gridenv.parallel_env("arena", kinship={"scheme": "random", "beta_a": 2.0, "beta_b": 5.0})
    env.reset(seed=1)
    first = env.kinship_matrix()
    np.testing.assert_array_equal(first, first.T)
    np.testing.assert_array_equal(np.diag(first), 1.0)
    off_diagonal = first[~np.eye(24, dtype=bool)]
    assert ((off_diagonal > 0) & (off_diagonal < 1)).all()
    assert abs(off_diagonal.mean() - 2 / 7) < 0.04  # mean of Beta(2, 5); 276 pairs
    env.reset()
    assert not np.array_equal(env.kinship_matrix(), first)
    env.reset(seed=1)
    np.testing.assert_array_equal(env.kinship_matrix(), first)

CLAN_MAP = "###########\n#.a.a.....#\n#000000000#\n###########"  # agents 0-8 in a row; 1 and 3 under altars
CLANS = {"scheme": "clans", "family_size": 2, "families_per_clan": 2, "clans_per_tribe": 2,
         "family_weight": 0.5, "clan_weight": 0.25, "tribe_weight": 0.125}


def make_two_hearts(env):
    """Agents 1 and 3 each make a heart in the second step; returns (raw, shared) rewards in agent order."""
    act(env, agent_1="move_north", agent_3="move_north")  # both face their altar: 59
    _, rewards, _, _, infos = act(env, agent_1="use", agent_3="use")  # a heart each
    return ([infos[a]["raw_reward"] for a in env.possible_agents], [rewards[a] for a in env.possible_agents])


@pytest.mark.parametrize(
    "normalize, expected",
    [  # r'_i = K[i, 1] + K[i, 3]; families {0,1} {2,3} {4,5} {6,7} {8}, clans {0-3} {4-7} {8}, tribes {0-7} {8}
        (False, [0.5 + 0.25, 1 + 0.25, 0.25 + 0.5, 0.25 + 1, 0.25, 0.25, 0.25, 0.25, 0.0]),
        (True, [0.3, 0.5, 0.3, 0.5, 0.1, 0.1, 0.1, 0.1, 0.0]),  # rows 0-7 sum to 1 + 0.5 + 2 * 0.25 + 4 * 0.125 = 2.5
    ],
)
def test_clans_share_step_rewards_by_family_clan_and_tribe(normalize, expected):
    env = social_env(CLAN_MAP, body={"initial_energy": 60}, kinship={**CLANS, "normalize_rows": normalize})
    np.testing.assert_allclose(env.kinship_matrix()[1], [0.5, 1, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0])
    raw, shared = make_two_hearts(env)
    assert raw == [0, 1, 0, 1, 0, 0, 0, 0, 0]
    assert shared == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("normalize", [False, True])
def test_random_kinship_shares_step_rewards_as_k_r(normalize):
    env = social_env(CLAN_MAP, body={"initial_energy": 60},
                     kinship={"scheme": "random", "beta_a": 2.0, "beta_b": 5.0, "normalize_rows": normalize})
    K = env.kinship_matrix()
    raw, shared = make_two_hearts(env)
    assert raw == [0, 1, 0, 1, 0, 0, 0, 0, 0]
    expected = K[:, 1] + K[:, 3]  # K r with r = e_1 + e_3
    if normalize:
        expected = expected / K.sum(axis=1)
    assert shared == pytest.approx(expected.tolist(), rel=1e-5)
    assert all(r > 0 for r in shared)  # unlike clans, every agent has some kinship to 1 and 3



BOND_MAP = "####\n#01#\n####"


def test_a_bond_needs_both_agents_within_the_window():
    env = social_env(BOND_MAP, kinship={"scheme": "bonds", "bond_window": 2, "bond_weight": 0.8, "bond_cost": 5})
    act(env, agent_0="move_east", agent_1="move_west")  # face each other: 49 each
    act(env, agent_0="bond")  # an offer only: 49 - 3 = 46
    np.testing.assert_allclose(env.kinship_matrix(), np.eye(2))
    for _ in range(2):  # the offer expires after 2 steps
        act(env)
    act(env, agent_1="bond")  # too late: this is a new offer from 1, no bond
    np.testing.assert_allclose(env.kinship_matrix(), np.eye(2))
    act(env, agent_0="bond")  # within 1's window: bond, each pays 5 on top of the action's 3
    np.testing.assert_allclose(env.kinship_matrix(), [[1.0, 0.8], [0.8, 1.0]])
    assert inventory(env, 0)["energy"] == 46 - 3 - 5 and inventory(env, 1)["energy"] == 49 - 3 - 5
    assert env.episode_stats()[0]["bonds.formed"] == 1 and env.episode_stats()[1]["bonds.formed"] == 1
    observations, *_ = act(env)
    assert channel(env, observations, "agent_0", "agent_kinship")[5, 6] == round(255 * 0.8)
    env.reset(seed=0)  # bonds last one episode
    np.testing.assert_allclose(env.kinship_matrix(), np.eye(2))


@pytest.mark.parametrize("kin_weight", [0.8, 0.3])
def test_a_bond_raises_kinship_never_lowers_it_and_forms_once(kin_weight):
    env = social_env("####\n#00#\n####", kinship={"scheme": "teams", "kin_weight": kin_weight, "bond_window": 3,
                                                   "bond_weight": 0.3, "bond_cost": 5})
    act(env, agent_0="move_east", agent_1="move_west")  # face each other: 49 each
    act(env, agent_0="bond")  # offer: 46
    act(env, agent_1="bond")  # accepted: 46 - 5 and 49 - 3 - 5
    assert [s["bonds.formed"] for s in env.episode_stats()] == [1, 1]
    assert inventory(env, 0)["energy"] == 41 and inventory(env, 1)["energy"] == 41
    np.testing.assert_allclose(env.kinship_matrix(), [[1.0, kin_weight], [kin_weight, 1.0]])  # max(kin, 0.3)
    act(env, agent_0="bond")
    act(env, agent_1="bond")  # the pair has bonded this episode: both fail (and pay the action's 3)
    stats = env.episode_stats()
    assert [s["bonds.formed"] for s in stats] == [1, 1] and [s["action.bond.failed"] for s in stats] == [1, 1]
    assert inventory(env, 0)["energy"] == 38 and inventory(env, 1)["energy"] == 38

@pytest.mark.parametrize("window", [1, 3])
@pytest.mark.parametrize("late, bonded", [(0, True), (1, False)])
def test_an_offer_stands_for_exactly_bond_window_steps(window, late, bonded):
    env = social_env(BOND_MAP, kinship={"scheme": "bonds", "bond_window": window, "bond_weight": 0.8, "bond_cost": 5})
    act(env, agent_0="move_east", agent_1="move_west")  # face each other: 49 each
    act(env, agent_0="bond")  # step t: 0 offers, 46
    for _ in range(window + late - 1):
        act(env)
    act(env, agent_1="bond")  # step t + window: the bond forms; t + window + 1: too late, only 1's own offer
    weight = 0.8 if bonded else 0.0
    np.testing.assert_allclose(env.kinship_matrix(), [[1.0, weight], [weight, 1.0]])
    if bonded:  # 0: 46 - 5, 1: 49 - 3 - 5
        assert inventory(env, 0)["energy"] == 41 and inventory(env, 1)["energy"] == 41
    else:  # 0: 46, 1: 49 - 3
        assert inventory(env, 0)["energy"] == 46 and inventory(env, 1)["energy"] == 46
    assert [s["bonds.formed"] for s in env.episode_stats()] == [int(bonded)] * 2


@pytest.mark.parametrize("window", [0, 3])
def test_offers_made_in_the_same_step_bond_whatever_the_order(window):
    env = social_env(BOND_MAP, kinship={"scheme": "bonds", "bond_window": window, "bond_weight": 0.8, "bond_cost": 5})
    orders = set()
    for seed in range(8):
        env.reset(seed=seed)
        act(env, agent_0="move_east", agent_1="move_west")  # face each other: 49 each
        act(env, agent_0="bond", agent_1="bond")  # the first in the order offers, the second accepts at once
        orders.add(tuple(env.world.action_order))
        np.testing.assert_allclose(env.kinship_matrix(), [[1.0, 0.8], [0.8, 1.0]])
        assert inventory(env, 0)["energy"] == 41 and inventory(env, 1)["energy"] == 41  # 49 - 3 - 5 each
    assert orders == {(0, 1), (1, 0)}


@pytest.mark.parametrize("poor", [0, 1])  # 0 offers, 1 accepts; the poor one cannot pay the bond cost
def test_no_bond_forms_when_a_partner_cannot_pay_the_bond_cost(poor):
    env = social_env(BOND_MAP, body={"initial_energy": 12},
                     kinship={"scheme": "bonds", "bond_window": 3, "bond_weight": 0.8, "bond_cost": 5})
    act(env, agent_0="move_east", agent_1="move_west")  # face each other: 11 each
    for _ in range(4):
        act(env, **{f"agent_{poor}": "glyph_0"})  # the poor one spends down to 7
    act(env, agent_0="bond")  # 0 offers: pays the action's 3
    act(env, agent_1="bond")  # 1 pays the action's 3; the poor one holds 7 - 3 = 4 < 5: no bond, no bond cost paid
    np.testing.assert_allclose(env.kinship_matrix(), np.eye(2))
    rich = 1 - poor
    assert inventory(env, poor)["energy"] == 4 and inventory(env, rich)["energy"] == 11 - 3
    stats = env.episode_stats()
    assert [s["bonds.formed"] for s in stats] == [0, 0] and [s["action.bond.failed"] for s in stats] == [0, 1]
    assert stats[poor]["energy.spent"] == 1 + 4 + 3 and stats[rich]["energy.spent"] == 1 + 3



def test_bonded_partners_share_reward():
    env = social_env("#####\n#a01#\n#####", body={"initial_energy": 60},
                     kinship={"scheme": "bonds", "bond_window": 3, "bond_weight": 1.0, "bond_cost": 0})
    act(env, agent_1="move_west")  # 1 faces 0
    act(env, agent_1="bond")
    act(env, agent_0="move_east")  # 0 faces 1 (blocked)
    act(env, agent_0="bond")  # bond formed
    act(env, agent_0="move_west")  # 0 faces the altar
    _, rewards, *_ = act(env, agent_0="use")
    assert rewards == pytest.approx({"agent_0": 0.5, "agent_1": 0.5})  # (1 + 0) / 2 each, rows normalised


def test_social_config_errors_name_the_field():
    with pytest.raises(ValueError, match=r"actions: 'glyph_5' needs glyphs > 5, but glyphs is 4"):
        gridenv.resolve_config("arena", game={"actions": ["noop", "glyph_5"]})
    with pytest.raises(ValueError, match=r"unknown action 'glyph'; allowed: .*glyph_<k>, marker_<k>"):
        gridenv.resolve_config("arena", game={"actions": ["glyph"]})
    with pytest.raises(ValueError, match=r"kinship\.scheme\n  Input should be 'selfish', 'teams', 'random', 'clans'"):
        gridenv.resolve_config("arena", kinship={"scheme": "family"})
    with pytest.raises(ValueError, match=r"kinship\.self_weight\n  Input should be greater than 0"):
        gridenv.resolve_config("arena", kinship={"self_weight": 0})
    with pytest.raises(ValueError, match=r"combat\.stealable: unknown resource 'gold'"):
        gridenv.resolve_config("arena", game={"combat": {"stealable": ["gold"]}})
    with pytest.raises(ValueError, match=r"combat\.steal_fraction\n  Input should be less than or equal to 1"):
        gridenv.resolve_config("arena", game={"combat": {"steal_fraction": 1.5}})


def test_random_play_with_every_mechanic_keeps_the_world_consistent():
    from test_pettingzoo_api import ALL_MECHANICS_CONFIG

    config = gridenv.resolve_config(ALL_MECHANICS_CONFIG, game={"max_steps": 400})
    env = gridenv.parallel_env(config)
    caps = {0: 100, 1: 100, 2: 40}  # energy cap per body (2 is group a's posture)
    rng = np.random.default_rng(0)
    for seed in range(3):
        env.reset(seed=seed)
        while env.agents:
            env.step({agent: int(rng.integers(env.action_space(agent).n)) for agent in env.agents})
            positions = [tuple(p[:2]) for p in env.world.agent_positions()]
            assert len(set(positions)) == len(positions)  # no two agents on one cell
            tiles = env.state()
            assert all(tiles[r, c] == 2 for r, c in positions)
            assert (tiles == 2).sum() == len(positions)
            for (body, *_), inv in zip(env.world.agent_states(), env.world.inventories()):
                assert 0 <= inv[0] <= caps[body] and all(0 <= v <= 255 for v in inv)
            K = env.kinship_matrix()
            np.testing.assert_array_equal(K, K.T)
        stats = env.episode_stats()
        total = {name: sum(s[name] for s in stats) for name in stats[0]}
        # outcomes, not attempts (seeds 0-2: walls built 4, 3, 2; destroyed 8, 4, 3; attacks landed 6, 4, 2)
        assert total["walls.built"] > 0 and total["walls.destroyed"] > 0
        assert total["attack.hits"] + total["attack.blocked"] > 0 and total["mine.used"] > 0
        assert total["action.switch_body"] > total["action.switch_body.failed"]  # some switches went through
        # random play forms no bond in these episodes (offers are rarely returned in time): offers that stood
        assert total["action.bond"] > total["action.bond.failed"]


def test_a_partner_robbed_while_waiting_drops_out_of_a_joint_use():
    # #####
    # #0a1#   the altar needs two users paying a diamond each; agents are numbered in reading order:
    # #23.#   2 (below 0) attacks 0 and takes its diamond; 3 stands below the altar
    # #####
    converters = {"altar": {"symbol": "a", "inputs": {"diamond": 1}, "outputs": {"heart": 1}, "users_required": 2}}
    game = {"combat": {"freeze_steps": 2, "steal_fraction": 1.0, "stealable": ["diamond"]}}
    env = social_env("#####\n#0a1#\n#23.#\n#####", body={"initial_inventory": {"diamond": 1}},
                     game=game, converters=converters)
    for seed in range(300):
        env.reset(seed=seed)
        act(env, agent_0="move_east", agent_1="move_west", agent_2="move_north", agent_3="move_north")  # all face
        _, rewards, *_ = act(env, agent_0="use", agent_1="use", agent_2="attack", agent_3="use")
        rank = {agent: list(env.world.action_order).index(agent) for agent in range(4)}
        if rank[0] < rank[2] < rank[1] < rank[3]:
            break
    else:
        pytest.fail("no seed gave the order 0 < 2 < 1 < 3")
    # 0 joins and loses its diamond to 2, so it no longer qualifies; 1 joins what is left (alone), 3 completes:
    # 1 and 3 pay a diamond and get a heart each; 0 gets nothing.
    assert rewards == {"agent_0": 0.0, "agent_1": 1.0, "agent_2": 0.0, "agent_3": 1.0}, seed
    assert [inventory(env, a)["diamond"] for a in range(4)] == [0, 0, 2, 0]
    assert [inventory(env, a)["heart"] for a in range(4)] == [0, 1, 0, 1]


def test_a_marker_dropped_again_on_a_marked_cell_lasts_its_full_duration():
    env = social_env(game={"marker_duration": 3})
    act(env, agent_1="marker_0")  # step 1: marker 0 at agent 1's cell (1, 2), until step 4
    act(env)
    act(env, agent_1="marker_1")  # step 3: marker 1 on the same cell, until step 6
    seen = []
    for _ in range(4):
        observations, *_ = act(env)
        seen.append(channel(env, observations, "agent_0", "marker")[5, 6])
    assert seen == [2, 2, 0, 0]  # the older drop's expiry (step 4) does not clear the newer marker; gone at 6


def test_the_marker_queue_stays_bounded_by_the_map_however_long_markers_last():
    # Two agents dropping a marker every step for 3000 steps with markers that never fade in the episode: the engine
    # keeps at most two queue entries per cell (stale ones are compacted away), so memory does not grow with steps.
    env = social_env(game={"marker_duration": 1_000_000, "max_steps": 5000},
                     body={"action_costs": {"marker": 0}})
    memory = {}
    for step in range(3000):
        act(env, agent_0=f"marker_{step % 2}", agent_1=f"marker_{(step + 1) % 2}")
        if step + 1 in (1000, 3000):
            memory[step + 1] = env.world.memory_bytes
    assert memory[3000] == memory[1000]  # (unbounded, the queue grew two entries a step: 69,787 against 20,635 B)
    assert env.episode_stats()[0]["markers.dropped"] == 3000


@pytest.mark.parametrize("a, b", [(0.001, 0.001), (0.005, 0.02), (1e-4, 3.0)])
def test_random_kinship_stays_finite_for_tiny_beta_parameters(a, b):
    # Drawn naively, Gamma(a) underflows to 0 for tiny shapes and Beta = 0 / 0 became NaN (3 episodes in 20 at
    # a = b = 0.005, every one at 0.002), and NaN rewards followed on every step.
    env = make_env("#####\n#0.1#\n#2.3#\n#####", game={"max_steps": 5}, render_mode=None)
    config = env.config.model_copy(update={"kinship": gridenv.config.KinshipConfig(
        scheme="random", beta_a=a, beta_b=b, normalize_rows=True)})
    env = gridenv.parallel_env(config)
    for seed in range(40):
        env.reset(seed=seed)
        matrix = env.kinship_matrix()
        off_diagonal = matrix[~np.eye(4, dtype=bool)]
        assert np.isfinite(matrix).all() and ((off_diagonal >= 0) & (off_diagonal <= 1)).all(), seed
        while env.agents:
            _, rewards, *_ = env.step({agent: 0 for agent in env.agents})
            assert all(np.isfinite(r) for r in rewards.values())
