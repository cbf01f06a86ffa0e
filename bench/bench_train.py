"""End-to-end training speed on CPU: gridenv-train's LSTM PPO vs Stable-Baselines3 PPO through SuperSuit, on the
same env and machine, in one run. Also where gridenv-train's time goes (env / inference / learning).

    python bench/bench_train.py [--env arena] [--timesteps 200000] [--sb3-timesteps 100000] [--like-for-like]
                                [--precision float32|bfloat16] [--flops]
    python bench/bench_train.py --time-to-skill [--env navigation] [--wall-budget 240] [--target 0.9] [--seeds 1 2 3]
                                [--variant cnn --variant puffer=trainer.encoder=puffer ...]

--time-to-skill (issue 12) measures what users feel instead of agent-steps/s: each trainer trains for the same wall
budget in a child process (gridenv-train with its defaults and the env's overlay, checkpointing every few updates;
SB3 PPO through SuperSuit with its default MlpPolicy and with the tuned config below, saving every few rollouts);
afterwards every saved policy is evaluated on the same fixed-seed episodes, and the script prints, per trainer, the
seconds and agent-steps at which hearts per agent per episode (navigation: the success rate) first reached
--target, and the best score within the budget. The wall time of a saved policy is its file's modification time
minus the start of the child process (so SB3's and torch's imports count for both).
--variant NAME[=KEY=VALUE] [KEY=VALUE ...] (repeatable) races several gridenv-train configs in the same run instead of
the one default: each is gridenv-train with --gridenv-set and then its own trainer overrides (`trainer.` prefix
optional), reported as its own learner row `gridenv_train:NAME`; within each seed the variants run one after another,
then SB3, so every learner of a seed runs at about the same time.
SB3 tuned (`sb3_tuned`): observations scaled to [0, 1] by supersuit.normalize_obs_v0 (SB3 does not scale non-image
Boxes: the kinship plane reads 255), 64 worlds, 64-step rollouts, 4 epochs of minibatch 1024, lr 1e-3, the env's
overlay gamma (navigation 0.95), ent_coef 0.01, a 128-128 MLP.

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
import math
import sys
import tempfile
import time

import yaml

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


SB3_TTS_CHILD = r"""
import json, os, sys, time
start = time.time()
args = json.loads(sys.argv[1])
import gridenv, supersuit
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
import torch
torch.set_num_threads(args["torch_threads"])
parallel = gridenv.parallel_env(args["env"])
if args["normalize"]:
    parallel = supersuit.normalize_obs_v0(supersuit.dtype_v0(parallel, "float32"))  # obs / high
vec = supersuit.concat_vec_envs_v1(supersuit.pettingzoo_env_to_vec_env_v1(parallel), args["worlds"], num_cpus=0, base_class="stable_baselines3")

class Save(BaseCallback):
    def __init__(self):
        super().__init__()
        self.rollouts = 0
    def _on_step(self):
        return time.time() - start < args["budget"]
    def _on_rollout_end(self):
        self.rollouts += 1
        if self.rollouts % args["save_every"] == 0:
            self.model.save(os.path.join(args["dir"], f"step{self.num_timesteps:09d}.zip"))

torch.manual_seed(args["seed"])  # PPO(seed=...) would call ConcatVecEnv.seed, which SuperSuit does not have
model = PPO("MlpPolicy", vec, device="cpu", verbose=0, **args["kwargs"])
model.learn(10**9, callback=Save())
"""


class SB3Policy:
    """An SB3 model behind gridenv-train's policy interface (for gridenv_train.evaluate.evaluate)."""

    def __init__(self, model, high=None):
        self.model, self.high = model, high

    def initial_state(self, batch):
        return None

    def act(self, observations, state, dones=None):
        import numpy as np

        obs = observations if self.high is None else observations.astype(np.float32) / self.high
        actions, _ = self.model.predict(obs, deterministic=False)
        return np.asarray(actions, dtype=np.int32), state


