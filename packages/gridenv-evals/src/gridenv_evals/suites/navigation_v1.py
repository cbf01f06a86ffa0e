"""navigation-v1: reach the altar on 24 hand-drawn maps and 8 generated ones (caves and rooms at fixed seeds).

The hand-drawn maps cover what a navigating agent meets: corridors (short, long, bent, zigzag, with the goal behind
the start), spirals, dead ends (a comb, alcoves, a fork), rooms behind doors, open fields with and without
obstacles, and goals out of sight that need memory (a fork and a cross whose arms end beyond the 11x11 view, a
long corridor the agent may walk the wrong way). An ASCII map is the same in every episode; its seeds vary only
the policy's randomness. The generated tasks draw a new cave or house of rooms for every seed.

Episode length: :func:`gridenv_evals.suites.step_budget` of the map's walkable cells (hand maps: counted from the
text; generated maps: the interior area), so a depth-first exploration of the whole map fits.

Seeds: 100000-100009 (ten episodes per task), away from the small seeds training runs start from.
"""

from __future__ import annotations

from gridenv import MapConfig
from gridenv.map_gen import CaveConfig, RoomsConfig, ascii_rows

from gridenv_evals.suites import Suite, Task, reach_the_altar, step_budget

SEEDS = tuple(range(100_000, 100_010))


def _open_field(width: int, height: int, agent: tuple[int, int], altar: tuple[int, int]) -> str:
    """A walled rectangle with nothing inside but the agent ('0') and the altar ('a')."""
    rows = [["#"] * width] + [["#"] + ["."] * (width - 2) + ["#"] for _ in range(height - 2)] + [["#"] * width]
    rows[agent[0]][agent[1]] = "0"
    rows[altar[0]][altar[1]] = "a"
    return "\n".join("".join(row) for row in rows)


def _spiral(size: int) -> str:
    """A square spiral corridor (odd `size`): the agent at the top-left corner, the altar at the inner end. After the
    first three sides, each pair of sides is 2 cells shorter than the pair before, so a wall separates the rings."""
    row, col = 1, 1
    path = [(row, col)]

    def walk(d_row: int, d_col: int, steps: int) -> None:
        nonlocal row, col
        for _ in range(steps):
            row, col = row + d_row, col + d_col
            path.append((row, col))

    walk(0, 1, size - 3)   # east along the top
    walk(1, 0, size - 3)   # south down the right side
    walk(0, -1, size - 3)  # west along the bottom
    length = size - 5
    while length > 0:
        walk(-1, 0, length)  # north
        walk(0, 1, length)   # east
        length -= 2
        if length <= 0:
            break
        walk(1, 0, length)   # south
        walk(0, -1, length)  # west
        length -= 2
    grid = [["#"] * size for _ in range(size)]
    for r, c in path:
        grid[r][c] = "."
    grid[1][1], grid[row][col] = "0", "a"
    return "\n".join("".join(cells) for cells in grid)


