"""Map generators: determinism, solvability and connectivity, ASCII round trip, composite placement, bad input."""

from collections import deque

import numpy as np
import pytest

import gridenv

GENERATED = {
    "random": {"generator": "random", "width": 20, "height": 16, "wall_density": 0.2},
    "rooms": {"generator": "rooms", "width": 21, "height": 15, "rooms": {"rows": 2, "cols": 3}},
    "maze-backtracker": {"generator": "maze", "width": 21, "height": 15, "maze": {"algorithm": "backtracker"}},
    "maze-kruskal": {"generator": "maze", "width": 21, "height": 15, "maze": {"algorithm": "kruskal"}},
    "maze-wide": {"generator": "maze", "width": 22, "height": 16, "maze": {"corridor_width": 2}},
    "cave": {"generator": "cave", "width": 24, "height": 18, "cave": {"fill": 0.45, "steps": 4}},
}
COUNTS = {"mine": 3, "charger": 2, "altar": 2}


def env_for(map_config, num_agents=4, **game):
    config = {"game": {"num_agents": num_agents, "groups": [{"name": "a"}, {"name": "b"}], **game},
              "map": {**map_config, "converter_counts": map_config.get("converter_counts", COUNTS)}}
    return gridenv.parallel_env(config)


def tiles_after_reset(env, seed):
    env.reset(seed=seed)
    return env.state()


def open_components(tiles):
    """The 4-connected regions of cells an agent can walk on (empty or holding an agent; walls and converters block
    movement), as a label array (-1 where blocked) and the number of regions."""
    walkable = (tiles == 0) | (tiles == 2)
    labels = np.full(tiles.shape, -1)
    count = 0
    for start in zip(*np.nonzero(walkable)):
        if labels[start] >= 0:
            continue
        labels[start] = count
        queue = deque([start])
        while queue:
            r, c = queue.popleft()
            for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= nr < tiles.shape[0] and 0 <= nc < tiles.shape[1] and walkable[nr, nc] and labels[nr, nc] < 0:
                    labels[nr, nc] = count
                    queue.append((nr, nc))
        count += 1
    return labels, count


def agents_reach_each_other_and_every_converter(tiles):
    """True when all agents stand in one walkable region and every converter has a neighbour in it."""
    labels, _ = open_components(tiles)
    regions = set(labels[tiles == 2].tolist())
    if len(regions) != 1:
        return False
    padded = np.pad(labels, 1, constant_values=-1)
    region = regions.pop()
    for r, c in zip(*np.nonzero(tiles >= 3)):
        if region not in (padded[r, c + 1], padded[r + 2, c + 1], padded[r + 1, c], padded[r + 1, c + 2]):
            return False
    return True


@pytest.mark.parametrize("name", GENERATED)
def test_generators_are_deterministic_per_seed(name):
    env = env_for(GENERATED[name])
    first, second = tiles_after_reset(env, 5), tiles_after_reset(env, 6)
    again = tiles_after_reset(env_for(GENERATED[name]), 5)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    assert (first == 2).sum() == 4  # every agent placed
    assert sorted(np.unique(first[first >= 3]).tolist()) == [3, 4, 5]
    assert [(first == 3 + k).sum() for k in range(3)] == [3, 2, 2]
    height, width = first.shape
    assert (height, width) == (GENERATED[name]["height"], GENERATED[name]["width"])
    border = np.concatenate([first[0], first[-1], first[:, 0], first[:, -1]])
    assert ((border == 1) | (border >= 3)).all()  # a wall, or a converter in an alcove of the border wall


def test_composite_maps_are_deterministic_per_seed():
    parts = [{"generator": "cave", "width": 12, "height": 10, "converter_counts": {"altar": 1}},
             {"ascii": "#####\n#0.a#\n#####"},
             {"generator": "maze", "width": 11, "height": 9, "converter_counts": {"mine": 2}}]

    def composite():
        return gridenv.parallel_env({"game": {"num_agents": 5, "groups": [{"name": "a"}]},
                                     "map": {"generator": "composite", "columns": 3, "parts": parts}})

    first, second = tiles_after_reset(composite(), 5), tiles_after_reset(composite(), 6)
    np.testing.assert_array_equal(first, tiles_after_reset(composite(), 5))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first[:3, 12:17], second[:3, 12:17])  # the ASCII part never changes
    assert (first == 2).sum() == 5 and (first == 3).sum() == 2 and (first == 5).sum() == 2


