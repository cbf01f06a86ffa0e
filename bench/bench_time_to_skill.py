"""Time to skill: how much wall time and how many agent-steps gridenv-train needs before its policy is good, for
learner presets and seeds, on one env, in one run.

    python bench/bench_time_to_skill.py --env navigation --preset today puffer --seeds 1 2 3 \\
        --timesteps 400000 --checkpoint-interval 5 --target 0.9
    python bench/bench_time_to_skill.py --env arena-demo --preset today puffer --seeds 1 2 --timesteps 1000000

Each (preset, seed) trains with checkpoints every ``--checkpoint-interval`` updates; the wall time of a checkpoint
is its file's modification time minus the start of training (so evaluation does not count). Afterwards every
checkpoint is evaluated on ``--eval-episodes`` fresh episodes with fixed seeds (the same for every checkpoint and
preset), and the random policy once. The score is hearts per agent per episode (``heart.gained``): on the
reach-the-altar envs (navigation, maze) that is the success rate. Prints one line per checkpoint, then per run the
first checkpoint at or above ``--target`` (agent-steps and seconds) and the best score, and writes everything as
JSON to ``--out``.

Presets (trainer fields over TrainerConfig's defaults and the env's overlay; ``key=value`` after ``--set`` adds to
all of them):
- ``today``: the defaults before issue 12 (4 epochs of 4 minibatches, 32-step rollouts, BPTT 16).
- ``puffer``: PufferLib's shape for grid envs: one update epoch, longer rollouts and BPTT, large minibatches.
- ``mid``: two epochs of four minibatches over the same rollouts.
- ``one-epoch``: today's rollouts and minibatches, one epoch.
- ``defaults``: whatever TrainerConfig and overlays.yaml say now.
- ``defaults-puffer-encoder``: ``defaults`` with PufferLib's grid encoder (``encoder=puffer``, gridenv_train/policy.py)
  instead of the CNN; the same as ``--preset defaults --set encoder=puffer``.

Every process of this script runs torch with one thread (the trainer sets its own ``torch_threads``); pin the whole
run to a core with ``taskset -c 1 python bench/bench_time_to_skill.py ...`` to keep other work off its core.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import gridenv
from gridenv.overrides import apply_overrides
from gridenv_train.config import TrainerConfig, env_overlay

PRESETS = {
    # TrainerConfig before issue 12 (the navigation overlay on top of it stays as it is).
    "today": dict(rollout_steps=32, bptt_horizon=16, num_minibatches=4, update_epochs=4, torch_threads=0),
    "puffer": dict(rollout_steps=64, bptt_horizon=32, num_minibatches=2, update_epochs=1, torch_threads=1),
    # between the two: two epochs of four minibatches over PufferLib's rollout shape
    "mid": dict(rollout_steps=64, bptt_horizon=32, num_minibatches=4, update_epochs=2, torch_threads=1),
    # one epoch over today's rollouts and minibatch size: as many gradient steps per sample as PufferLib, as many
    # samples per gradient step as today
    "one-epoch": dict(rollout_steps=32, bptt_horizon=16, num_minibatches=4, update_epochs=1, torch_threads=1),
    "defaults": {},
    "defaults-puffer-encoder": dict(encoder="puffer"),
}

def parse_value(text: str):
    import yaml

    return yaml.safe_load(text)


def trainer_config(env_name: str, preset: str, seed: int, timesteps: int, interval: int, extra: dict):
    values = {**TrainerConfig().to_dict(), **env_overlay(env_name), **PRESETS[preset], **extra}
    values.update(seed=seed, total_timesteps=timesteps, checkpoint_interval=interval, eval_episodes=0)
    return TrainerConfig(**values)


def train_one(env_config, config: TrainerConfig, run_dir: Path) -> dict:
    """Train in a child process (fresh torch thread pools, nothing shared between runs); returns its summary and
    the wall time of each checkpoint."""
    code = ("import json, sys, gridenv; from gridenv_train import TrainerConfig; from gridenv_train.train import train; "
            "a = json.loads(sys.argv[1]); "
            "s = train(gridenv.EnvConfig.model_validate(a['env']), TrainerConfig(**a['trainer']), a['run'], "
            "a['dir'], device='cpu', progress=False); print(json.dumps({'sps': s['sps'], 'seconds': s['seconds'], "
            "'episodes': s['episodes'], 'last': s['last_episode_stats']}))")
    payload = json.dumps({"env": env_config.to_dict(), "trainer": config.to_dict(), "run": run_dir.name,
                          "dir": str(run_dir.parent)})
    start = time.time()
    result = subprocess.run([sys.executable, "-c", code, payload], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    checkpoints = []
    for path in sorted((run_dir / "checkpoints").glob("*.safetensors"),
                       key=lambda p: int(p.stem.rpartition(":v")[2])):
        checkpoints.append({"path": str(path), "seconds": path.stat().st_mtime - start})
    summary["checkpoints"] = checkpoints
    return summary


def score(policy, env_config, episodes: int, seed: int) -> dict:
    from gridenv_train.evaluate import evaluate

    stats = evaluate(policy, env_config, episodes, seed=seed, num_threads=1)["stats"]
    keys = ("heart.gained", "diamond.gained", "charger.used", "altar.used", "reward")
    return {key: stats.get(key, 0.0) for key in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="navigation")
    parser.add_argument("--env-set", nargs="*", default=[], help="env overrides, e.g. game.max_steps=300")
    parser.add_argument("--preset", nargs="+", default=["today", "puffer"], choices=sorted(PRESETS))
    parser.add_argument("--set", nargs="*", default=[], help="trainer overrides for every preset, key=value")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--timesteps", type=int, default=400_000)
    parser.add_argument("--checkpoint-interval", type=int, default=5, help="updates between checkpoints")
    parser.add_argument("--eval-episodes", type=int, default=64)
    parser.add_argument("--eval-seed", type=int, default=10_000)
    parser.add_argument("--target", type=float, default=0.9, help="score (hearts per agent per episode) to reach")
    parser.add_argument("--train-dir", default="/tmp/h4_runs/tts")
    parser.add_argument("--out", default=None, help="JSON results [<train-dir>/<env>-results.json]")
    args = parser.parse_args()

    import torch

    import gridenv_train.policy_api
    from gridenv_train.policy_api import RandomPolicy

    torch.set_num_threads(1)
    env_config = gridenv.resolve_config(args.env)
    if args.env_set:
        env_config = apply_overrides(env_config, args.env_set)
    extra = {key: parse_value(value) for key, value in (item.split("=", 1) for item in args.set)}
    load = os.getloadavg()
    print(f"env {env_config.full_name} timesteps {args.timesteps} load_at_start {load[0]:.2f} {load[1]:.2f} "
          f"affinity {sorted(os.sched_getaffinity(0))}", flush=True)
    probe = gridenv.parallel_env(env_config)
    random_score = score(RandomPolicy(probe.action_space(probe.possible_agents[0]).n, 0), env_config,
                         args.eval_episodes, args.eval_seed)
    print(f"random {json.dumps({k: round(v, 3) for k, v in random_score.items()})}", flush=True)
    results = {"env": env_config.full_name, "env_set": args.env_set, "timesteps": args.timesteps,
               "target": args.target, "random": random_score, "runs": []}
    for preset in args.preset:
        for seed in args.seeds:
            config = trainer_config(env_config.name, preset, seed, args.timesteps, args.checkpoint_interval, extra)
            run_dir = Path(args.train_dir) / f"{env_config.name}-{preset}-s{seed}-{int(time.time())}"
            load_before = os.getloadavg()[0]
            summary = train_one(env_config, config, run_dir)
            load_after = os.getloadavg()[0]
            curve = []
            for checkpoint in summary["checkpoints"]:
                policy = gridenv_train.policy_api.load_policy(checkpoint["path"], seed=args.eval_seed)
                from gridenv_train.checkpoint import load_checkpoint

                step = int(load_checkpoint(checkpoint["path"])["trainer_state"]["global_step"])
                point = {"step": step, "seconds": round(checkpoint["seconds"], 1),
                         **score(policy, env_config, args.eval_episodes, args.eval_seed)}
                curve.append(point)
                print(f"  {preset} seed {seed} step {step} t {point['seconds']}s hearts/agent "
                      f"{point['heart.gained']:.3f} diamonds {point['diamond.gained']:.2f} "
                      f"charges {point['charger.used']:.2f}", flush=True)
            reached = next((p for p in curve if p["heart.gained"] >= args.target), None)
            best = max(curve, key=lambda p: p["heart.gained"])
            run = {"preset": preset, "seed": seed, "trainer": {k: v for k, v in config.to_dict().items()},
                   "sps": summary["sps"], "train_seconds": summary["seconds"], "episodes": summary["episodes"],
                   "load_before": load_before, "load_after": load_after, "curve": curve,
                   "reached_step": reached and reached["step"], "reached_seconds": reached and reached["seconds"],
                   "final": curve[-1], "best": best}
            results["runs"].append(run)
            print(f"RUN {preset} seed {seed}: sps {summary['sps']:.0f} train {summary['seconds']:.0f}s "
                  f"load {load_before:.2f}->{load_after:.2f} | target {args.target} reached at "
                  f"{run['reached_step']} steps / {run['reached_seconds']} s | final "
                  f"{curve[-1]['heart.gained']:.3f} (random {random_score['heart.gained']:.3f}) best "
                  f"{best['heart.gained']:.3f}", flush=True)
            out = Path(args.out or Path(args.train_dir) / f"{env_config.name}-results.json")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=1))
    print_table(results, args.target)


def print_table(results: dict, target: float) -> None:
    """Per preset and seed: seconds and agent-steps to the target, final and best score; the medians over seeds (a
    run that never reached the target counts as slower than any that did); each preset's median seconds over the
    first preset's."""
    import math
    import statistics

    print(f"\nTABLE env {results['env']} target {target} (random {results['random']['heart.gained']:.3f})")
    print("preset | seed | s to target | agent-steps to target | sps | final | best")
    medians = {}
    for preset in dict.fromkeys(run["preset"] for run in results["runs"]):
        runs = [run for run in results["runs"] if run["preset"] == preset]
        for run in runs:
            reached = "not reached" if run["reached_seconds"] is None else f"{run['reached_seconds']:.1f}"
            print(f"{preset} | {run['seed']} | {reached} | {run['reached_step'] or '-'} | {run['sps']:.0f} | "
                  f"{run['final']['heart.gained']:.3f} | {run['best']['heart.gained']:.3f}")
        seconds = statistics.median([math.inf if r["reached_seconds"] is None else r["reached_seconds"] for r in runs])
        steps = statistics.median([math.inf if r["reached_step"] is None else r["reached_step"] for r in runs])
        final = statistics.median([r["final"]["heart.gained"] for r in runs])
        medians[preset] = seconds
        print(f"{preset} | median | {seconds:.1f} | {steps:.0f} | {statistics.median(r['sps'] for r in runs):.0f} | "
              f"{final:.3f} |")
    first = next(iter(medians))
    for preset, seconds in medians.items():
        if preset != first and math.isfinite(seconds) and math.isfinite(medians[first]):
            print(f"median seconds to target {preset} / {first}: {seconds / medians[first]:.2f}")


if __name__ == "__main__":
    main()
