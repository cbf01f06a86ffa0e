"""Acts toward kin counted apart (share, attack, theft, joint use), and recipe pools (the held-out split's engine
side), on tiny ASCII maps with the exact expected outcome."""

import numpy as np
import pytest
from scenes import act, inventory
from test_social import TEAM_MAP, social_env

import gridenv
import gridenv.vector

TEAMS = {"scheme": "teams", "kin_weight": 0.5}
KIN_MAP = "#####\n#0..#\n#01.#\n#####"  # agents 0 (above) and 1 are group 0, agent 2 (east of 1) is group 1
KIN_STATS = ("share.given.kin", "attack.hits.kin", "stolen.kin", "joint_uses", "joint_uses.kin")


@pytest.mark.parametrize("kinship, kin_given", [({"scheme": "selfish"}, 0), (TEAMS, 10)])
def test_a_share_to_a_teammate_counts_as_given_to_kin(kinship, kin_given):
    env = social_env(KIN_MAP, kinship=kinship, game={"share": {"amount": 10}})
    act(env, agent_0="move_south")  # blocked by 1 (its teammate, group 0): 0 faces it; 49
    act(env, agent_0="share")  # 48 - 10
    assert inventory(env, 0)["energy"] == 38 and inventory(env, 1)["energy"] == 60
    stats = env.episode_stats()
    assert stats[0]["share.given"] == 10 and stats[0]["share.given.kin"] == kin_given


@pytest.mark.parametrize("attacker, target, kin", [(1, 0, True), (1, 2, False)])
def test_attacks_and_thefts_on_kin_are_counted_apart(attacker, target, kin):
    # KIN_MAP: 1 attacks 0 (north, kin under teams) or 2 (east, another group)
    env = social_env(KIN_MAP, body={"initial_inventory": {"diamond": 4}}, kinship=TEAMS,
                     game={"combat": {"steal_fraction": 0.5, "stealable": ["diamond"]}})
    act(env, **{f"agent_{attacker}": "move_north" if target == 0 else "move_east"})
    act(env, **{f"agent_{attacker}": "attack"})
    stats = env.episode_stats()[attacker]
    assert stats["attack.hits"] == 1 and stats["diamond.stolen"] == 2
    assert stats["attack.hits.kin"] == (1 if kin else 0) and stats["stolen.kin"] == (2 if kin else 0)


@pytest.mark.parametrize("kinship, kin_uses", [({"scheme": "selfish"}, 0), (TEAMS, 1)])
def test_a_joint_use_counts_for_every_user_and_with_kin_when_all_partners_are(kinship, kin_uses):
    converters = {"altar": {"symbol": "a", "inputs": {"diamond": 1}, "outputs": {"heart": 1}, "users_required": 2}}
    env = social_env("#####\n#0a0#\n#..1#\n#####", body={"initial_inventory": {"diamond": 1}}, kinship=kinship,
                     converters=converters)
    act(env, agent_0="move_east", agent_1="move_west")  # both face the altar
    _, rewards, *_ = act(env, agent_0="use", agent_1="use")
    assert rewards["agent_0"] > 0 and rewards["agent_1"] > 0
    stats = env.episode_stats()
    assert [s["joint_uses"] for s in stats[:2]] == [1, 1] and stats[2]["joint_uses"] == 0
    assert [s["joint_uses.kin"] for s in stats[:2]] == [kin_uses, kin_uses]


def test_a_single_user_converter_is_no_joint_use():
    env = social_env(TEAM_MAP, body={"initial_energy": 60}, kinship=TEAMS)
    act(env, agent_0="move_west")
    act(env, agent_0="use")
    assert env.episode_stats()[0]["altar.used"] == 1
    assert all(env.episode_stats()[0][name] == 0 for name in KIN_STATS)


def in_context(**game):
    """The in-context env's six kinds, shuffled, with no pool unless given."""
    config = gridenv.resolve_config("in-context").to_dict()
    config["game"].pop("recipe_pool")
    config["game"].update(game)
    return gridenv.EnvConfig.model_validate(config)


def test_a_recipe_pool_draws_only_its_permutations_and_each_of_them():
    pool = [[1, 0, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0]]
    vec = gridenv.vector.make(in_context(recipe_pool=pool), num_envs=4)
    seen = set()
    for seed in range(40):
        vec.reset(seed=seed)
        seen |= {tuple(vec.core.recipe_of_kind(w)) for w in range(4)}
    assert seen == {tuple(p) for p in pool}


def test_without_a_pool_any_permutation_can_be_drawn():
    env = gridenv.parallel_env(in_context())
    training = {tuple(p) for p in gridenv.resolve_config("in-context").game.recipe_pool}
    seen = set()
    for seed in range(3000):
        env.reset(seed=seed)
        seen.add(tuple(env.world.recipe_of_kind))
    assert len(seen) > 650 and seen - training  # of 720; expected about 709


@pytest.mark.parametrize("game, message", [
    ({"recipe_pool": [[0, 1, 2]]}, "recipe_pool[0]: must be a permutation of 0..5"),
    ({"recipe_pool": [[0, 1, 2, 3, 4, 4]]}, "recipe_pool[0]: must be a permutation"),
    ({"recipe_pool": [[0, 1, 2, 3, 4, 5]], "shuffle_recipes": False}, "recipe_pool: needs shuffle_recipes"),
])
def test_bad_recipe_pools_are_refused_by_name(game, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        in_context(**game)


def test_the_engine_refuses_bad_pools_set_directly_and_a_state_saved_without_the_pool():
    rules = in_context().to_rules()
    rules.recipe_pool = [[0, 0, 1, 2, 3, 4]]
    with pytest.raises(ValueError, match="recipe_pool"):
        gridenv._core.World(rules)
    free = gridenv.parallel_env(in_context())
    for seed in range(100):
        free.reset(seed=seed)
        if tuple(free.world.recipe_of_kind) != (1, 0, 2, 3, 4, 5):
            break
    state = free.world.save_state()
    pooled = gridenv.parallel_env(in_context(recipe_pool=[[1, 0, 2, 3, 4, 5]]))
    pooled.reset(seed=0)
    with pytest.raises(ValueError, match="saved under other rules"):
        pooled.world.load_state(state)  # the pool is part of the rules digest


def test_an_unset_pool_leaves_configs_and_their_json_as_before():
    assert "recipe_pool" not in gridenv.resolve_config("navigation").to_dict()["game"]
    assert "recipe_pool" not in in_context().to_dict()["game"]
    pool = [[1, 0, 2, 3, 4, 5]]
    assert in_context(recipe_pool=pool).to_dict()["game"]["recipe_pool"] == pool
    assert np.array_equal(gridenv.EnvConfig.model_validate(in_context(recipe_pool=pool).to_dict()).game.recipe_pool,
                          pool)
