"""Evaluate a policy on an env config, and record a replay of one episode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import gridenv
import gridenv.vector


def evaluate(policy, env_config: gridenv.EnvConfig, episodes: int, seed: int = 0,
             num_threads: int = 1) -> dict[str, Any]:
    """Run `episodes` episodes (one per world, in parallel) and average the per-agent episode stats.

    Returns {"episodes", "mean_return" (per agent), "stats": {name: mean per agent}}.
    """
    vec = gridenv.vector.make(env_config, num_envs=episodes, num_threads=num_threads)
    observations, _ = vec.reset(seed=seed)
    state = policy.initial_state(vec.num_agents)
    dones = np.zeros(vec.num_agents, dtype=bool)
    finished = np.zeros(episodes, dtype=bool)
    collected = np.zeros((vec.num_agents, len(vec.stat_names)), dtype=np.float64)
    while not finished.all():
        actions, state = policy.act(observations, state, dones)
        observations, _, terminals, truncations, _ = vec.step(actions)
        newly = vec.episode_done & ~finished
        if newly.any():
            rows = np.repeat(newly, vec.agents_per_env)
            collected[rows] = vec.episode_stats[rows]
            finished |= newly
        dones = np.repeat(vec.episode_done, vec.agents_per_env)
    means = collected.mean(axis=0)
    stats = dict(zip(vec.stat_names, means.tolist()))
    return {"episodes": episodes, "mean_return": stats["reward"], "stats": stats}


def record_replay(policy, env_config: gridenv.EnvConfig, path: str | Path, seed: int = 0) -> dict[str, Any]:
    """Play one episode and save it as a gridenv replay (``.json.z``, docs/replays.md), written atomically: the
    config, the seed, the engine fingerprint and every step's actions and changes. ``gridenv replay PATH`` shows it
    in the browser; ``gridenv.replay.load_replay(PATH)`` reads it and ``check_resimulation`` re-runs it exactly.
    """
    from gridenv.replay import record_episode

    env = gridenv.parallel_env(env_config)
    recorder, written = record_episode(env, policy, path, seed=seed, policy_name=getattr(policy, "source", ""),
                                       recorded_by="gridenv-train")
    returns = [stats["reward"] for stats in env.episode_stats()]
    per_agent_return = float(np.sum(returns)) / len(env.possible_agents)  # like evaluate()'s mean_return
    return {"path": str(written), "steps": recorder.num_steps, "return": per_agent_return}
