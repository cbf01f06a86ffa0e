"""Golden playthroughs: fixed configs, seeds and action lists, replayed step by step against recorded outcomes.

Each file in tests/golden/ holds a config, a seed, the actions of every step, and what came out: a digest of every
step's observations, the rewards, terminations and truncations, the map, and the episode stats. A failing test means
the game's behaviour changed. When that is intended, regenerate them and say so in the commit:

    python tests/test_golden.py --regenerate
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import gridenv

GOLDEN = Path(__file__).parent / "golden"
ALL_MECHANICS = {
    "name": "golden-all-mechanics",
    "game": {"num_agents": 6, "max_steps": 90,
             "actions": ["noop", "move_north", "move_south", "move_west", "move_east", "use", "attack",
                         "toggle_shield", "share", "glyph_0", "glyph_1", "marker_0", "build", "destroy", "bond",
                         "switch_body"],
             "groups": [{"name": "a", "posture": {"energy_cap": 40}}, {"name": "b"}],
             "build": {"cost": {}, "max_walls_per_agent": 3}},
    "map": {"generator": "rooms", "width": 13, "height": 11, "converter_counts": {"mine": 3, "charger": 2, "altar": 2}},
    "kinship": {"scheme": "bonds", "bond_window": 4, "bond_cost": 0},
}
PLAYTHROUGHS = {  # name: (config, seed, steps)
    "arena-small": ("arena-small", 3, 150),
    "navigation": ("navigation", 5, 120),
    "in-context": ("in-context", 8, 120),
    "all-mechanics": (ALL_MECHANICS, 4, 90),
}


def play(config, seed: int, actions: list[dict[str, int]] | None, steps: int) -> dict:
    """Run one episode (drawing random actions when `actions` is None) and record what came out."""
    env = gridenv.parallel_env(config)
    observations, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    record = {"map": env.state().tolist(), "actions": [], "observations": [], "rewards": [], "terminations": [],
              "truncations": []}

    def digest(observations: dict[str, np.ndarray]) -> str:
        hasher = hashlib.sha256()
        for agent in sorted(observations):
            hasher.update(agent.encode() + observations[agent].tobytes())
        return hasher.hexdigest()[:32]

    record["observations"].append(digest(observations))
    for step in range(steps):
        if not env.agents:
            break
        chosen = actions[step] if actions is not None else \
            {agent: int(rng.integers(env.action_space(agent).n)) for agent in env.agents}
        observations, rewards, terminations, truncations, _ = env.step(chosen)
        record["actions"].append(chosen)
        record["observations"].append(digest(observations))
        record["rewards"].append({agent: float(value) for agent, value in rewards.items()})
        record["terminations"].append(sorted(agent for agent, done in terminations.items() if done))
        record["truncations"].append(sorted(agent for agent, done in truncations.items() if done))
    record["episode_stats"] = env.episode_stats()
    return record


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


@pytest.mark.parametrize("name", PLAYTHROUGHS)
def test_playthrough_matches_its_golden_record(name):
    saved = json.loads(golden_path(name).read_text())
    config, seed, steps = PLAYTHROUGHS[name]
    assert saved["seed"] == seed
    replayed = play(gridenv.EnvConfig.model_validate(saved["config"]), seed, saved["actions"], steps)
    assert replayed["map"] == saved["map"], "the map drawn for this seed changed"
    for step, (got, want) in enumerate(zip(replayed["observations"], saved["observations"])):
        assert got == want, f"observations differ from step {step} on"
    for key in ("rewards", "terminations", "truncations"):
        for step, (got, want) in enumerate(zip(replayed[key], saved[key])):
            assert got == want, f"{key} differ at step {step + 1}"
    assert len(replayed["observations"]) == len(saved["observations"])
    assert replayed["episode_stats"] == saved["episode_stats"]


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, (config, seed, steps) in PLAYTHROUGHS.items():
        resolved = gridenv.resolve_config(config)
        record = {"config": resolved.to_dict(), "seed": seed, **play(resolved, seed, None, steps)}
        golden_path(name).write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"{golden_path(name)}: {len(record['actions'])} steps")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