def test_converter_densities_scale_objects_with_the_map():
    for size, mines in ((20, 8), (40, 32)):
        env = env_for({"generator": "random", "width": size, "height": size, "wall_density": 0.1,
                       "converter_counts": {"altar": 1}, "converter_densities": {"mine": 0.02}})
        tiles = tiles_after_reset(env, 0)
        assert (tiles == 3).sum() == mines and (tiles == 5).sum() == 1  # round(0.02 * size * size) mines


@pytest.mark.parametrize("name", GENERATED)
def test_converters_never_cut_the_map(name):
    # Converters block movement: placed at random, one in a 1-wide corridor or a door would cut the map (it did, in
    # 190 of 200 backtracker mazes). They go where they cut no path, so every agent reaches every other agent and a
    # cell next to every converter; mazes, caves and rooms stay one walkable region.
    env = env_for(GENERATED[name])
    for seed in range(40):
        tiles = tiles_after_reset(env, seed)
        assert agents_reach_each_other_and_every_converter(tiles), (seed, tiles)
        if name != "random":  # random walls may enclose empty pockets (nobody is placed there)
            assert open_components(tiles)[1] == 1, seed


def test_crowded_maps_with_pockets_put_converters_in_alcoves_of_the_open_area():
    # 60 mines on a 16x16 random map with walls at 0.3: the open area runs out of cells that cut nothing, so
    # converters go into walls (the border wall too) — but only walls next to the open area, not next to a pocket
    # that random walls closed off (before that rule, 82 of 150 maps of 12x12 at wall density 0.4 with 20 converters
    # had a converter beside a pocket).
    env = env_for({"generator": "random", "width": 16, "height": 16, "wall_density": 0.3,
                   "converter_counts": {"mine": 60}}, num_agents=4)
    in_walls = 0
    for seed in range(40):
        tiles = tiles_after_reset(env, seed)
        assert (tiles == 3).sum() == 60 and (tiles == 2).sum() == 4
        assert agents_reach_each_other_and_every_converter(tiles), seed
        in_walls += int((np.concatenate([tiles[0], tiles[-1], tiles[:, 0], tiles[:, -1]]) >= 3).sum())
    assert in_walls > 0  # the alcove step did run


@pytest.mark.parametrize("name", ["maze-v0", "cooperation-v0", "in-context-v1", "navigation-v0", "arena-v0"])
def test_named_envs_keep_every_converter_reachable(name):
    env = gridenv.parallel_env(name)
    for seed in range(60):
        assert agents_reach_each_other_and_every_converter(tiles_after_reset(env, seed)), seed


def test_a_dense_cave_is_drawn_again_until_its_objects_fit():
    # 10x10 at fill 0.55: on some seeds the first draw leaves fewer open cells than objects; the generator draws again.
    env = env_for({"generator": "cave", "width": 10, "height": 10, "cave": {"fill": 0.55, "steps": 4},
                   "converter_counts": {"altar": 1}}, num_agents=2)
    for seed in range(200):
        tiles = tiles_after_reset(env, seed)
        assert (tiles == 2).sum() == 2 and (tiles == 5).sum() == 1, seed
    # A cave too dense to hold its objects in 20 draws falls back to an open interior: it still resets, every time.
    dense = env_for({"generator": "cave", "width": 6, "height": 6, "cave": {"fill": 0.9, "steps": 4},
                     "converter_counts": {"altar": 1}}, num_agents=2)
    for seed in range(20):
        tiles = tiles_after_reset(dense, seed)
        assert (tiles == 2).sum() == 2 and (tiles == 5).sum() == 1, seed
    # Objects that cannot fit inside the border are refused when the env is made, naming the counts.
    with pytest.raises(ValueError, match=r"agents, map.converter_counts: 15 agents and 2 converters do not fit inside the "
                                         r"border of a 6x6 map \(16 cells\)"):
        env_for({"generator": "cave", "width": 6, "height": 6, "converter_counts": {"altar": 2}}, num_agents=15)


def test_perfect_mazes_have_exactly_one_path_between_cells():
    # A perfect maze on a cell grid is a spanning tree: walkable cells - 1 == walkable adjacencies. Converters (dead
    # ends or alcoves) keep it one.
    for algorithm in ("backtracker", "kruskal"):
        for counts, walkable_cells in (({}, 10 * 7 + (10 * 7 - 1)), (COUNTS, None)):
            env = env_for({"generator": "maze", "width": 21, "height": 15, "maze": {"algorithm": algorithm},
                           "converter_counts": counts})
            tiles = tiles_after_reset(env, 3)
            walkable = (tiles == 0) | (tiles == 2)
            edges = (walkable[1:, :] & walkable[:-1, :]).sum() + (walkable[:, 1:] & walkable[:, :-1]).sum()
            assert edges == walkable.sum() - 1, (algorithm, counts)
            if walkable_cells is not None:  # 70 cells and the 69 openings of a spanning tree
                assert walkable.sum() == walkable_cells