def time_to_skill(args) -> None:
    """Same wall budget for gridenv-train and SB3 (default MlpPolicy, tuned), for each seed; evaluate every saved
    policy after; print a table (per learner and seed: seconds to each threshold, final score; medians; SB3 over
    gridenv-train in time to each threshold) and write every point as JSON to --out."""
    import json
    import os
    import statistics
    from pathlib import Path

    import numpy as np
    import torch

    from gridenv_train.config import env_overlay
    from gridenv_train.evaluate import evaluate
    from gridenv_train.policy_api import RandomPolicy

    torch.set_num_threads(args.eval_threads)  # the evaluations in this process (the children set their own)
    env_config = gridenv.resolve_config(args.env)
    probe = gridenv.parallel_env(env_config)
    high = np.maximum(np.asarray(probe.observation_space(probe.possible_agents[0]).high, np.float32), 1.0)
    if args.train_dir:
        Path(args.train_dir).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench_tts_", dir=args.train_dir))

    def score(policy) -> float:
        return evaluate(policy, env_config, args.eval_episodes, seed=10_000, num_threads=1)["stats"]["heart.gained"]

    def report(name: str, points: list[tuple[int, float, float]], load: tuple[float, float]) -> dict:
        for step, seconds, value in points:
            print(f"  {name} step {step} t {seconds:.1f}s score {value:.3f}", flush=True)
        reached = next(((step, seconds) for step, seconds, value in points if value >= args.target), None)
        best = max(points, key=lambda p: p[2]) if points else (0, 0.0, float("nan"))
        print(f"{name}: target {args.target} reached at "
              f"{'never' if reached is None else f'{reached[1]:.1f} s / {reached[0]} agent-steps'}; best "
              f"{best[2]:.3f} at {best[1]:.1f} s; last {points[-1][2] if points else float('nan'):.3f} "
              f"(load {load[0]:.2f} -> {load[1]:.2f})", flush=True)
        return {"points": points, "load": load}

    random_score = score(RandomPolicy(probe.action_space(probe.possible_agents[0]).n, 0))
    load = os.getloadavg()
    print(f"time-to-skill env {env_config.full_name} wall budget {args.wall_budget} s target {args.target} seeds "
          f"{args.seeds} affinity {sorted(os.sched_getaffinity(0))} load {load[0]:.2f} {load[1]:.2f}; random "
          f"{random_score:.3f}", flush=True)

    overlay = env_overlay(env_config.name)
    results: dict[str, dict[int, dict]] = {}
    out = Path(args.out) if args.out else root / "results.json"
    for seed in args.seeds:
        if "gridenv-train" in args.trainers:
            for name, overrides in args.variants.items():
                results.setdefault(name, {})[seed] = _gridenv_train_to_skill(args, env_config, root, score, report,
                                                                             seed, name, overrides)
        if "sb3" in args.trainers:
            for name, run in _sb3_to_skill(args, env_config, root, score, report, overlay, high, seed).items():
                results.setdefault(name, {})[seed] = run
        out.write_text(json.dumps({"env": env_config.full_name, "budget": args.wall_budget, "random": random_score,
                                   "affinity": sorted(os.sched_getaffinity(0)), "gridenv_set": args.gridenv_set,
                                   "variants": args.variants, "results": results}, indent=1))
    print(f"results: {out}", flush=True)

    # The table: seconds to each threshold (first saved policy at or above it), the last score within the budget.
    thresholds = sorted(set(args.thresholds) | {args.target})

    def first(points, threshold):
        return next((seconds for _, seconds, value in points if value >= threshold), None)

    def fmt(value, unit=" s"):
        return "not reached" if value is None else f"{value:.1f}{unit}"

    print(f"\nTABLE env {env_config.full_name} budget {args.wall_budget} s (random {random_score:.3f})")
    print("learner | seed | " + " | ".join(f"s to {t}" for t in thresholds) + " | final | best")
    medians: dict[str, dict] = {}
    for name, runs in results.items():
        for seed, run in runs.items():
            points = run["points"]
            print(f"{name} | {seed} | " + " | ".join(fmt(first(points, t)) for t in thresholds)
                  + f" | {points[-1][2] if points else float('nan'):.3f} | "
                  f"{max((p[2] for p in points), default=float('nan')):.3f}")
        row = {}
        for t in thresholds:
            times = [first(run["points"], t) for run in runs.values()]
            # a run that never reached the threshold counts as slower than any that did (infinite)
            row[t] = statistics.median([math.inf if x is None else x for x in times])
        row["final"] = statistics.median([run["points"][-1][2] if run["points"] else float("nan")
                                          for run in runs.values()])
        medians[name] = row
        print(f"{name} | median | " + " | ".join("not reached" if math.isinf(row[t]) else f"{row[t]:.1f} s"
                                                 for t in thresholds) + f" | {row['final']:.3f} |")
    for ours_name in args.variants:  # every other learner over each gridenv-train variant
        if ours_name not in medians:
            continue
        ours = medians[ours_name]
        for name, row in medians.items():
            if name == ours_name:
                continue
            ratios = []
            for t in thresholds:
                if math.isinf(ours[t]):
                    ratios.append(f"{t}: {ours_name} did not reach it")
                elif math.isinf(row[t]):
                    ratios.append(f"{t}: > {args.wall_budget / ours[t]:.1f}x (not reached)")
                else:
                    ratios.append(f"{t}: {row[t] / ours[t]:.2f}x")
            print(f"median time ratio {name} / {ours_name}: " + ", ".join(ratios))


