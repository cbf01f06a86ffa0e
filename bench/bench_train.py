"""End-to-end training speed on CPU: gridenv-train's LSTM PPO vs Stable-Baselines3 PPO through SuperSuit, on the
same env and machine, in one run. Also where gridenv-train's time goes (env / inference / learning).

    python bench/bench_train.py [--env arena] [--timesteps 200000]

One figure a line. SB3 runs its default MlpPolicy (64-64 MLP on the flattened observation) on the PettingZoo env
through pettingzoo_env_to_vec_env_v1 + concat_vec_envs_v1 (in-process); gridenv-train runs its default CNN + LSTM
policy on the batched C++ env. Both count agent-steps.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import gridenv
from gridenv_train import TrainerConfig
from gridenv_train.train import train


def sb3_agent_steps_per_s(env_name: str, timesteps: int, worlds: int) -> float:
    import supersuit
    from stable_baselines3 import PPO

    vec = supersuit.pettingzoo_env_to_vec_env_v1(gridenv.parallel_env(env_name))
    vec = supersuit.concat_vec_envs_v1(vec, worlds, num_cpus=0, base_class="stable_baselines3")
    model = PPO("MlpPolicy", vec, n_steps=32, batch_size=vec.num_envs * 32 // 4, n_epochs=4, verbose=0)
    model.learn(vec.num_envs * 32)  # warm-up
    start = time.perf_counter()
    model.learn(timesteps, reset_num_timesteps=False)
    return timesteps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="arena")
    parser.add_argument("--timesteps", type=int, default=200_000)
    args = parser.parse_args()
    config = TrainerConfig(total_timesteps=args.timesteps, eval_episodes=0, checkpoint_interval=10_000)
    with tempfile.TemporaryDirectory() as train_dir:
        summary = train(gridenv.resolve_config(args.env), config, "bench", train_dir, device="cpu", progress=False)
    ours = summary["sps"]
    theirs = sb3_agent_steps_per_s(args.env, args.timesteps, worlds=config.num_envs)
    print(f"env {gridenv.resolve_config(args.env).full_name} agent_steps {summary['global_step']}")
    print(f"gridenv_train_agent_steps_per_s {ours:.0f}")
    print(f"sb3_supersuit_agent_steps_per_s {theirs:.0f}")
    print(f"ratio_gridenv_train_over_sb3 {ours / theirs:.2f}")
    for part, share in summary["time_share"].items():
        print(f"gridenv_train_time_share_{part} {share:.3f}")


if __name__ == "__main__":
    main()
