"""CUDA-only paths: pinned host buffers, the CUDA RNG in checkpoints and exact resume on the GPU, NCCL DDP.

They skip without a GPU (every development and CI machine of this project); bench/gpu_check.sh runs them on a CUDA
machine and fails when they skip there."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

import gridenv
from gridenv_train import TrainerConfig
from gridenv_train.checkpoint import load_checkpoint
from gridenv_train.train import Shards, train

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device (torch.cuda.is_available())")]

SMALL = dict(num_envs=4, num_threads=2, rollout_steps=16, bptt_horizon=8, num_minibatches=2, update_epochs=1,
             hidden_size=32, eval_episodes=0)


def config(updates: int, agents: int, **changes) -> TrainerConfig:
    base = {**SMALL, **changes}
    return TrainerConfig(**base, total_timesteps=updates * base["num_envs"] * agents * base["rollout_steps"])


def test_host_observation_buffers_are_pinned_and_shared_with_the_engine():
    env = gridenv.resolve_config("arena-small")
    shards = Shards(env, TrainerConfig(**SMALL, async_envs=True), torch.device("cuda"))
    for host, vec in zip(shards.host_obs, shards.vecs):
        assert host.is_pinned()
        vec.reset(seed=3)
        assert host.data_ptr() == vec.observations.ctypes.data  # the engine writes into the pinned tensor itself
        on_device = host.to("cuda", non_blocking=True)
        torch.cuda.synchronize()
        assert torch.equal(on_device.cpu(), torch.from_numpy(vec.observations))


def test_training_on_the_gpu_saves_the_cuda_rng_and_resumes_from_it(tmp_path):
    env = gridenv.resolve_config("arena-small", game={"max_steps": 40})
    straight = train(env, config(4, 4, checkpoint_interval=2), "run", tmp_path / "a", device="cuda", progress=False)
    saved = load_checkpoint(tmp_path / "a" / "run")
    assert saved["trainer_state"]["torch_rng"][0]["cuda"] is not None
    assert all(t.device.type == "cpu" for t in saved["policy"].values())  # checkpoints load anywhere
    shutil.copytree(tmp_path / "a" / "run", tmp_path / "b" / "run")
    (tmp_path / "b" / "run" / "checkpoints" / "run:v4.safetensors").unlink()
    resumed = train(env, TrainerConfig(), "run", tmp_path / "b", device="cuda", resume=True, progress=False)
    assert resumed["global_step"] == straight["global_step"]
    a, b = load_checkpoint(tmp_path / "a" / "run"), load_checkpoint(tmp_path / "b" / "run")
    assert a["rollout_state"][0]["worlds"] == b["rollout_state"][0]["worlds"]  # the env side is exact on any device
    for name, tensor in a["policy"].items():
        # GPU kernels (cuDNN's LSTM, atomics in reductions) need not be bit-reproducible; the resumed run must still
        # be the same run, so it stays within float32 noise of the uninterrupted one.
        torch.testing.assert_close(tensor, b["policy"][name], rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="NCCL DDP needs at least 2 GPUs")
def test_nccl_ddp_on_every_gpu_present(tmp_path):
    gpus = torch.cuda.device_count()
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={gpus}", "--master-port=29533",
               "-m", "gridenv_train", "--env", "arena-small", "--run-name", "ddp", "--train-dir", str(tmp_path),
               "--device", "cuda", "--no-progress", f"trainer.total_timesteps={gpus * 4 * 4 * 16 * 3}",
               "trainer.num_envs=4", "trainer.rollout_steps=16", "trainer.bptt_horizon=8",
               "trainer.num_minibatches=2", "trainer.eval_episodes=0", "trainer.hidden_size=32"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "ddp" / "summary.json").read_text())
    assert summary["world_size"] == gpus and summary["params_in_sync"] is True
