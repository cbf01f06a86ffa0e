"""Per-episode metrics and their aggregation, as published results need them.

- ``shortest_path``: the fewest actions that reach the goal from a task's initial map (BFS over cell and facing, so
  turning toward the altar counts, plus the final ``use``): the optimal episode length.
- SPL (Anderson et al. 2018, "On Evaluation of Embodied Navigation Agents"): success * shortest / max(shortest,
  actual), actual being the episode's length in steps.
- Aggregates (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice", the rliable method): the mean
  and the interquartile mean (IQM, the mean of the middle 50% of all episode scores) with 95% percentile confidence
  intervals from a stratified bootstrap: episodes are resampled with replacement within each task (the strata), so
  every resample keeps the suite's task mix. rliable itself ships only as an sdist pulling in arch and scipy, so the
  same method is implemented here with numpy (and tested against hand-computed values).
"""

from __future__ import annotations

from collections import deque

import numpy as np

# Moves as the engine defines them: (action name, row step, column step, orientation after the move).
MOVES = (("move_north", -1, 0, 0), ("move_south", 1, 0, 1), ("move_west", 0, -1, 2), ("move_east", 0, 1, 3))
EMPTY, WALL, AGENT = 0, 1, 2  # tile codes of gridenv.render.map_codes; 3 + k is converter kind k
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def plan_to_goal(tiles: np.ndarray, start: tuple[int, int, int], goal_tile: int) -> list[str] | None:
    """The shortest action sequence from ``start`` (row, col, orientation) to using a converter with tile code
    ``goal_tile``, or None when none is reachable. A move turns the agent toward its direction and steps there if
    the cell is empty; into anything else it only turns. The agent's own start cell counts as empty (and so do other
    agents' cells: the navigation tasks have one agent)."""
    blocked = (tiles != EMPTY) & (tiles != AGENT)
    plan = plan_to_face(blocked, tiles == goal_tile, start)
    return None if plan is None else plan + ["use"]


def plan_to_face(blocked: np.ndarray, goal: np.ndarray, start: tuple[int, int, int]) -> list[str] | None:
    """The fewest moves from ``start`` (row, col, orientation) that leave the agent facing a cell where ``goal`` is
    True (BFS over cell and facing; a move into a ``blocked`` cell or off the map only turns). [] when it already
    faces one; None when none can be faced."""
    height, width = blocked.shape
    start = tuple(int(x) for x in start)
    parent: dict[tuple[int, int, int], tuple[tuple[int, int, int], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        row, col, facing = state
        ahead = (row + MOVES[facing][1], col + MOVES[facing][2])
        if 0 <= ahead[0] < height and 0 <= ahead[1] < width and goal[ahead]:
            plan = []
            while parent[state] is not None:
                state, action = parent[state]
                plan.append(action)
            return plan[::-1]
        for name, d_row, d_col, orientation in MOVES:
            r, c = row + d_row, col + d_col
            inside = 0 <= r < height and 0 <= c < width
            following = (r, c, orientation) if inside and not blocked[r, c] else (row, col, orientation)
            if following not in parent:
                parent[following] = (state, name)
                queue.append(following)
    return None


def shortest_path(tiles: np.ndarray, start: tuple[int, int, int], goal_tile: int) -> int | None:
    """Length of :func:`plan_to_goal` (steps, the final ``use`` included), or None when the goal is unreachable."""
    plan = plan_to_goal(tiles, start, goal_tile)
    return None if plan is None else len(plan)


def spl(success: np.ndarray, shortest: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Success weighted by path length, per episode: success * shortest / max(shortest, actual)."""
    success = np.asarray(success, dtype=np.float64)
    shortest = np.asarray(shortest, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    return success * shortest / np.maximum(np.maximum(shortest, actual), 1e-12)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of all scores: the mean of the middle 50% (rliable's definition: scipy's trim_mean with a
    proportion of 0.25 cut from each end, on the flattened scores)."""
    flat = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    n = flat.size
    if n == 0:
        raise ValueError("iqm: no scores")
    cut = int(0.25 * n)
    return float(flat[cut:n - cut].mean())


def normalize(score: np.ndarray | float, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """(score - low) / (high - low): 0 at the low reference (random play), 1 at the high one (the oracle). Where the
    references coincide the task cannot tell policies apart and the normalised score is NaN, never a division by 0."""
    score, low, high = (np.asarray(x, dtype=np.float64) for x in (score, low, high))
    span = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(span != 0, (score - low) / np.where(span != 0, span, 1.0), np.nan)


def stratified_bootstrap_ci(per_task: list[np.ndarray], statistic, resamples: int = BOOTSTRAP_RESAMPLES,
                            seed: int = BOOTSTRAP_SEED, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile confidence interval of ``statistic`` (a function of all episode scores, flattened) under a
    stratified bootstrap: each resample draws, within every task, as many episodes as the task has, with
    replacement. Seeded, so a result file is reproducible to the last digit."""
    rng = np.random.default_rng(seed)
    tasks = [np.asarray(scores, dtype=np.float64) for scores in per_task]
    values = np.empty(resamples)
    for i in range(resamples):
        values[i] = statistic(np.concatenate([scores[rng.integers(0, scores.size, scores.size)]
                                              for scores in tasks]))
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def aggregate(per_task: list[np.ndarray]) -> dict[str, object]:
    """Mean and IQM over every episode of every task, each with its 95% stratified-bootstrap CI."""
    flat = np.concatenate([np.asarray(s, dtype=np.float64) for s in per_task])
    return {"mean": float(flat.mean()), "iqm": iqm(flat),
            "ci95": list(stratified_bootstrap_ci(per_task, np.mean)),
            "iqm_ci95": list(stratified_bootstrap_ci(per_task, iqm))}
