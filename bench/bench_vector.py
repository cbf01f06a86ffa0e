"""Batched-env speed: one core, two threads, the PettingZoo path, memory, a soak — and mettagrid in the same run.

    python bench/bench_vector.py [--seconds 3] [--num-envs 16] [--soak-world-steps 10000000]
                                 [--mettagrid-python /tmp/mettavenv/bin/python]

One figure a line (`name value`), then ratios. The one-core figures pin this process (and mettagrid's) to CPU 0;
the two-thread figure lets the process use CPUs 0 and 1. Random actions are drawn before the timed loops; auto-resets
happen inside them. See bench/bench_mettagrid.py for installing mettagrid 0.26 in its own venv.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import gridenv  # noqa: E402
import gridenv.vector  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def vector_agent_steps_per_s(num_envs: int, num_threads: int, seconds: float) -> float:
    vec = gridenv.vector.make("arena", num_envs=num_envs, num_threads=num_threads, seed=0)
    pool = np.random.default_rng(0).integers(0, vec.single_action_space.n, (256, vec.num_agents), dtype=np.int32)
    for t in range(50):
        vec.step(pool[t])
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(32):
            np.copyto(vec.actions, pool[steps & 255])
            vec.step()
            steps += 1
    return steps * vec.num_agents / (time.perf_counter() - start)


def pettingzoo_agent_steps_per_s(seconds: float) -> float:
    env = gridenv.parallel_env("arena")
    pool = [dict(zip(env.possible_agents, row)) for row in
            np.random.default_rng(1).integers(0, env.action_space("agent_0").n, (512, 24)).tolist()]
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(32):
            if not env.agents:
                env.reset()
            env.step(pool[steps & 511])
            steps += 1
    return steps * 24 / (time.perf_counter() - start)


def memory_copy_gb_per_s() -> float:
    """Single-core memcpy bandwidth on 256 MiB buffers: the ceiling for observation writes."""
    source = np.ones(256 * 2**20, np.uint8)
    target = np.empty_like(source)
    np.copyto(target, source)
    start = time.perf_counter()
    for _ in range(5):
        np.copyto(target, source)
    return 5 * 2 * source.nbytes / (time.perf_counter() - start) / 1e9  # read + write


def mettagrid(python: str, seconds: float) -> dict[str, float]:
    script = Path(__file__).with_name("bench_mettagrid.py")
    out = subprocess.run(["taskset", "-c", "0", python, str(script), "--seconds", str(seconds)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.startswith("mettagrid_")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--soak-world-steps", type=int, default=0, help="e.g. 10000000 (two threads)")
    parser.add_argument("--mettagrid-python", help="a Python with mettagrid 0.26 installed, for the comparison")
    args = parser.parse_args()
    figures: dict[str, float] = {}

    os.sched_setaffinity(0, {0})
    figures["vector_1_thread_agent_steps_per_s"] = vector_agent_steps_per_s(args.num_envs, 1, args.seconds)
    figures["pettingzoo_agent_steps_per_s"] = pettingzoo_agent_steps_per_s(args.seconds)
    figures["memcpy_gb_per_s_1_core"] = memory_copy_gb_per_s()
    os.sched_setaffinity(0, {0, 1})
    figures["vector_2_threads_agent_steps_per_s"] = vector_agent_steps_per_s(args.num_envs, 2, args.seconds)
    if args.mettagrid_python:
        figures.update(mettagrid(args.mettagrid_python, args.seconds))

    vec = gridenv.vector.make("arena", num_envs=args.num_envs, num_threads=1, seed=0)
    buffers = (vec.observations, vec.actions, vec.rewards, vec.terminals, vec.truncations, vec.final_observations,
               vec.episode_done, vec.episode_stats)
    per_world = (vec.core.memory_bytes + sum(b.nbytes for b in buffers)) / args.num_envs
    figures["bytes_per_world"] = per_world
    figures["bytes_per_agent"] = per_world / vec.agents_per_env
    obs_bytes = vec.observations[0].nbytes
    figures["observation_bytes_per_agent_step"] = obs_bytes
    figures["observation_write_gb_per_s_1_core"] = figures["vector_1_thread_agent_steps_per_s"] * obs_bytes / 1e9

    if args.soak_world_steps:
        soak = gridenv.vector.make("arena", num_envs=args.num_envs, num_threads=2, seed=1)
        pool = np.random.default_rng(2).integers(0, soak.single_action_space.n, (256, soak.num_agents), np.int32)
        for t in range(1000):  # warm up: buffers and map scratch reach their steady size
            soak.step(pool[t & 255])
        figures["soak_rss_before_mib"] = rss_mib()
        start = time.perf_counter()
        for t in range(args.soak_world_steps // args.num_envs):
            soak.step(pool[t & 255])
        figures["soak_seconds"] = time.perf_counter() - start
        figures["soak_world_steps"] = args.soak_world_steps
        figures["soak_rss_after_mib"] = rss_mib()
    figures["process_max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for name, value in figures.items():
        print(f"{name} {value:.6g}" if value < 1000 else f"{name} {value:.0f}")
    one, two = figures["vector_1_thread_agent_steps_per_s"], figures["vector_2_threads_agent_steps_per_s"]
    print(f"ratio_2_threads_over_1 {two / one:.2f}")
    print(f"share_of_memcpy_bandwidth_in_observation_writes "
          f"{figures['observation_write_gb_per_s_1_core'] / figures['memcpy_gb_per_s_1_core']:.3f}")
    if "mettagrid_core_agent_steps_per_s" in figures:
        print(f"ratio_vector_1_core_over_mettagrid_core {one / figures['mettagrid_core_agent_steps_per_s']:.1f}")
        print(f"ratio_pettingzoo_over_mettagrid_pettingzoo "
              f"{figures['pettingzoo_agent_steps_per_s'] / figures['mettagrid_pettingzoo_agent_steps_per_s']:.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
