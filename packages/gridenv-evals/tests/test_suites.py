"""The suites as published: every task solvable on every seed, and every task exactly as its pinned digest says."""

import pytest

from gridenv_evals.metrics import shortest_path
from gridenv_evals.suites import check_pinned, get_suite, list_suites, pinned_digests


@pytest.mark.parametrize("name", ["navigation-v1", "maze-v1"])
def test_every_task_is_solvable_on_every_seed(name):
    suite = get_suite(name)
    for task in suite.tasks:
        for seed, (tiles, start) in zip(task.seeds, task.initial_maps()):
            length = shortest_path(tiles, start, 3)
            assert length is not None, (task.name, seed)
            assert length <= task.config.game.max_steps // 2, (task.name, seed)  # a budget that leaves room


@pytest.mark.parametrize("name", ["navigation-v1", "maze-v1"])
def test_every_task_matches_its_pinned_digest(name):
    changed = check_pinned(get_suite(name))
    assert not changed, (f"{name}: tasks {changed} no longer match their pinned digests (rules or initial maps "
                         f"changed). Published numbers would move: register a new version of the suite instead of "
                         f"re-pinning this one.")


def test_the_suites_are_what_the_issue_asks_for():
    assert list_suites() == ["cooperation-v1", "in-context-v1", "maze-v1", "navigation-v1"]
    navigation = get_suite("navigation")  # the latest version
    assert navigation.full_name == "navigation-v1" and len(navigation.tasks) >= 30
    kinds = {task.kind for task in navigation.tasks}
    assert {"corridor", "spiral", "dead-ends", "rooms", "open", "out-of-sight", "memory", "cave"} <= kinds
    assert sum(t.config.map.generator == "ascii" for t in navigation.tasks) >= 20
    maze = get_suite("maze-v1")
    assert {t.config.map.maze.algorithm for t in maze.tasks} == {"backtracker", "kruskal"}
    assert max(t.config.map.width for t in maze.tasks) >= 51 and min(t.config.map.width for t in maze.tasks) <= 9
    assert set(pinned_digests()) == {"cooperation-v1", "in-context-v1", "maze-v1", "navigation-v1"}


def test_a_change_to_a_task_is_caught(monkeypatch):
    suite = get_suite("maze-v1")
    task = suite.tasks[0]
    moved = type(task)(task.name, task.config.model_copy(update={"game": task.config.game.model_copy(
        update={"max_steps": task.config.game.max_steps + 1})}), task.seeds, task.kind)
    assert moved.digest() != task.digest()
    shifted = type(task)(task.name, task.config, tuple(s + 1 for s in task.seeds), task.kind)
    assert shifted.digest() != task.digest()
    with pytest.raises(ValueError, match=r"unknown suite 'navgation'; known suites: cooperation-v1, in-context-v1, "
                                         r"maze-v1, navigation-v1"):
        get_suite("navgation")
