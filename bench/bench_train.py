"""End-to-end training speed on CPU: gridenv-train's LSTM PPO vs Stable-Baselines3 PPO through SuperSuit, on the
same env and machine, in one run. Also where gridenv-train's time goes (env / inference / learning).

    python bench/bench_train.py [--env arena] [--timesteps 200000] [--sb3-timesteps 100000] [--like-for-like]
                                [--precision float32|bfloat16] [--flops]

One figure a line; all count agent-steps and use the same PPO shape (32-step rollouts of 16 worlds, 4 epochs of 4
minibatches). SB3 runs on the PettingZoo env through pettingzoo_env_to_vec_env_v1 + concat_vec_envs_v1
(in-process), with:
- its default MlpPolicy (a 64-64 MLP on the flattened observation, no memory): the comparison the issue names;
- with --like-for-like, gridenv-train's own network: PPO with gridenv-train's encoder as the features extractor (no
  LSTM), and sb3-contrib's RecurrentPPO with that encoder and one shared 128-unit LSTM (the same network as
  gridenv-train's). Needs `pip install sb3-contrib`.

With --flops it also counts the arithmetic each trainer does per agent-step (one rollout forward plus, per epoch, a
forward and backward; torch's FlopCounterMode, plus the LSTM counted by hand because the counter does not see inside
aten.lstm), times the machine's matrix-multiply peak with the same threads, and prints the arithmetic rate each
trainer reaches and the rate 10x SB3's agent-steps/s would need.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import gridenv
from gridenv_train import TrainerConfig
from gridenv_train.train import train


def sb3_vec_env(env_name: str, worlds: int):
    import supersuit

    vec = supersuit.pettingzoo_env_to_vec_env_v1(gridenv.parallel_env(env_name))
    return supersuit.concat_vec_envs_v1(vec, worlds, num_cpus=0, base_class="stable_baselines3")


def encoder_extractor(env_name: str, hidden_size: int):
    """An SB3 features extractor that is gridenv-train's encoder (the CNN + self-feature MLP + projection)."""
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

    from gridenv_train.policy import make_policy

    class GridenvEncoder(BaseFeaturesExtractor):
        def __init__(self, observation_space):
            super().__init__(observation_space, hidden_size)
            self.policy = make_policy(gridenv.parallel_env(env_name), hidden_size)
            del self.policy.lstm, self.policy.actor, self.policy.critic  # only the encoder is used

        def forward(self, observations):
            # SB3 hands over float observations (not scaled: 14 channels is not an "image" to it); encode() scales
            # by the observation space's exact highs, as in gridenv-train.
            return self.policy.encode(observations)

    return GridenvEncoder


def matmul_peak_flops(dtype=None, size: int = 2048, repeats: int = 20) -> float:
    """FLOP/s of a square fp32 (or dtype) matrix multiply with torch's current threads: the machine's practical peak."""
    import torch

    a = torch.randn(size, size, dtype=dtype or torch.float32)
    b = torch.randn(size, size, dtype=dtype or torch.float32)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def counted_flops(run) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        outputs = run()
        if outputs is not None:
            sum(output.float().sum() for output in outputs).backward()
    return float(counter.get_total_flops())


def gridenv_train_flops_per_agent_step(env_name: str, config: TrainerConfig) -> float:
    """Per agent-step: one rollout forward + update_epochs x (forward + backward) over bptt_horizon sequences."""
    import torch

    from gridenv_train.policy import make_policy

    env = gridenv.parallel_env(env_name)
    policy = make_policy(env, config.hidden_size)
    steps, batch = config.bptt_horizon, 64
    observations = torch.zeros(steps, batch, *env.observation_space(env.possible_agents[0]).shape, dtype=torch.uint8)
    dones = torch.zeros(steps, batch)

    def forward():
        logits, values, _ = policy(observations, policy.initial_state(batch), dones)
        return logits, values

    with torch.no_grad():
        forward_flops = counted_flops(lambda: (forward(), None)[1])
    train_flops = counted_flops(forward)
    # aten.lstm is opaque to the counter: 4 gates x (input + hidden) x hidden multiply-adds per step forward, about
    # twice that backward.
    lstm_forward = 2 * 4 * (2 * config.hidden_size) * config.hidden_size * steps * batch
    per_sample = steps * batch
    return (forward_flops + lstm_forward + config.update_epochs * (train_flops + 3 * lstm_forward)) / per_sample