def _gridenv_train_to_skill(args, env_config, root, score, report, seed: int, name: str, overrides: dict) -> dict:
    """gridenv-train with its defaults and the env's overlay (plus --gridenv-set, then the variant's overrides),
    checkpointing every few updates, killed at the budget."""
    import os
    import subprocess
    import sys

    from gridenv_train.config import env_overlay
    from gridenv_train.policy_api import load_policy

    overlay = env_overlay(env_config.name)
    extra = {**trainer_overrides(args.gridenv_set), **overrides}
    run_name = f"tts-s{seed}" if name == "gridenv_train" else f"tts-{name.partition(':')[2]}-s{seed}"
    code = ("import sys, gridenv; from gridenv_train import TrainerConfig; from gridenv_train.train import train; "
            "from gridenv_train.config import env_overlay; "
            f"c = TrainerConfig(**{{**TrainerConfig().to_dict(), **env_overlay({env_config.name!r}), "
            f"'total_timesteps': 10**9, 'checkpoint_interval': {args.checkpoint_interval}, 'eval_episodes': 0, "
            f"'seed': {seed}, **{extra!r}}}); "
            f"train(gridenv.resolve_config({args.env!r}), c, {run_name!r}, {str(root)!r} + '/gridenv-train-runs', "
            "device='cpu', progress=False)")
    load_start, start = os.getloadavg()[0], time.time()
    try:
        subprocess.run([sys.executable, "-c", code], timeout=args.wall_budget, capture_output=True)
    except subprocess.TimeoutExpired:
        pass
    load_end = os.getloadavg()[0]
    points = []
    for path in sorted((root / "gridenv-train-runs" / run_name / "checkpoints").glob("*.safetensors"),
                       key=lambda p: int(p.stem.rpartition(":v")[2])):
        seconds = path.stat().st_mtime - start
        if seconds > args.wall_budget:
            continue
        from gridenv_train.checkpoint import load_checkpoint

        step = int(load_checkpoint(path)["trainer_state"]["global_step"])
        points.append((step, seconds, score(load_policy(path, seed=10_000))))
    print(f"{name} seed {seed} trainer overlay {overlay} extra {extra}", flush=True)
    return report(f"{name} seed {seed}", points, (load_start, load_end))


def _sb3_to_skill(args, env_config, root, score, report, overlay, high, seed: int) -> dict:
    """SB3 PPO through SuperSuit, default MlpPolicy and tuned; stopped by a callback at the budget."""
    import json
    import os
    import subprocess
    import sys

    from stable_baselines3 import PPO

    gamma = overlay.get("gamma", 0.99)
    configs = {
        "sb3_mlp": dict(worlds=16, normalize=False, kwargs=dict(n_steps=32, batch_size=128, n_epochs=4,
                                                                learning_rate=1e-3), save_every=40),
        "sb3_tuned": dict(worlds=64, normalize=True,
                          kwargs=dict(n_steps=64, batch_size=1024, n_epochs=4, learning_rate=1e-3, gamma=gamma,
                                      ent_coef=0.01, policy_kwargs=dict(net_arch=[128, 128])), save_every=10),
    }
    if args.sb3_default_shape:
        configs["sb3_mlp"]["kwargs"] = {}  # SB3's own PPO defaults (2048-step rollouts, 10 epochs, lr 3e-4)
        configs["sb3_mlp"]["save_every"] = 1
    runs = {}
    for name, sb3 in configs.items():
        if name not in args.sb3_configs:
            continue
        directory = root / f"{name}-s{seed}"
        directory.mkdir()
        payload = {"env": args.env, "dir": str(directory), "budget": args.wall_budget, "seed": seed,
                   "torch_threads": args.sb3_threads, **sb3}
        load_start, start = os.getloadavg()[0], time.time()
        subprocess.run([sys.executable, "-c", SB3_TTS_CHILD, json.dumps(payload)], check=True,
                       timeout=args.wall_budget + 600)
        load_end = os.getloadavg()[0]
        points = []
        for path in sorted(directory.glob("step*.zip")):
            seconds = path.stat().st_mtime - start
            if seconds > args.wall_budget:
                continue
            model = PPO.load(path, device="cpu")
            points.append((int(path.stem[4:]), seconds, score(SB3Policy(model, high if sb3["normalize"] else None))))
        runs[name] = report(f"{name} seed {seed}", points, (load_start, load_end))
    return runs