def test_backtracker_and_kruskal_mazes_differ_in_shape():
    def dead_ends(algorithm):
        env = env_for({"generator": "maze", "width": 41, "height": 41, "maze": {"algorithm": algorithm},
                       "converter_counts": {}})
        total = 0
        for seed in range(5):
            open_cells = tiles_after_reset(env, seed) != 1
            padded = np.pad(open_cells, 1)
            neighbours = padded[:-2, 1:-1].astype(int) + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
            total += int((open_cells & (neighbours == 1)).sum())
        return total

    assert dead_ends("kruskal") > 1.5 * dead_ends("backtracker")  # Kruskal: many short dead ends


def test_ascii_maps_round_trip_through_render():
    env = gridenv.parallel_env("arena-small", render_mode="ansi")
    env.reset(seed=4)
    text = env.render()
    again = gridenv.parallel_env({"game": {"num_agents": None, "groups": [{"name": "a"}, {"name": "b"}]},
                                  "map": {"ascii": text}}, render_mode="ansi")
    again.reset(seed=0)
    assert again.render() == text
    np.testing.assert_array_equal(again.state(), env.state())


def test_composite_places_parts_side_by_side_and_shares_the_agents():
    room = {"generator": "rooms", "width": 9, "height": 9, "converter_counts": {"altar": 1}}
    fixed = {"ascii": "#####\n#0.a#\n#####"}
    env = gridenv.parallel_env({
        "game": {"num_agents": 7, "groups": [{"name": "a"}]},
        "map": {"generator": "composite", "columns": 2, "parts": [room, room, fixed, room]},
    }, render_mode="ansi")
    env.reset(seed=1)
    tiles = env.state()
    assert tiles.shape == (18, 18)  # 2 x 2 slots of 9 x 9
    slots = {(i, j): tiles[9 * i:9 * i + 9, 9 * j:9 * j + 9] for i in range(2) for j in range(2)}
    assert [(slots[key] == 2).sum() for key in sorted(slots)] == [2, 2, 1, 2]  # 6 shared by 3 rooms + 1 fixed
    assert (slots[(1, 0)][3:, :] == 1).all() and (slots[(1, 0)][:, 5:] == 1).all()  # the small part's slot pads
    assert env.render().splitlines()[10][:5] == "#0.a#"


GENERATOR_ERRORS = [
    ({"generator": "maze", "width": 4, "height": 4, "maze": {"corridor_width": 3}}, r"map\.maze\.corridor_width: 3 leaves no room for walls in a 4x4 map"),
    ({"generator": "rooms", "width": 7, "height": 7, "rooms": {"rows": 4, "cols": 4}}, r"4x4 rooms do not fit"),
    ({"generator": "cave", "cave": {"fill": 1.0}}, r"cave\.fill\n  Input should be less than 1"),
    ({"generator": "maze", "maze": {"algorithm": "prim"}}, r"Input should be 'backtracker' or 'kruskal'"),
    ({"generator": "composite"}, r"generator 'composite' needs at least one map in `parts`"),
    ({"generator": "random", "ascii": "#0#"}, r"`ascii` is set but generator is 'random'"),
    ({"generator": "ascii"}, r"generator 'ascii' needs the map text"),
    ({"generator": "hexagons"}, r"Input should be 'random', 'ascii', 'rooms', 'maze', 'cave' or 'composite'"),
    ({"generator": "random", "converter_counts": {"forge": 1}}, r"map\.converter_counts: unknown converter 'forge'"),
    ({"generator": "random", "converter_densities": {"forge": 0.1}},
     r"map\.converter_densities: unknown converter 'forge'"),
    ({"generator": "random", "converter_densities": {"mine": 1.5}}, r"density of 'mine' must be in \[0, 1\), got 1.5"),
    ({"ascii": "\n  \n"}, r"the ASCII map is empty"),
    ({"ascii": "#0#", "ascii_file": "map.txt"}, r"give either `ascii` \(the text\) or `ascii_file` \(a path\), not both"),
    ({"ascii": "#####\n#0.1#\n####"}, r"every row of the ASCII map must have the same width, got widths \[4, 5\]"),
    ({"ascii": "#0?#"}, r"map\.ascii: unknown symbol '\?' at row 0, column 2; legend: '#' wall"),
    ({"generator": "composite", "parts": [{"ascii": "#0.#"}, {"ascii": "#.0#"}]},
     r"game\.num_agents: 1 but the composite's ASCII parts place 2 agent\(s\) and it has no generated part"),
]


