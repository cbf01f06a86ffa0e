#!/usr/bin/env python
"""Standalone throughput benchmark for the PyPI package `mettagrid` 0.26.x.

Run with the Python of a separate venv that has it (it pins its own numpy and pettingzoo):
    python3 -m venv /tmp/mettavenv && /tmp/mettavenv/bin/pip install mettagrid==0.26.22
    /tmp/mettavenv/bin/python bench/bench_mettagrid.py [--seconds 4]
bench/bench_vector.py --mettagrid-python /tmp/mettavenv/bin/python runs it in the same session, for ratios.

Environment: mettagrid.builder.envs.make_arena(num_agents=24) -- the package's
arena builder (25x25 random map + 6-cell border -> 37x37 grid, 10 walls,
actions noop/move_{north,south,west,east}, max_steps=10000).

(a) core:       the pybind11 C++ object `mettagrid.mettagrid_c.MettaGrid`
                (Simulation._c_sim), bound to our own numpy buffers via
                set_buffers(); per step: np.copyto(actions_buf, acts[i]); c_sim.step()
(b) pettingzoo: mettagrid.envs.pettingzoo_env.MettaGridPettingZooEnv
                (ParallelEnv dict API): env.step({agent_id: action, ...})

Both are single-threaded; thread env vars are pinned to 1 before numpy loads.
Random valid actions are pre-generated outside the timed loops. Episode resets
(when all agents are truncated/terminated) happen inside the timed loops and are
counted in the throughput; reset cost is also reported separately.
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
           "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from mettagrid.builder.envs import make_arena  # noqa: E402
from mettagrid.envs.pettingzoo_env import MettaGridPettingZooEnv  # noqa: E402
from mettagrid.mettagrid_c import (  # noqa: E402
    dtype_actions,
    dtype_masks,
    dtype_observations,
    dtype_rewards,
    dtype_terminals,
    dtype_truncations,
)
from mettagrid.simulator import Simulator  # noqa: E402
from mettagrid.simulator.simulator import Buffers  # noqa: E402

logging.disable(logging.WARNING)

NUM_AGENTS = 24
POOL_STEPS = 4096  # pre-generated random action rows, cycled


def make_buffers(num_agents, obs_shape):
    return Buffers(
        observations=np.zeros((num_agents, *obs_shape), dtype=dtype_observations),
        terminals=np.zeros(num_agents, dtype=dtype_terminals),
        truncations=np.zeros(num_agents, dtype=dtype_truncations),
        rewards=np.zeros(num_agents, dtype=dtype_rewards),
        masks=np.ones(num_agents, dtype=dtype_masks),
        actions=np.zeros(num_agents, dtype=dtype_actions),
        vibe_actions=np.zeros(num_agents, dtype=dtype_actions),
        teacher_actions=np.zeros(num_agents, dtype=dtype_actions),
    )


def bench_core(cfg, seconds, warmup_steps, seed=0):
    simulator = Simulator()
    probe = simulator.new_simulation(cfg, seed=seed)
    num_agents = probe.num_agents
    obs_shape = tuple(probe.observation_shape)
    action_names = list(probe.action_names)
    map_hw = (probe.map_height, probe.map_width)
    probe.close()

    buf = make_buffers(num_agents, obs_shape)
    sim = simulator.new_simulation(cfg, seed=seed, buffers=buf)  # calls c_sim.set_buffers(...)
    c_sim = sim._c_sim
    n_actions = len(action_names)

    rng = np.random.default_rng(seed)
    acts = rng.integers(0, n_actions, size=(POOL_STEPS, num_agents), dtype=np.int64).astype(dtype_actions)
    act_buf, trunc, term = buf.actions, buf.truncations, buf.terminals

    state = {"sim": sim, "c": c_sim, "resets": 0, "reset_s": 0.0, "seed": seed}

    def reset():
        t0 = time.perf_counter()
        state["sim"].close()
        state["seed"] += 1
        state["sim"] = simulator.new_simulation(cfg, seed=state["seed"], buffers=buf)
        state["c"] = state["sim"]._c_sim
        state["resets"] += 1
        state["reset_s"] += time.perf_counter() - t0

    def run(n, start):
        c = state["c"]
        for k in range(start, start + n):
            np.copyto(act_buf, acts[k % POOL_STEPS])
            c.step()
            if trunc.all() or term.all():
                reset()
                c = state["c"]
        return start + n

    # warm-up
    idx = run(warmup_steps, 0)
    # measure one explicit reset cost (not in the timed loop)
    reset_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        reset()
        reset_times.append(time.perf_counter() - t0)
    state["resets"] = 0
    state["reset_s"] = 0.0

    chunk = 200
    steps = 0
    t_start = time.perf_counter()
    while True:
        idx = run(chunk, idx)
        steps += chunk
        elapsed = time.perf_counter() - t_start
        if elapsed >= seconds:
            break
    info = dict(
        num_agents=num_agents, obs_shape=obs_shape, obs_dtype=str(buf.observations.dtype),
        action_names=action_names, map_hw=map_hw, max_steps=state["c"].max_steps,
        steps=steps, elapsed=elapsed, resets=state["resets"], resets_in_loop_s=state["reset_s"],
        reset_ms=1000 * float(np.median(reset_times)),
    )
    state["sim"].close()
    return steps * num_agents / elapsed, info


def bench_pettingzoo(cfg, seconds, warmup_steps, seed=0):
    env = MettaGridPettingZooEnv(Simulator(), cfg)
    obs, infos = env.reset(seed=seed)
    agents = list(env.possible_agents)
    n_actions = int(env.action_space(agents[0]).n)
    rng = np.random.default_rng(seed + 1)
    raw = rng.integers(0, n_actions, size=(POOL_STEPS, len(agents))).tolist()
    pool = [dict(zip(agents, row)) for row in raw]  # dict actions pre-built outside the timed loop

    state = {"resets": 0, "seed": seed}

    def run(n, start):
        for k in range(start, start + n):
            obs, rew, term, trunc, info = env.step(pool[k % POOL_STEPS])
            if not env.agents:  # all agents terminated/truncated -> episode over
                state["seed"] += 1
                env.reset(seed=state["seed"])
                state["resets"] += 1
        return start + n

    idx = run(warmup_steps, 0)
    reset_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        state["seed"] += 1
        env.reset(seed=state["seed"])
        reset_times.append(time.perf_counter() - t0)
    state["resets"] = 0

    chunk = 200
    steps = 0
    t_start = time.perf_counter()
    while True:
        idx = run(chunk, idx)
        steps += chunk
        elapsed = time.perf_counter() - t_start
        if elapsed >= seconds:
            break
    info = dict(
        num_agents=len(agents), obs_shape=tuple(env.observation_space(agents[0]).shape),
        n_actions=n_actions, steps=steps, elapsed=elapsed, resets=state["resets"],
        reset_ms=1000 * float(np.median(reset_times)), sample_obs_type=type(obs).__name__,
    )
    env.close()
    return steps * len(agents) / elapsed, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0, help="timed duration per benchmark")
    ap.add_argument("--warmup-steps", type=int, default=500)
    args = ap.parse_args()

    cfg = make_arena(num_agents=NUM_AGENTS)
    print(f"# mettagrid {importlib.metadata.version('mettagrid')}, numpy {np.__version__}, "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, env=make_arena(num_agents={NUM_AGENTS}) "
          f"label={cfg.label} max_steps={cfg.game.max_steps}")

    core_sps, ci = bench_core(cfg, args.seconds, args.warmup_steps)
    print(f"# core: agents={ci['num_agents']} obs_shape=({ci['num_agents']}, {', '.join(map(str, ci['obs_shape']))}) "
          f"{ci['obs_dtype']} (per agent {ci['obs_shape']} = tokens x [loc, feature, value]) "
          f"map={ci['map_hw'][0]}x{ci['map_hw'][1]} actions={ci['action_names']}")
    print(f"# core: {ci['steps']} env steps in {ci['elapsed']:.2f}s "
          f"({ci['steps'] / ci['elapsed']:.0f} env steps/s), resets in loop={ci['resets']} "
          f"({ci['resets_in_loop_s'] * 1000:.1f} ms total)")
    print(f"# core reset: no in-place C++ reset; episode ends when all agents truncated at "
          f"max_steps={ci['max_steps']} -> close sim, Simulator.new_simulation(cfg, seed+1, buffers=buf) "
          f"(regenerates map + new C++ MettaGrid, rebinds buffers); median {ci['reset_ms']:.1f} ms")
    print(f"mettagrid_core_agent_steps_per_s {core_sps:.0f}")

    pz_sps, pi = bench_pettingzoo(cfg, args.seconds, args.warmup_steps)
    print(f"# pettingzoo: agents={pi['num_agents']} per-agent obs_shape={pi['obs_shape']} "
          f"Discrete({pi['n_actions']}), obs returned as {pi['sample_obs_type']} {{agent_id: ndarray}}")
    print(f"# pettingzoo: {pi['steps']} env steps in {pi['elapsed']:.2f}s "
          f"({pi['steps'] / pi['elapsed']:.0f} env steps/s), resets in loop={pi['resets']}")
    print(f"# pettingzoo reset: env.reset(seed) when env.agents is empty (agents drop out when truncated); "
          f"reset = close sim + Simulator.new_simulation; median {pi['reset_ms']:.1f} ms")
    print(f"mettagrid_pettingzoo_agent_steps_per_s {pz_sps:.0f}")


if __name__ == "__main__":
    main()
