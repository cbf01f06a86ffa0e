"""Evaluate a policy on an env config, and record a replay of one episode."""

from __future__ import annotations

import os
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
    """Play one episode and save it as a compressed .npz, written atomically:

    tiles (T+1, H, W) uint8 (0 empty, 1 wall, 2 agent, 3+k converter k), agents (T+1, A, 3) int32 (row, col,
    orientation), actions (T, A) int32, rewards (T, A) float32, inventories (T+1, A, R) int32, and the env config as
    JSON. ``gridenv.render`` can redraw any frame.
    """
    env = gridenv.parallel_env(env_config)
    observations, _ = env.reset(seed=seed)
    agents = env.possible_agents
    state = policy.initial_state(len(agents))
    frames = [env.state()]
    positions = [env.world.agent_positions()]
    inventories = [env.world.inventories()]
    actions_log, rewards_log = [], []
    latest = dict(observations)  # an agent that left keeps its last observation (its action is not used)
    while env.agents:
        actions, state = policy.act(np.stack([latest[a] for a in agents]), state, None)
        observations, rewards, *_ = env.step({a: int(actions[i]) for i, a in enumerate(agents) if a in env.agents})
        latest.update(observations)
        frames.append(env.state())
        positions.append(env.world.agent_positions())
        inventories.append(env.world.inventories())
        actions_log.append(actions)
        rewards_log.append([rewards.get(a, 0.0) for a in agents])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, tiles=np.stack(frames), agents=np.asarray(positions, np.int32),
                        actions=np.asarray(actions_log, np.int32), rewards=np.asarray(rewards_log, np.float32),
                        inventories=np.asarray(inventories, np.int32), config=np.array(env_config.to_json()))
    os.replace(tmp, path)
    per_agent_return = float(np.sum(rewards_log)) / len(env.possible_agents)  # like evaluate()'s mean_return
    return {"path": str(path), "steps": len(actions_log), "return": per_agent_return}
