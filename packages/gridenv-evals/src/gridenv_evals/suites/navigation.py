"""navigation-v1: reach the altar and use it (one heart ends the episode), on 22 hand-drawn maps and 8 generated
families at fixed seeds. The rules are gridenv's ``navigation`` env: one agent, free moves, an altar ('a') that
gives a heart for nothing; the agent ('0') starts facing north; the observation window is 11x11, so on the maps marked
"out of sight" the altar is more than 5 cells away and must be found or remembered."""

from __future__ import annotations

import textwrap

import gridenv
from gridenv_evals.suites import Suite, Task, register

EPISODES = 16

# name -> (kind, max_steps, map). '#' wall, '.' floor, '0' the agent, 'a' the altar.
MAPS: dict[str, tuple[str, int, str]] = {
    "corridor-short": ("corridor", 100, """
        #########
        #0.....a#
        #########"""),
    "corridor-long": ("corridor", 200, """
        ###############################
        #0...........................a#
        ###############################"""),
    "corridor-bend": ("corridor", 200, """
        ###########
        #0........#
        #########.#
        #########.#
        #########.#
        #########.#
        #########a#
        ###########"""),
    "corridor-zigzag": ("corridor", 200, """
        #############
        #0....#.....#
        #####.#.###.#
        #####...###.#
        ###########.#
        #a..........#
        #############"""),
    "u-turn": ("corridor", 200, """
        ###########
        #0........#
        #########.#
        #a........#
        ###########"""),
    "spiral-small": ("spiral", 200, """
        #########
        #0......#
        #######.#
        #.....#.#
        #.#a#.#.#
        #.#...#.#
        #.#####.#
        #.......#
        #########"""),
    "spiral-large": ("spiral", 400, """
        #############
        #0..........#
        ###########.#
        #.........#.#
        #.#######.#.#
        #.#.....#.#.#
        #.#.#a#.#.#.#
        #.#.#...#.#.#
        #.#.#####.#.#
        #.#.......#.#
        #.#########.#
        #...........#
        #############"""),
    "dead-ends": ("dead-ends", 200, """
        ###############
        #0............#
        #.#.#.#.#.#.#.#
        #.#.#.#.#.#.#.#
        ###.###.###.#a#
        ###############"""),
    "comb": ("dead-ends", 300, """
        #################
        #...............#
        #.#.#.#.#.#.#.#.#
        #.#.#.#.#.#.#.#.#
        #.#.#.#.#.#.#.#.#
        #0#.#.#.#.#.#.#a#
        #################"""),
    "room-behind-door": ("rooms", 200, """
        #############
        #0..........#
        #...........#
        #...#####...#
        #...#...#...#
        #...#.a.#...#
        #...#...#...#
        #...##.##...#
        #...........#
        #############"""),
    "door-on-far-side": ("rooms", 200, """
        #############
        #0..........#
        #...#####...#
        #...#...#...#
        #...#.a.#...#
        #...#...#...#
        #...##.##...#
        #...........#
        #############"""),
    "two-rooms": ("rooms", 200, """
        ###############
        #0....#.......#
        #.....#.......#
        #.....#.......#
        #.............#
        #.....#.......#
        #.....#......a#
        ###############"""),
    "four-rooms": ("rooms", 300, """
        ###############
        #0.....#......#
        #......#......#
        #.............#
        #......#......#
        ####.######.###
        #......#......#
        #......#......#
        #.............#
        #......#.....a#
        ###############"""),
    "open-field-small": ("open", 100, """
        #########
        #0......#
        #.......#
        #.......#
        #.......#
        #......a#
        #########"""),
    "open-field-large": ("open", 200, """
        #####################
        #0..................#
        #...................#
        #...................#
        #...................#
        #...................#
        #...................#
        #...................#
        #...................#
        #..................a#
        #####################"""),
    "pillars": ("open", 200, """
        ###############
        #0............#
        #.#.#.#.#.#.#.#
        #.............#
        #.#.#.#.#.#.#.#
        #.............#
        #.#.#.#.#.#.#.#
        #............a#
        ###############"""),
    "out-of-sight-far": ("out-of-sight", 300, """
        ###############################
        #0............................#
        #.............................#
        #.............................#
        #............................a#
        ###############################"""),
    "out-of-sight-corner": ("out-of-sight", 300, """
        #######################
        #0....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #.....................#
        #....................a#
        #######################"""),
    "seen-then-hidden": ("memory", 300, """
        #################
        #.......#.......#
        #.......#.......#
        #.......#.......#
        #...0...#...a...#
        #.......#.......#
        #.......#.......#
        #.......#.......#
        #######.####.####
        #######.####.####
        #######.####.####
        #######.####.####
        #...............#
        #################"""),
    "around-the-wall": ("memory", 300, """
        ###################
        #.................#
        #.#############...#
        #.#...........#...#
        #.#.....0.........#
        #.#############...#
        #.................#
        #a................#
        ###################"""),
    "fork": ("memory", 300, """
        ###############
        #a....#.......#
        #####.#.#####.#
        #.....#.#...#.#
        #.#####.#.0.#.#
        #.......#...#.#
        #########.###.#
        #.............#
        ###############"""),
    "island": ("memory", 300, """
        ###############
        #0............#
        #.............#
        #...#######...#
        #...#.....#...#
        #...#..a..#...#
        #...#.....#...#
        #...###.###...#
        #.............#
        ###############"""),
}

