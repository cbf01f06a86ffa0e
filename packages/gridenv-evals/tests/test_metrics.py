"""Metrics against hand-computed values on tiny inputs and hand-drawn maps."""

import numpy as np
import pytest

from gridenv_evals.metrics import (aggregate, iqm, normalize, plan_to_goal, shortest_path, spl,
                                   stratified_bootstrap_ci)

NORTH, SOUTH, WEST, EAST = 0, 1, 2, 3


def tiles(text: str) -> np.ndarray:
    """Tile codes from an ASCII map: '#' 1, '.' 0, '0' (the agent) 2, 'a' (the altar) 3."""
    codes = {"#": 1, ".": 0, "0": 2, "a": 3}
    return np.array([[codes[ch] for ch in row] for row in text.strip().splitlines()], dtype=np.uint8)


def test_shortest_paths_count_moves_turns_and_the_final_use():
    corridor = tiles("######\n#0..a#\n######")
    assert plan_to_goal(corridor, (1, 1, NORTH), 3) == ["move_east", "move_east", "use"]
    assert shortest_path(tiles("###\n#a#\n#0#\n###"), (2, 1, NORTH), 3) == 1  # facing it: use at once
    # Facing away: a move into the altar only turns the agent (it cannot step there), then use.
    assert plan_to_goal(tiles("###\n#0#\n#a#\n###"), (1, 1, NORTH), 3) == ["move_south", "use"]
    around = tiles("#####\n#0#a#\n#...#\n#####")
    assert plan_to_goal(around, (1, 1, NORTH), 3) == ["move_south", "move_east", "move_east", "move_north", "use"]
    assert shortest_path(tiles("#####\n#0#a#\n#####"), (1, 1, NORTH), 3) is None  # walled off


def test_spl_is_success_weighted_by_shortest_over_actual():
    assert spl([1, 1, 0, 1], [10, 10, 10, 10], [20, 10, 5, 40]).tolist() == [0.5, 1.0, 0.0, 0.25]


def test_iqm_is_the_mean_of_the_middle_half():
    assert iqm(np.arange(1, 9)) == 4.5  # [3, 4, 5, 6]
    assert iqm(np.arange(10)) == 4.5  # int(2.5) = 2 cut from each end: [2 .. 7]
    assert iqm([0, 0, 0, 0, 0, 0, 1, 1]) == 0.0  # a success rate of 0.25 has an IQM of 0: outliers are cut
    assert iqm([[1.0, 100.0], [2.0, 3.0]]) == 2.5  # flattened first
    with pytest.raises(ValueError):
        iqm([])


def test_normalize_maps_the_references_to_0_and_1_and_refuses_to_divide_by_zero():
    assert normalize(0.55, 0.1, 1.0).tolist() == pytest.approx(0.5)
    assert normalize([0.1, 1.0, 1.45], 0.1, 1.0).tolist() == pytest.approx([0.0, 1.0, 1.5])
    assert np.isnan(normalize(0.3, 0.5, 0.5))


def test_the_bootstrap_is_stratified_by_task_and_seeded():
    # One task always succeeds, the other never: resampling within each task keeps the mean at exactly 0.5. A plain
    # (unstratified) bootstrap over the 20 pooled episodes would swing around it.
    per_task = [np.ones(10), np.zeros(10)]
    assert stratified_bootstrap_ci(per_task, np.mean) == (0.5, 0.5)
    constant = [np.full(7, 0.25), np.full(3, 0.25)]
    assert stratified_bootstrap_ci(constant, np.mean) == (0.25, 0.25) and stratified_bootstrap_ci(constant, iqm) == \
        (0.25, 0.25)
    varied = [np.array([0.0, 1.0, 1.0, 0.0, 1.0]), np.array([0.2, 0.4, 0.9])]
    low, high = stratified_bootstrap_ci(varied, np.mean)
    assert low < np.concatenate(varied).mean() < high
    assert stratified_bootstrap_ci(varied, np.mean) == (low, high)  # the same seed, the same interval
    summary = aggregate(varied)
    assert summary["mean"] == pytest.approx(4.5 / 8) and summary["ci95"] == [low, high]
    assert summary["iqm"] == pytest.approx(np.mean([0.2, 0.4, 0.9, 1.0]))  # 8 scores: the middle 4