@pytest.mark.parametrize("map_config, message", GENERATOR_ERRORS)
def test_each_class_of_bad_generator_input_gets_a_clear_error(map_config, message):
    with pytest.raises(ValueError, match=message):
        gridenv.parallel_env({"game": {"num_agents": 1}, "map": map_config})


def test_an_ascii_digit_needs_its_group_and_trailing_spaces_are_empty_cells():
    with pytest.raises(ValueError, match=r"map\.ascii: agent of group 2 at row 1, column 3 but only 2 group\(s\)"):
        gridenv.parallel_env({"game": {"num_agents": None, "groups": [{"name": "a"}, {"name": "b"}]},
                              "map": {"ascii": "#####\n#0.2#\n#####"}})
    env = gridenv.parallel_env({"game": {"num_agents": None, "groups": [{"name": "a"}]},
                                "map": {"ascii": "#####\n#0.a \n#####"}})  # the space is a cell, as '.' is
    env.reset(seed=0)
    assert env.state().tolist() == [[1, 1, 1, 1, 1], [1, 2, 0, 5, 0], [1, 1, 1, 1, 1]]


def test_objects_that_do_not_fit_are_reported_when_the_env_is_made():
    with pytest.raises(ValueError, match=r"map: 4 agents and 40 converters do not fit in the 17 cells of the "
                                         r"largest connected open area of this 7x7 map"):
        env_for({"generator": "maze", "width": 7, "height": 7, "converter_counts": {"altar": 40}}, num_agents=4)


def test_navigation_terminates_when_the_agent_reaches_the_altar():
    config = {"name": "nav", "game": {
        "num_agents": None, "groups": [{"name": "w", "body": {"initial_energy": 0,
                                                               "action_costs": {"move_east": 0, "use": 0}}}],
        "actions": ["noop", "move_east", "use"], "converters": {"altar": {"symbol": "a", "outputs": {"heart": 1}}},
        "goal": {"resource": "heart", "amount": 1}, "glyphs": 0, "markers": 0},
        "map": {"ascii": "#####\n#0.a#\n#####"}}
    env = gridenv.parallel_env(config, render_mode="ansi")
    env.reset(seed=0)
    _, rewards, terminations, truncations, infos = env.step({"agent_0": 1})
    assert terminations == {"agent_0": False}
    _, rewards, terminations, truncations, infos = env.step({"agent_0": 1})  # faces the altar
    _, rewards, terminations, truncations, infos = env.step({"agent_0": 2})  # use: a heart, the goal
    assert rewards == {"agent_0": 1.0} and terminations == {"agent_0": True} and truncations == {"agent_0": False}
    assert infos["agent_0"]["episode"]["heart.gained"] == 1
    assert env.agents == [] and env.world.episode_over
    assert env.state()[1, 2] == 0  # a finished agent leaves the grid
    assert env.render() == "#####\n#..a#\n#####\n"  # and the pictures, too
    image = gridenv.parallel_env(config, render_mode="rgb_array")
    image.reset(seed=0)
    for action in (1, 1, 2):
        image.step({"agent_0": action})
    empty = image.render()[16:32, 32:48]  # cell (1, 2), where the agent stood, is drawn empty
    assert (empty == empty[0, 0]).all() and tuple(empty[0, 0]) == (235, 235, 228)


def test_cooperation_altar_pays_only_two_agents_together():
    converters = {"altar": {"symbol": "a", "inputs": {"energy": 10}, "outputs": {"heart": 1}, "users_required": 2}}
    game = {"num_agents": None, "groups": [{"name": "g", "body": {"initial_energy": 50, "energy_regen": 0}}],
            "converters": converters, "glyphs": 0, "markers": 0,
            "actions": ["noop", "move_north", "move_south", "move_west", "move_east", "use"]}
    env = gridenv.parallel_env({"game": game, "map": {"ascii": "#####\n#0a0#\n#####"}})
    env.reset(seed=0)
    env.step({"agent_0": 4, "agent_1": 3})  # both face the altar: 49 each
    _, rewards, *_ = env.step({"agent_0": 5, "agent_1": 0})  # one alone: nothing (it waits for a partner)
    assert rewards == {"agent_0": 0.0, "agent_1": 0.0}
    assert env.world.inventories()[0][0] == 48
    _, rewards, *_ = env.step({"agent_0": 5, "agent_1": 5})  # together: each pays 10, each gets a heart
    assert rewards == {"agent_0": 1.0, "agent_1": 1.0}
    # agent 0 paid 3 uses (1 each), agent 1 one, plus the moves; each paid the altar's 10 once
    assert env.world.inventories()[:, :3].tolist() == [[50 - 1 - 2 - 10, 0, 1], [50 - 1 - 1 - 10, 0, 1]]