def trainer_overrides(items: list[str]) -> dict:
    """``key=value`` trainer overrides (``trainer.`` prefix optional) as a dict, values read as YAML scalars."""
    pairs = (item.split("=", 1) for item in items)
    return {key.removeprefix("trainer."): yaml.safe_load(value) for key, value in pairs}


def parse_variants(parser, args) -> dict[str, dict]:
    """--variant specs as {learner name: trainer overrides}; without any, the one default learner `gridenv_train`.
    Every variant's config is built here, so a bad key or value fails before any training starts."""
    import re

    from gridenv_train.config import env_overlay

    base = {**TrainerConfig().to_dict(), **env_overlay(gridenv.resolve_config(args.env).name),
            **trainer_overrides(args.gridenv_set)}
    if not args.variant:
        return {"gridenv_train": {}}
    variants = {}
    for spec in args.variant:
        name, _, first = spec[0].partition("=")
        items = ([first] if first else []) + spec[1:]
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            parser.error(f"--variant {spec[0]!r}: the name must be letters, digits, '_', '.' or '-'")
        if f"gridenv_train:{name}" in variants:
            parser.error(f"--variant {name}: given twice")
        if any("=" not in item for item in items):
            parser.error(f"--variant {name}: overrides are key=value, got {items}")
        overrides = trainer_overrides(items)
        unknown = sorted(set(overrides) - set(base))
        if unknown:
            parser.error(f"--variant {name}: unknown trainer fields {unknown}")
        try:
            TrainerConfig(**{**base, **overrides})
        except ValueError as error:
            parser.error(f"--variant {name}: {error}")
        variants[f"gridenv_train:{name}"] = overrides
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-to-skill", action="store_true", help="wall-budget race to a score (issue 12)")
    parser.add_argument("--wall-budget", type=float, default=240.0, help="seconds per trainer (--time-to-skill)")
    parser.add_argument("--target", type=float, default=0.9, help="hearts per agent per episode (--time-to-skill)")
    parser.add_argument("--eval-episodes", type=int, default=64, help="(--time-to-skill)")
    parser.add_argument("--checkpoint-interval", type=int, default=3, help="gridenv-train updates between "
                        "checkpoints (--time-to-skill)")
    parser.add_argument("--seeds", "--seed", nargs="+", type=int, default=[1], help="(--time-to-skill)")
    parser.add_argument("--thresholds", nargs="*", type=float, default=[0.5, 0.8, 0.9],
                        help="scores whose time to reach the table also shows (--time-to-skill)")
    parser.add_argument("--gridenv-set", nargs="*", default=[],
                        help="gridenv-train trainer overrides key=value over defaults + overlay (--time-to-skill)")
    parser.add_argument("--variant", nargs="+", action="append", metavar=("NAME[=KEY=VALUE]", "KEY=VALUE"),
                        help="a named gridenv-train variant: its trainer overrides over --gridenv-set; repeat to race "
                        "several in one run, e.g. --variant cnn --variant puffer=trainer.encoder=puffer "
                        "(--time-to-skill) [one: the defaults, `gridenv_train`]")
    parser.add_argument("--eval-threads", type=int, default=1, help="torch threads of the evaluations "
                        "(--time-to-skill)")
    parser.add_argument("--out", default=None, help="JSON of every point (--time-to-skill) [<run dir>/results.json]")
    parser.add_argument("--sb3-threads", type=int, default=1, help="SB3's torch threads (--time-to-skill)")
    parser.add_argument("--sb3-default-shape", action="store_true",
                        help="sb3_mlp with SB3's own PPO defaults instead of gridenv-train's old shape")
    parser.add_argument("--train-dir", default=None, help="where --time-to-skill writes (default: a temp dir)")
    parser.add_argument("--sb3-configs", nargs="+", default=["sb3_mlp", "sb3_tuned"], choices=["sb3_mlp", "sb3_tuned"],
                        help="which SB3 configs --time-to-skill runs")
    parser.add_argument("--trainers", nargs="+", default=["gridenv-train", "sb3"], choices=["gridenv-train", "sb3"],
                        help="which trainers --time-to-skill runs")
    parser.add_argument("--env", default="arena")
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--sb3-timesteps", type=int, default=None, help="default: --timesteps")
    parser.add_argument("--like-for-like", action="store_true", help="also SB3 with gridenv-train's network")
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"],
                        help="gridenv-train's trainer.precision (SB3 always runs float32)")
    parser.add_argument("--flops", action="store_true", help="also count FLOPs per agent-step and the machine's peak")
    args = parser.parse_args()
    if args.time_to_skill:
        if args.env == "arena" and "--env" not in sys.argv:
            args.env = "navigation"
        args.variants = parse_variants(parser, args)
        time_to_skill(args)
        return
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
