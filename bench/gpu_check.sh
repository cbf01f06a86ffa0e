#!/usr/bin/env bash
# The GPU check, for a CUDA machine, in a few minutes: the CUDA-only tests (pinned host buffers, the CUDA RNG in
# checkpoints and resume on the GPU, NCCL DDP on every GPU present), then arena training SPS on one GPU at a few
# num_envs. Run from the repository root in a venv with gridenv and gridenv-train installed (the README's test
# command, on a CUDA build of torch). Fails, saying why, when no GPU is present or when a CUDA test skips.
#
#   bash bench/gpu_check.sh [seconds per SPS point, default 45]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"

python - <<'PY'
import sys, torch
if not torch.cuda.is_available():
    built = torch.version.cuda or "none (a CPU build of torch)"
    sys.exit(f"gpu_check: no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__}, CUDA "
             f"build: {built}). Run this on a machine with an NVIDIA GPU and a CUDA build of torch.")
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(f"gpu {i}: {p.name}, {p.total_memory / 2**30:.1f} GiB, compute {p.major}.{p.minor}")
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
PY

echo "== CUDA-only tests"
# -rs lists skips; a skip here (other than NCCL on a single GPU) means the GPU path was not checked, so it fails.
report=$(python -m pytest -m cuda -rs -q -p no:cacheprovider packages/gridenv-train/tests/test_cuda.py 2>&1) || {
  echo "$report"; echo "gpu_check: CUDA tests failed"; exit 1; }
echo "$report" | tail -5
if echo "$report" | grep "SKIPPED" | grep -v "at least 2 GPUs" >/dev/null; then
  echo "gpu_check: a CUDA test skipped on a GPU machine"; exit 1
fi

echo "== arena training SPS on one GPU (${seconds} s per point; rollout and update on cuda:0)"
python - "$seconds" <<'PY'
import sys, time, tempfile
import gridenv
from gridenv_train import TrainerConfig
from gridenv_train.train import train

seconds = float(sys.argv[1])
env = gridenv.resolve_config("arena")
print(f"{'num_envs':>8} {'agents':>7} {'agent-steps/s':>14} {'env':>5} {'infer':>6} {'learn':>6}")
for num_envs in (64, 256, 1024):
    batch = num_envs * 24 * 64
    # a first short run finds the rate, the second trains for about `seconds`
    probe = dict(num_envs=num_envs, num_threads=2, rollout_steps=64, bptt_horizon=16, num_minibatches=8,
                 update_epochs=1, eval_episodes=0, checkpoint_interval=1000, async_envs=True)
    with tempfile.TemporaryDirectory() as out:
        first = train(env, TrainerConfig(**probe, total_timesteps=batch), "probe", out, device="cuda",
                      progress=False)
        updates = max(2, int(seconds * first["sps"] / batch))
        start = time.perf_counter()
        summary = train(env, TrainerConfig(**probe, total_timesteps=updates * batch), "sps", out, device="cuda",
                        progress=False)
    share = summary["time_share"]
    print(f"{num_envs:>8} {num_envs * 24:>7} {summary['sps']:>14,.0f} {share['env']:>5.0%} "
          f"{share['inference']:>6.0%} {share['learn']:>6.0%}   ({updates} updates, {time.perf_counter() - start:.0f} s)")
print("target: >= 100,000 agent-steps/s on one modern GPU (metta's acceptance bar: 23,000)")
PY
echo "gpu_check: done"