# name -> (kind, max_steps, map generator overrides, seeds start). Each episode draws a new map from its seed.
GENERATED: dict[str, tuple[str, int, dict, int]] = {
    "cave-20": ("cave", 200, {"generator": "cave", "width": 20, "height": 20, "cave": {"fill": 0.42, "steps": 4}},
                1000),
    "cave-15": ("cave", 150, {"generator": "cave", "width": 15, "height": 15, "cave": {"fill": 0.40, "steps": 4}},
                2000),
    "cave-30": ("cave", 400, {"generator": "cave", "width": 30, "height": 30, "cave": {"fill": 0.45, "steps": 5}},
                3000),
    "rooms-2x2": ("rooms", 200, {"generator": "rooms", "width": 13, "height": 13, "rooms": {"rows": 2, "cols": 2}},
                  4000),
    "rooms-3x3": ("rooms", 300, {"generator": "rooms", "width": 19, "height": 19, "rooms": {"rows": 3, "cols": 3}},
                  5000),
    "rooms-2x4": ("rooms", 300, {"generator": "rooms", "width": 25, "height": 13, "rooms": {"rows": 2, "cols": 4}},
                  6000),
    "scattered-walls-15": ("open", 200, {"generator": "random", "width": 15, "height": 15, "wall_density": 0.2},
                           7000),
    "scattered-walls-25": ("open", 300, {"generator": "random", "width": 25, "height": 25, "wall_density": 0.25},
                           8000),
}


def ascii_task(name: str, kind: str, max_steps: int, text: str, seeds: tuple[int, ...]) -> Task:
    config = gridenv.resolve_config("navigation", game={"num_agents": None, "max_steps": max_steps},
                                    map={"generator": "ascii", "ascii": textwrap.dedent(text).strip("\n")})
    return Task(name, config, seeds, kind)


def generated_task(name: str, kind: str, max_steps: int, map_overrides: dict, seeds: tuple[int, ...]) -> Task:
    config = gridenv.resolve_config("navigation", game={"max_steps": max_steps},
                                    map={**map_overrides, "converter_counts": {"altar": 1}})
    return Task(name, config, seeds, kind)


@register("navigation-v1")
def navigation_v1() -> Suite:
    tasks = [ascii_task(name, kind, steps, text, tuple(range(EPISODES))) for name, (kind, steps, text) in MAPS.items()]
    tasks += [generated_task(name, kind, steps, overrides, tuple(range(start, start + EPISODES)))
              for name, (kind, steps, overrides, start) in GENERATED.items()]
    return Suite("navigation", 1, "reach and use the altar: 22 hand-drawn maps (corridors, spirals, dead ends, rooms "
                 "behind doors, open fields, goals out of sight) and 8 generated families (caves, rooms, scattered "
                 "walls) at fixed seeds", tuple(tasks), EPISODES)
