"""gridenv-evals speed: a whole suite for a policy, and the eval's agent-steps/s as a ratio to the trainer's
inference-only throughput (the same network's forward + sampling on the trainer's rollout batch, no env).

    python bench/bench_evals.py [--suite navigation] [--policy baseline://reference-navigation]

Prints the suite's wall time, its agent-steps (every world stepped, including worlds whose episode had already
ended while others of the task played on) and the useful ones (episode lengths), and the ratios.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from gridenv_evals import build_results, get_suite, load_policy, run_suite, task_spec


def inference_only(policy, batch: int, seconds: float) -> float:
    """Agent-steps/s of policy.act alone on random observations of the task's shape (batch rows per call)."""
    shape = policy.observation_shape
    rng = np.random.default_rng(0)
    observations = rng.integers(0, 2, (batch, *shape), dtype=np.uint8)
    dones = np.zeros(batch, dtype=bool)
    state = policy.initial_state(batch)
    for _ in range(5):
        _, state = policy.act(observations, state, dones)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        _, state = policy.act(observations, state, dones)
        calls += 1
    return calls * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="navigation")
    parser.add_argument("--policy", default="baseline://reference-navigation")
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--trainer-batch", type=int, default=128, help="the navigation overlay's 128 worlds x 1 agent")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--torch-threads", type=int, default=1, help="as gridenv-train's default [1]")
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    suite = get_suite(args.suite)
    policy = load_policy(args.policy, task_spec(suite.tasks[0]))
    episodes = args.episodes or suite.episodes
    start = time.perf_counter()
    task_results = run_suite(suite, policy, args.policy, episodes, args.threads)
    wall = time.perf_counter() - start
    results = build_results(suite, args.policy, episodes, task_results)
    useful = sum(e.steps for r in task_results for e in r.episodes)
    stepped = sum(max(e.steps for e in r.episodes) * len(r.episodes) for r in task_results)
    print(f"suite_wall_s {wall:.2f}  ({suite.full_name}, {len(suite.tasks)} tasks x {episodes} episodes, "
          f"success {results.aggregates['success'].mean:.3f})")
    print(f"eval_agent_steps_stepped {stepped}  eval_agent_steps_useful {useful}")
    eval_sps = stepped / wall
    print(f"eval_agent_steps_per_s {eval_sps:,.0f}  (useful {useful / wall:,.0f})")
    if hasattr(policy, "observation_shape"):
        trainer = inference_only(policy, args.trainer_batch, args.seconds)
        same = inference_only(policy, episodes, args.seconds)
        print(f"inference_only_agent_steps_per_s batch {args.trainer_batch}: {trainer:,.0f}   batch {episodes}: "
              f"{same:,.0f}")
        print(f"ratio_eval_to_trainer_inference {eval_sps / trainer:.2f}  (target >= 0.5)")
        print(f"ratio_eval_to_inference_at_the_eval_batch {eval_sps / same:.2f}")


if __name__ == "__main__":
    main()
