"""Regenerate the map pictures of docs/maps.md:  python docs/make_images.py  (tests/test_docs.py checks they are current)"""

from pathlib import Path

import gridenv
from gridenv.render import write_png

HERE = Path(__file__).parent / "images"
ONE_GROUP = {"groups": [{"name": "a"}, {"name": "b"}]}
COUNTS = {"mine": 6, "charger": 3, "altar": 3}
ASCII = """
###########
#0..#..m..#
#.a.#.....#
#...#..c..#
#.......1.#
###########
"""

PICTURES = {
    "random": {"generator": "random", "width": 32, "height": 20, "wall_density": 0.12},
    "rooms": {"generator": "rooms", "width": 33, "height": 21, "rooms": {"rows": 3, "cols": 4}},
    "maze-backtracker": {"generator": "maze", "width": 33, "height": 21, "maze": {"algorithm": "backtracker"}},
    "maze-kruskal": {"generator": "maze", "width": 33, "height": 21, "maze": {"algorithm": "kruskal"}},
    "maze-wide": {"generator": "maze", "width": 34, "height": 22, "maze": {"corridor_width": 2}},
    "cave": {"generator": "cave", "width": 40, "height": 24, "cave": {"fill": 0.45, "steps": 4}},
    "ascii": {"ascii": ASCII},
    "composite": {"generator": "composite", "columns": 4, "parts": [
        {"generator": "maze", "width": 11, "height": 11, "converter_counts": {"altar": 1}},
        {"generator": "rooms", "width": 11, "height": 11, "converter_counts": {"altar": 1}},
        {"generator": "cave", "width": 11, "height": 11, "cave": {"fill": 0.35}, "converter_counts": {"altar": 1}},
        {"ascii": "#########\n#0..a..0#\n#########"},
    ]},
}

def picture(name: str):
    """The (H, W, 3) uint8 picture of one generator, as docs/images/<name>.png shows it (seed 7)."""
    map_config = PICTURES[name]
    if "ascii" in map_config:
        game = {**ONE_GROUP, "num_agents": None}
    else:
        game = {**ONE_GROUP, "num_agents": 8}
        if map_config.get("generator") != "composite":
            map_config = {**map_config, "converter_counts": COUNTS}
    env = gridenv.parallel_env({"game": game, "map": map_config}, render_mode="rgb_array")
    env.reset(seed=7)
    return env.render()


if __name__ == "__main__":
    for name in PICTURES:
        write_png(HERE / f"{name}.png", picture(name))
        print(f"docs/images/{name}.png")