def sb3_flops_per_agent_step(model, update_epochs: int) -> float:
    """SB3's rollout forward + update_epochs x evaluate_actions forward and backward, per agent-step."""
    import torch

    batch = 1024
    observations = torch.zeros(batch, *model.observation_space.shape)
    actions = torch.zeros(batch, dtype=torch.long)
    with torch.no_grad():
        forward_flops = counted_flops(lambda: (model.policy(observations), None)[1])
    train_flops = counted_flops(lambda: model.policy.evaluate_actions(observations, actions))
    return (forward_flops + update_epochs * train_flops) / batch


def sb3_agent_steps_per_s(model, timesteps: int) -> float:
    model.learn(model.n_steps * model.n_envs)  # warm-up: one rollout and update
    start = time.perf_counter()
    model.learn(timesteps, reset_num_timesteps=False)
    return timesteps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="arena")
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--sb3-timesteps", type=int, default=None, help="default: --timesteps")
    parser.add_argument("--like-for-like", action="store_true", help="also SB3 with gridenv-train's network")
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"],
                        help="gridenv-train's trainer.precision (SB3 always runs float32)")
    parser.add_argument("--flops", action="store_true", help="also count FLOPs per agent-step and the machine's peak")
    args = parser.parse_args()
    sb3_timesteps = args.sb3_timesteps or args.timesteps
    config = TrainerConfig(total_timesteps=args.timesteps, eval_episodes=0, checkpoint_interval=10_000,
                           precision=args.precision)
    with tempfile.TemporaryDirectory() as train_dir:
        summary = train(gridenv.resolve_config(args.env), config, "bench", train_dir, device="cpu", progress=False)
    ours = summary["sps"]
    print(f"env {gridenv.resolve_config(args.env).full_name} agent_steps {summary['global_step']} "
          f"precision {args.precision}")
    print(f"gridenv_train_agent_steps_per_s {ours:.0f}")
    for part, share in summary["time_share"].items():
        print(f"gridenv_train_time_share_{part} {share:.3f}")

    from stable_baselines3 import PPO

    vec = sb3_vec_env(args.env, config.num_envs)
    shape = dict(n_steps=config.rollout_steps, batch_size=vec.num_envs * config.rollout_steps // config.num_minibatches,
                 n_epochs=config.update_epochs, learning_rate=config.learning_rate, verbose=0, device="cpu")
    runs = {"sb3_mlp": lambda: PPO("MlpPolicy", vec, **shape)}
    if args.like_for_like:
        from sb3_contrib import RecurrentPPO

        encoder = encoder_extractor(args.env, config.hidden_size)
        runs["sb3_gridenv_encoder_no_lstm"] = lambda: PPO(
            "MlpPolicy", vec, policy_kwargs=dict(features_extractor_class=encoder, net_arch=dict(pi=[], vf=[])),
            **shape)
        runs["sb3_contrib_recurrent_same_network"] = lambda: RecurrentPPO(
            "MlpLstmPolicy", vec, policy_kwargs=dict(features_extractor_class=encoder, net_arch=dict(pi=[], vf=[]),
                                                     lstm_hidden_size=config.hidden_size, shared_lstm=True,
                                                     enable_critic_lstm=False), **shape)
    measured = {}
    for name, make_model in runs.items():
        model = make_model()
        theirs = measured[name] = sb3_agent_steps_per_s(model, sb3_timesteps)
        print(f"{name}_agent_steps_per_s {theirs:.0f}")
        print(f"ratio_gridenv_train_over_{name} {ours / theirs:.2f}")
        if args.flops and name == "sb3_mlp":
            sb3_flops = sb3_flops_per_agent_step(model, config.update_epochs)
    if args.flops:
        import torch

        our_flops = gridenv_train_flops_per_agent_step(args.env, config)
        peak = matmul_peak_flops()
        print(f"torch_threads {torch.get_num_threads()}")
        print(f"matmul_peak_gflops_float32 {peak / 1e9:.1f}")
        print(f"matmul_peak_gflops_bfloat16 {matmul_peak_flops(torch.bfloat16) / 1e9:.1f}")
        print(f"gridenv_train_mflop_per_agent_step {our_flops / 1e6:.2f}")
        print(f"sb3_mlp_mflop_per_agent_step {sb3_flops / 1e6:.2f}")
        print(f"gridenv_train_achieved_gflops {ours * our_flops / 1e9:.1f}")
        print(f"sb3_mlp_achieved_gflops {measured['sb3_mlp'] * sb3_flops / 1e9:.1f}")
        target = 10 * measured["sb3_mlp"]
        for name, flops in (("gridenv_train_network", our_flops), ("sb3_mlp_network", sb3_flops)):
            needed = target * flops
            print(f"gflops_needed_for_10x_sb3_with_{name} {needed / 1e9:.0f} "
                  f"({needed / peak:.1f}x the float32 matmul peak)")


if __name__ == "__main__":
    main()