HAND_MAPS: list[tuple[str, str, str, str]] = [
    # (name, kind, description, map)
    ("adjacent-goal", "corridor", "the altar is next to the agent: turn to it and use it (2 steps)", """
#####
#0a.#
#####"""),
    ("corridor-short", "corridor", "a straight corridor, the altar in view at its end", """
##########
#0......a#
##########"""),
    ("corridor-long", "corridor", "a 30-cell corridor, the altar beyond the 11x11 view", """
################################
#0............................a#
################################"""),
    ("corridor-behind", "corridor", "a corridor with the altar out of view behind the agent and a long dead end ahead",
     """
#########################
#a.....0................#
#########################"""),
    ("corridor-bend", "corridor", "an L-shaped corridor", """
############
#0.........#
##########.#
##########.#
##########.#
##########.#
##########a#
############"""),
    ("corridor-zigzag", "corridor", "a corridor that doubles back three times", """
#############
#0..........#
###########.#
#...........#
#.###########
#...........#
###########.#
#a..........#
#############"""),
    ("u-turn", "corridor", "the altar is in view two rows below, the way there is 21 steps round a wall", """
#############
#0..........#
###########.#
#a..........#
#############"""),
    ("spiral-small", "spiral", "a 13x13 spiral corridor to the centre", _spiral(13)),
    ("spiral-large", "spiral", "a 21x21 spiral corridor to the centre", _spiral(21)),
    ("comb", "dead-ends", "a corridor with seven dead-end teeth; the altar ends the last one", """
###############
#0............#
#.#.#.#.#.#.#.#
#.#.#.#.#.#.#.#
#.#.#.#.#.#.#a#
###############"""),
    ("alcoves", "dead-ends", "a long corridor lined with one-cell alcoves; the altar sits in the far one", """
#########################
#.#.#.#.#.#.#.#.#.#.#.#a#
#0......................#
#.#.#.#.#.#.#.#.#.#.#.#.#
#########################"""),
    ("fork-out-of-sight", "memory", "a T junction whose two long arms both end out of view; one holds the altar", """
#####################
#.........#........a#
#########.#.#########
#########...#########
##########.##########
##########.##########
##########0##########
#####################"""),
    ("cross-arms", "memory", "four 9-cell arms from a hub, their ends out of view; the altar ends one", """
#####################
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
#.........0........a#
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
#####################"""),
    ("rooms-door", "rooms", "two rooms joined by one door; the altar is out of view in the second", """
###############
#.....#.......#
#.....#.......#
#.0...........#
#.....#.......#
#.....#.....a.#
###############"""),
    ("rooms-chain", "rooms", "three rooms in a row, their doors at different heights", """
#####################
#0....#.....#.......#
#.....#.....#.......#
#.....#.....#.......#
#...........#.......#
#.....#.....#......a#
#.....#.............#
#####################"""),
    ("goal-behind-wall", "rooms", "the altar is in view inside a walled room whose door faces away", """
###############
#......0......#
#.............#
#.###########.#
#.#.........#.#
#.#....a....#.#
#.#.........#.#
#.#####.#####.#
#.............#
###############"""),
    ("long-wall", "rooms", "a long wall splits the room; its only gap is at the far end", """
###############
#.............#
#......0......#
#.............#
#############.#
#.............#
#.a...........#
###############"""),
    ("hand-maze", "maze", "a small hand-drawn labyrinth", """
#############
#0..#.....#.#
###.#.###.#.#
#...#...#...#
#.#####.###.#
#.#...#...#.#
#.#.#.###.#.#
#...#...#.#.#
#####.#.#.#.#
#.....#.#...#
#.#####.###.#
#.......#..a#
#############"""),
    ("open-small", "open", "an empty 5x5 room, the altar in the far corner", _open_field(7, 7, (1, 1), (5, 5))),
    ("open-medium", "open", "an empty 13x13 room, the agent in the middle", _open_field(15, 15, (7, 7), (1, 13))),
    ("open-large", "open", "an empty 21x21 room, the altar in the far corner out of view",
     _open_field(23, 23, (1, 1), (21, 21))),
    ("pillars", "open", "an open field with a grid of one-cell pillars", """
#################
#0..............#
#.#.#.#.#.#.#.#.#
#...............#
#.#.#.#.#.#.#.#.#
#...............#
#.#.#.#.#.#.#.#.#
#..............a#
#################"""),
    ("slalom", "open", "three walls across a room, their gaps at alternate ends", """
#################
#0..#.......#...#
#...#...#...#...#
#...#...#...#...#
#...#...#...#...#
#.......#.......#
#...#...#...#..a#
#################"""),
    ("ring", "open", "a ring corridor round a solid block; the altar at the opposite corner", """
###########
#0........#
#.#######.#
#.#######.#
#.#######.#
#.#######.#
#.#######.#
#........a#
###########"""),
]


def _walkable_cells(text: str) -> int:
    return sum(symbol in ". 0" for row in ascii_rows(text) for symbol in row)


def _hand_task(name: str, kind: str, description: str, text: str) -> Task:
    text = text.strip("\n")
    map_config = MapConfig(generator="ascii", ascii=text)
    return Task(name=name, config=reach_the_altar("navigation", map_config, step_budget(_walkable_cells(text))),
                seeds=SEEDS, kind=kind, description=description)


def _generated_task(name: str, kind: str, description: str, map_config: MapConfig) -> Task:
    interior = (map_config.width - 2) * (map_config.height - 2)
    return Task(name=name, config=reach_the_altar("navigation", map_config, step_budget(interior)), seeds=SEEDS,
                kind=kind, description=description)


def _cave(size: int, fill: float) -> MapConfig:
    return MapConfig(generator="cave", width=size, height=size, cave=CaveConfig(fill=fill, steps=4),
                     converter_counts={"altar": 1})


def _rooms(width: int, height: int, rows: int, cols: int) -> MapConfig:
    return MapConfig(generator="rooms", width=width, height=height, rooms=RoomsConfig(rows=rows, cols=cols),
                     converter_counts={"altar": 1})


def build() -> Suite:
    generated = [
        _generated_task("cave-16", "cave", "a 16x16 cave (fill 0.42), new every seed", _cave(16, 0.42)),
        _generated_task("cave-20", "cave", "navigation-v0's 20x20 cave (fill 0.42)", _cave(20, 0.42)),
        _generated_task("cave-28", "cave", "a 28x28 cave (fill 0.42)", _cave(28, 0.42)),
        _generated_task("cave-open-24", "cave", "a 24x24 open cave (fill 0.38)", _cave(24, 0.38)),
        _generated_task("rooms-2x2", "rooms", "2x2 rooms on 13x13, doors at random", _rooms(13, 13, 2, 2)),
        _generated_task("rooms-3x3", "rooms", "3x3 rooms on 19x19", _rooms(19, 19, 3, 3)),
        _generated_task("rooms-4x4", "rooms", "4x4 rooms on 25x25", _rooms(25, 25, 4, 4)),
        _generated_task("rooms-2x4", "rooms", "2x4 rooms on 25x13 (a wide house)", _rooms(25, 13, 2, 4)),
    ]
    hand = [_hand_task(*entry) for entry in HAND_MAPS]
    return Suite(name="navigation", version=1,
                 description="reach the altar: 24 hand-drawn maps (corridors, spirals, dead ends, rooms behind "
                             "doors, open fields, goals out of sight) and 8 generated caves and houses; 10 seeds each",
                 tasks=tuple(hand + generated))
