"""The shortest way to the goal on a task's map, counted in the same steps the agent takes.

gridenv's moves are absolute (docs/game.md): ``move_<dir>`` first turns the agent to face ``<dir>``, then steps if
the cell there is empty; a blocked move only turns. ``use`` acts on the faced cell. So reaching the altar means
standing next to it *and facing it*, then one ``use`` — the step on which the agent gains the heart and the episode
terminates. The search therefore runs over states (row, column, orientation), with the five actions as edges:

- ``move_<dir>``: to the neighbouring cell facing ``<dir>`` if it is walkable, else to the same cell facing ``<dir>``;
- ``use``: ends the search when the faced cell is a goal.

The length of the plan counts every step, the final ``use`` included, and is exactly the fewest steps any policy
can take from the episode's first observation to success: an oracle that follows the plan has SPL 1.
"""

from __future__ import annotations

from collections import deque

import numpy as np

# Orientation codes of the engine (World.agent_positions()[i][2]; docs/game.md: 0 north, 1 south, 2 west, 3 east).
NORTH, SOUTH, WEST, EAST = 0, 1, 2, 3
STEP_OF = {NORTH: (-1, 0), SOUTH: (1, 0), WEST: (0, -1), EAST: (0, 1)}
MOVE_NAME = {NORTH: "move_north", SOUTH: "move_south", WEST: "move_west", EAST: "move_east"}
USE = "use"


def shortest_plan(walkable: np.ndarray, goal: np.ndarray, start: tuple[int, int, int]) -> tuple[str, ...] | None:
    """The shortest sequence of action names from `start` to a successful ``use`` of a goal cell, or None if no
    goal can be reached.

    `walkable` (H, W) bool: cells the agent can enter (empty, or its own start cell). `goal` (H, W) bool: the goal
    converters. `start`: (row, column, orientation) with the engine's orientation codes. Cells outside the array
    count as walls (maps have a wall border anyway). Ties are broken in a fixed order (north, south, west, east,
    then use), so the plan is a pure function of the map.
    """
    height, width = walkable.shape
    if goal.shape != walkable.shape:
        raise ValueError(f"goal: expected shape {walkable.shape} like walkable, got {goal.shape}")
    row, col, orientation = start
    if orientation not in STEP_OF:
        raise ValueError(f"start: orientation must be 0-3 (north, south, west, east), got {orientation}")

    def faces_goal(r: int, c: int, o: int) -> bool:
        dr, dc = STEP_OF[o]
        return 0 <= r + dr < height and 0 <= c + dc < width and bool(goal[r + dr, c + dc])

    # parent[state] = (previous state, action name); states are (row, col, orientation)
    parent: dict[tuple[int, int, int], tuple[tuple[int, int, int], str] | None] = {(row, col, orientation): None}
    frontier = deque([(row, col, orientation)])
    while frontier:
        state = frontier.popleft()
        r, c, o = state
        if faces_goal(r, c, o):  # a `use` from here succeeds; BFS order makes this the shortest
            plan = [USE]
            while parent[state] is not None:
                state, action = parent[state]
                plan.append(action)
            return tuple(reversed(plan))
        for direction in (NORTH, SOUTH, WEST, EAST):
            dr, dc = STEP_OF[direction]
            nr, nc = r + dr, c + dc
            if 0 <= nr < height and 0 <= nc < width and walkable[nr, nc]:
                successor = (nr, nc, direction)
            else:  # blocked: the move only turns the agent
                successor = (r, c, direction)
            if successor not in parent:
                parent[successor] = (state, MOVE_NAME[direction])
                frontier.append(successor)
    return None
