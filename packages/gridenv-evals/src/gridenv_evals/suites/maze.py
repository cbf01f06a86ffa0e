"""maze-v1: reach and use the altar in procedural perfect mazes, both of the engine's algorithms (recursive
backtracker: long winding corridors; Kruskal: many short dead ends), from 9x9 to 51x51, a new maze every episode
from a fixed seed list. The step budget grows with the maze's open cells."""

from __future__ import annotations

import gridenv
from gridenv_evals.suites import Suite, Task, register

EPISODES = 16
SIZES = {9: 100, 15: 300, 21: 600, 31: 1200, 51: 3000}  # side -> max_steps


@register("maze-v1")
def maze_v1() -> Suite:
    tasks = []
    for a, algorithm in enumerate(("backtracker", "kruskal")):
        for s, (size, max_steps) in enumerate(SIZES.items()):
            config = gridenv.resolve_config("maze", game={"max_steps": max_steps},
                                            map={"width": size, "height": size, "maze": {"algorithm": algorithm}})
            name = f"{algorithm}-{size}"
            start = 10_000 * (a + 1) + 100 * s
            tasks.append(Task(name, config, tuple(range(start, start + EPISODES)), algorithm))
    return Suite("maze", 1, "reach and use the altar in perfect mazes: backtracker and Kruskal, 9x9 to 51x51",
                 tuple(tasks), EPISODES)
