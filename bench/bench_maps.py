"""Map generation speed: time to reset a 100x100 world for each generator, per 1000 cells.

    python bench/bench_maps.py [--size 100] [--repeats 200]

A reset draws a new map in C++ and rebuilds the world (grid, agents, converters, observations of 4 agents), so the
figure is an upper bound on the generator's own cost. One figure a line.
"""

from __future__ import annotations

import argparse
import time

import gridenv

GENERATORS = {
    "random": {"generator": "random", "wall_density": 0.1},
    "rooms": {"generator": "rooms", "rooms": {"rows": 5, "cols": 5}},
    "maze_backtracker": {"generator": "maze", "maze": {"algorithm": "backtracker"}},
    "maze_kruskal": {"generator": "maze", "maze": {"algorithm": "kruskal"}},
    "cave": {"generator": "cave"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    cells = args.size * args.size
    for name, map_config in GENERATORS.items():
        env = gridenv.parallel_env({"game": {"num_agents": 4, "groups": [{"name": "a"}]}, "map": {
            **map_config, "width": args.size, "height": args.size,
            "converter_counts": {"mine": 10, "charger": 5, "altar": 5}}})
        env.reset(seed=0)
        start = time.perf_counter()
        for seed in range(args.repeats):
            env.world.reset(seed)
        seconds = (time.perf_counter() - start) / args.repeats
        print(f"reset_{name}_{args.size}x{args.size}_ms {seconds * 1e3:.3f}  per_1000_cells_ms "
              f"{seconds * 1e3 / (cells / 1000):.4f}")
    composite = gridenv.parallel_env({"game": {"num_agents": 64, "groups": [{"name": "a"}]}, "map": {
        "generator": "composite", "columns": 8,
        "parts": [{"generator": "maze", "width": 13, "height": 13, "converter_counts": {"altar": 1}}] * 64}})
    composite.reset(seed=0)
    start = time.perf_counter()
    for seed in range(args.repeats):
        composite.world.reset(seed)
    seconds = (time.perf_counter() - start) / args.repeats
    h, w = composite.world.height, composite.world.width
    print(f"reset_composite_64_mazes_{w}x{h}_ms {seconds * 1e3:.3f}  per_1000_cells_ms "
          f"{seconds * 1e3 / (h * w / 1000):.4f}")


if __name__ == "__main__":
    main()