def test_in_context_recipes_are_drawn_per_episode_from_the_training_pool_and_obeyed():
    env = gridenv.parallel_env("in-context")
    pool = {tuple(p) for p in env.config.game.recipe_pool}
    recipes = set()
    for seed in range(8):
        env.reset(seed=seed)
        recipes.add(tuple(env.world.recipe_of_kind))
    assert len(recipes) > 3 and recipes <= pool
    # On a fixed map, the kind that follows recipe 0 (the chain's source: r1 for nothing) is the one that pays out.
    config = gridenv.resolve_config("in-context", map={"generator": "ascii",
                                                       "ascii": "#######\n#A0BCD#\n#E.F..#\n#######"})
    paid = set()
    for seed in range(12):
        env = gridenv.parallel_env(config)
        env.reset(seed=seed)
        recipe_of_kind = env.world.recipe_of_kind
        env.step({"agent_0": env.action_names.index("move_west")})  # face 'A' (kind 0)
        env.step({"agent_0": env.action_names.index("use")})
        r1 = env.world.inventories()[0][1]
        assert r1 == (1 if recipe_of_kind[0] == 0 else 0)
        paid.add(r1)
    assert paid == {0, 1}


def test_ascii_maps_load_from_a_file_and_save_inline(tmp_path):
    (tmp_path / "level.txt").write_text("#####\n#0.a#\n#####\n")
    config = gridenv.resolve_config({"game": {"num_agents": None}, "map": {"ascii_file": str(tmp_path / "level.txt")}})
    assert config.map.generator == "ascii" and config.map.fixed_agents() == 1
    config.save(tmp_path / "config.yaml")
    assert gridenv.EnvConfig.load(tmp_path / "config.yaml") == config
    with pytest.raises(ValueError, match=r"ascii_file: cannot read '.*missing.txt': No such file"):
        gridenv.resolve_config({"game": {"num_agents": None}, "map": {"ascii_file": str(tmp_path / "missing.txt")}})


def test_composite_configs_round_trip(tmp_path):
    config = gridenv.resolve_config("arena-small", map={"generator": "composite", "columns": 2, "parts": [
        {"generator": "maze", "width": 9, "height": 9, "maze": {"algorithm": "kruskal"}},
        {"generator": "cave", "width": 12, "height": 10}]})
    for suffix in (".yaml", ".json"):
        config.save(tmp_path / f"c{suffix}")
        assert gridenv.EnvConfig.load(tmp_path / f"c{suffix}") == config


def test_the_registered_cooperation_env_pays_only_agents_who_use_an_altar_together():
    config = gridenv.resolve_config("cooperation", map={"generator": "ascii", "ascii": "#####\n#0a0#\n#####"},
                                    game={"num_agents": None})
    assert config.full_name == "cooperation-v0" and config.game.converters["altar"].users_required == 2
    env = gridenv.parallel_env(config)
    env.reset(seed=0)
    index = env.action_names.index
    env.step({"agent_0": index("move_east"), "agent_1": index("move_west")})  # both face the altar
    _, rewards, *_ = env.step({"agent_0": index("use"), "agent_1": index("noop")})
    assert rewards == {"agent_0": 0.0, "agent_1": 0.0}  # alone: nothing, and no energy paid to the altar
    _, rewards, *_ = env.step({"agent_0": index("use"), "agent_1": index("use")})
    assert rewards == {"agent_0": 1.0, "agent_1": 1.0}  # together: a heart each, 10 energy each
    energy = [inventory[0] for inventory in env.world.inventories()]
    _, rewards, *_ = env.step({"agent_0": index("use"), "agent_1": index("use")})
    assert rewards == {"agent_0": 0.0, "agent_1": 0.0}  # the altar rests for its cooldown of 5 steps
    assert [inventory[0] for inventory in env.world.inventories()] == [e + 1 - 1 for e in energy]  # regen 1, use 1
