"""LSTM PPO on gridenv's batched C++ env — one loop that reads top to bottom:
seed -> envs -> policy -> storage -> rollout -> advantages -> update -> log (-> checkpoint).

Multi-GPU / multi-node: run under ``torchrun``; each rank steps its own worlds (seed + 1000 * rank) and
``torch.nn.parallel.DistributedDataParallel`` averages the gradients (NCCL on CUDA, gloo on CPU).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.distributions import Categorical
from torch.nn.parallel import DistributedDataParallel
from torch.utils.tensorboard import SummaryWriter

import gridenv
import gridenv.vector
from gridenv_train.checkpoint import (CheckpointError, checkpoint_configs, checkpoint_path, list_checkpoints, load_latest_intact,
                                     save_checkpoint)
from gridenv_train.config import TrainerConfig, derive_sizes
from gridenv_train.evaluate import evaluate, record_replay
from gridenv_train.policy import make_policy
from gridenv_train.policy_api import RandomPolicy, TrainedPolicy
from gridenv_train.ppo import compute_gae, linear_lr, ppo_loss


@dataclass
class Distributed:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_request: str) -> Distributed:
    """torchrun sets WORLD_SIZE/RANK/LOCAL_RANK; without them this is a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Distributed()
    use_cuda = device_request != "cpu" and torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return Distributed(dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), world_size)


def resolve_device(request: str, local_rank: int) -> torch.device:
    if request not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device: expected auto, cpu or cuda, got {request!r}")
    if request == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available (torch.cuda.is_available() is False)")
    if request == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def _keep_freed_memory() -> None:
    """Keep freed memory in the heap (glibc only). Every minibatch allocates and frees tens of MB of activations;
    by default glibc hands such blocks back to the OS (munmap) and the next minibatch faults them in again, which
    measured 12 s of kernel time in 17.5 s (2 torch threads) and in 28.5 s (1 thread) of a 50k-step arena run.
    Raising the mmap and trim thresholds stops that (0.45 s of kernel time)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, 1 << 31)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class EpisodeLog:
    """Per-agent episode stats of the episodes that finished since the last log, averaged."""

    def __init__(self, stat_names: list[str]):
        self.stat_names = stat_names
        self.sums = np.zeros(len(stat_names))
        self.count = 0

    def add(self, vec: gridenv.vector.VecEnv) -> None:
        if vec.episode_done.any():
            rows = np.repeat(vec.episode_done, vec.agents_per_env)
            self.sums += vec.episode_stats[rows].sum(axis=0)
            self.count += int(rows.sum())

    def pop(self) -> dict[str, float]:
        means = {} if self.count == 0 else dict(zip(self.stat_names, (self.sums / self.count).tolist()))
        self.sums[:] = 0
        self.count = 0
        return means


_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")


def check_run_name(run: str) -> None:
    """A run name is one folder under the train dir: refuse separators and '..', which would write elsewhere."""
    if not isinstance(run, str) or not _RUN_NAME.fullmatch(run) or ".." in run:
        raise ValueError(f"run name {run!r}: use 1-128 letters, digits, '.', '_', '+' or '-', starting with a letter "
                         f"or digit, without '..' (it names one folder under the train dir)")


def train(env_config: gridenv.EnvConfig, config: TrainerConfig, run: str, train_dir: str | Path = "train_dir",
          device: str = "auto", resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train and return a summary (also written to ``<train_dir>/<run>/summary.json`` by rank 0)."""
    check_run_name(run)
    ranks = setup_distributed(device)
    try:
        summary = _train(env_config, config, run, Path(train_dir), resolve_device(device, ranks.local_rank), resume,
                         progress, ranks)
        if ranks.world_size > 1:
            # Rank 0 still evaluates and writes files here; a rank that tore down its gloo transport while a peer
            # was still connected has been seen to abort (SIGABRT) under load, so all ranks leave together.
            dist.barrier()
        return summary
    finally:
        if ranks.world_size > 1:
            dist.destroy_process_group()


def _train(env_config, config: TrainerConfig, run: str, train_dir: Path, device: torch.device, resume: bool,
           progress: bool, ranks: Distributed) -> dict[str, Any]:
    run_dir = train_dir / run
    checkpoint = None
    if resume:
        # The newest checkpoint that verifies; a damaged or truncated newer one is skipped, saying so (every rank
        # skips the same ones: they read the same files).
        path, checkpoint = load_latest_intact(run_dir, device, warn=_warn if ranks.is_main else lambda message: None)
        saved_world_size = checkpoint["trainer_state"].get("world_size", 1)
        if saved_world_size != ranks.world_size:
            raise ValueError(f"--resume: {path.name} was trained on {saved_world_size} rank(s); resume it on "
                             f"{saved_world_size}, not {ranks.world_size} (the number of updates and the learning-rate "
                             f"schedule depend on it)")
        env_config, config = checkpoint_configs(checkpoint, path)

    # --- seed -----------------------------------------------------------------------------------------------------
    _keep_freed_memory()
    rank_seed = config.seed + 1000 * ranks.rank
    _seed_everything(rank_seed)
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)

    # --- envs: one VecEnv, or two halves stepped alternately (async double-buffering) -------------------------------
    shard_count = 2 if config.async_envs else 1
    shard_envs = config.num_envs // shard_count
    probe = gridenv.vector.make(env_config, num_envs=1)  # one world: spaces, sizes and stat names
    obs_shape = probe.single_observation_space.shape
    pin = device.type == "cuda"
    # The engine writes observations straight into these host tensors (pinned on CUDA, so each step's copy to the
    # device is one asynchronous transfer); `host_obs[i]` and `shards[i].observations` are the same memory.
    host_obs = [torch.zeros((shard_envs * probe.agents_per_env, *obs_shape), dtype=torch.uint8)
                for _ in range(shard_count)]
    if pin:
        host_obs = [h.pin_memory() for h in host_obs]
    shards = [gridenv.vector.make(env_config, num_envs=shard_envs, num_threads=config.num_threads,
                                  observations=h.numpy()) for h in host_obs]
    sizes = derive_sizes(config, probe.agents_per_env, ranks.world_size)
    n, steps = sizes.num_agents, config.rollout_steps
    rows = [slice(i * n // shard_count, (i + 1) * n // shard_count) for i in range(shard_count)]

    # --- policy and optimiser -------------------------------------------------------------------------------------
    policy = make_policy(probe, config.hidden_size).to(device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, eps=1e-5)
    start_update, global_step = 0, 0
    if checkpoint is not None:
        try:
            policy.load_state_dict(checkpoint["policy"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            start_update = int(checkpoint["trainer_state"]["update"]) + 1
            global_step = int(checkpoint["trainer_state"]["global_step"])
            rng_state = checkpoint["trainer_state"]["torch_rng"][ranks.rank]  # each rank its own stream
            torch.set_rng_state(rng_state["cpu"].cpu())
            if rng_state.get("cuda") is not None and device.type == "cuda":
                torch.cuda.set_rng_state(rng_state["cuda"].cpu(), device)
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError) as error:
            raise CheckpointError(f"--resume: {path}: does not fit this trainer ({type(error).__name__}: "
                                  f"{error})") from None
    model = DistributedDataParallel(policy) if ranks.world_size > 1 else policy
    # bfloat16: forward passes (and so their backward) under autocast; parameters and optimiser stay float32.
    autocast = partial(torch.autocast, device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16")

    # --- storage: (T, N, ...) on the device; observations arrive in one host->device copy per shard and step ------
    storage_obs = torch.zeros((steps, n, *obs_shape), dtype=torch.uint8, device=device)
    storage_actions = torch.zeros((steps, n), dtype=torch.long, device=device)
    storage_logprobs = torch.zeros((steps, n), device=device)
    storage_rewards = torch.zeros((steps, n), device=device)
    storage_dones = torch.zeros((steps, n), device=device)
    storage_values = torch.zeros((steps, n), device=device)
    chunks = steps // config.bptt_horizon
    storage_states = [torch.zeros((chunks, 1, n, config.hidden_size), device=device) for _ in range(2)]

    state = policy.initial_state(n, device)
    next_done = torch.zeros(n, device=device)
    episode_log = EpisodeLog(probe.stat_names)
    rollout_state = checkpoint and checkpoint.get("rollout_state")
    if rollout_state is not None:
        # Exact resume: every world mid-episode, the LSTM memories and episode starts as the checkpoint left them.
        try:
            mine = rollout_state[ranks.rank]
            if len(mine["worlds"]) != len(shards):
                raise ValueError(f"{len(mine['worlds'])} saved shards, this run has {len(shards)}")
            for shard, world_states in zip(shards, mine["worlds"]):
                shard.load_state(world_states)
            loaded_state = (mine["lstm_h"].to(device), mine["lstm_c"].to(device))
            loaded_done = mine["next_done"].to(device)
            if loaded_state[0].shape != state[0].shape or loaded_state[1].shape != state[1].shape or \
                    loaded_done.shape != next_done.shape:
                raise ValueError(f"saved LSTM state {tuple(loaded_state[0].shape)} / dones "
                                 f"{tuple(loaded_done.shape)}, expected {tuple(state[0].shape)} / "
                                 f"{tuple(next_done.shape)}")
            state, next_done = loaded_state, loaded_done.float()
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError) as error:
            raise CheckpointError(f"--resume: {path}: its rollout state does not fit this run ({error})") from None
    else:
        # Fresh worlds; an older checkpoint without rollout state starts from a seed that depends on where the run
        # starts, so it does not replay the episodes the run began with.
        for i, shard in enumerate(shards):
            shard.reset(seed=rank_seed * 7919 + start_update * 104729 + i * 65537)

    writer = SummaryWriter(str(run_dir / "tensorboard")) if ranks.is_main else None
    if ranks.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(json.dumps(
            {"env": env_config.to_dict(), "trainer": config.to_dict()}, indent=2))
    bar = _progress(progress and ranks.is_main, sizes.num_updates - start_update, run)
    timing = {"env": 0.0, "inference": 0.0, "learn": 0.0}
    # The first minibatch of each update runs the rollout's own parameters on the rollout's own data, so its KL and
    # its values' distance from the stored values must be ~0: more means that stored states, dones, log-probs or
    # values do not line up with what acted. (The values are the sharper test: the actor starts near uniform.)
    replay_error = {"approx_kl": 0.0, "value": 0.0}
    last_stats: dict[str, float] = {}
    losses: dict[str, float] = {}
    start_time = time.perf_counter()
    start_step = global_step

    for update in range(start_update, sizes.num_updates):
        lr = linear_lr(update, sizes.num_updates, config.learning_rate, config.anneal_lr)
        for group in optimizer.param_groups:
            group["lr"] = lr

        # --- rollout --------------------------------------------------------------------------------------------
        # Pipelined over the shards: in iteration t each shard first collects its step t - 1 (sent in the previous
        # iteration), then acts for step t and sends it, so with two shards each one's C++ step runs while the other
        # shard's results are collected and its actions computed. Iteration `steps` only collects.
        policy.eval()
        for t in range(steps + 1):
            if t < steps and t % config.bptt_horizon == 0:
                storage_states[0][t // config.bptt_horizon] = state[0]
                storage_states[1][t // config.bptt_horizon] = state[1]
            for i, shard in enumerate(shards):
                r = rows[i]
                if t > 0:
                    tick = time.perf_counter()
                    _, rewards, terminals, truncations, _ = shard.recv()
                    timing["env"] += time.perf_counter() - tick
                    reward = torch.from_numpy(rewards).to(device)
                    bootstrap = truncations & ~terminals
                    if bootstrap.any():  # a time limit is not death: add the discounted value of the final obs
                        # (deterministic: only the value is needed, so no draw from the RNG the actions use)
                        index = torch.from_numpy(np.flatnonzero(bootstrap)).to(device)
                        final = torch.from_numpy(shard.final_observations[bootstrap]).to(device)
                        with torch.no_grad(), autocast():
                            global_rows = index + r.start
                            _, _, _, final_value, _ = policy.step(
                                final, (state[0][:, global_rows], state[1][:, global_rows]),
                                torch.zeros(len(index), device=device), deterministic=True)
                        reward[index] += config.gamma * final_value
                    storage_rewards[t - 1, r] = reward
                    next_done[r] = torch.from_numpy(terminals | truncations).to(device, torch.float32)
                    episode_log.add(shard)
                if t == steps:
                    continue
                tick = time.perf_counter()
                obs = host_obs[i].to(device, non_blocking=True)
                storage_obs[t, r] = obs
                storage_dones[t, r] = next_done[r]
                with torch.no_grad(), autocast():
                    shard_state = (state[0][:, r], state[1][:, r])
                    action, logprob, _, value, shard_state = policy.step(obs, shard_state, next_done[r])
                state[0][:, r], state[1][:, r] = shard_state
                storage_actions[t, r], storage_logprobs[t, r], storage_values[t, r] = action, logprob, value
                actions_host = action.to(torch.int32).cpu().numpy()
                timing["inference"] += time.perf_counter() - tick
                tick = time.perf_counter()
                shard.send(actions_host)  # the C++ threads step this shard while the loop goes on
                timing["env"] += time.perf_counter() - tick
        global_step += sizes.batch_size * ranks.world_size

        # --- advantages -----------------------------------------------------------------------------------------
        tick = time.perf_counter()
        with torch.no_grad(), autocast():
            next_obs = torch.cat([h.to(device) for h in host_obs])
            _, _, _, next_value, _ = policy.step(next_obs, state, next_done)
        advantages, returns = compute_gae(storage_rewards, storage_values, storage_dones, next_value, next_done,
                                          config.gamma, config.gae_lambda)

        # --- update: minibatches of whole sequences, so BPTT sees intact sequences --------------------------------
        policy.train()
        L = config.bptt_horizon
        for epoch in range(config.update_epochs):
            order = torch.randperm(sizes.num_sequences, device=device)
            for minibatch, batch in enumerate(order.split(sizes.sequences_per_minibatch)):
                chunk, agent = batch // n, batch % n
                time_index = (chunk[None, :] * L + torch.arange(L, device=device)[:, None])  # (L, B)
                agent_index = agent[None, :].expand(L, -1)
                initial = (storage_states[0][chunk, 0, agent][None], storage_states[1][chunk, 0, agent][None])
                with autocast():
                    logits, values, _ = model(storage_obs[time_index, agent_index], initial,
                                              storage_dones[time_index, agent_index])
                distribution = Categorical(logits=logits)
                actions = storage_actions[time_index, agent_index]
                loss, losses = ppo_loss(
                    distribution.log_prob(actions).flatten(), storage_logprobs[time_index, agent_index].flatten(),
                    advantages[time_index, agent_index].flatten(), values.flatten(),
                    storage_values[time_index, agent_index].flatten(), returns[time_index, agent_index].flatten(),
                    distribution.entropy().flatten(), config.clip_coef, config.clip_vloss, config.vf_coef,
                    config.ent_coef, config.norm_adv)
                if epoch == 0 and minibatch == 0:
                    first_minibatch_kl = losses["approx_kl"]
                    value_error = (values.detach() - storage_values[time_index, agent_index]).abs().max().item()
                    replay_error = {"approx_kl": max(replay_error["approx_kl"], abs(first_minibatch_kl)),
                                    "value": max(replay_error["value"], value_error)}
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
                optimizer.step()
        timing["learn"] += time.perf_counter() - tick

        # --- log --------------------------------------------------------------------------------------------------
        elapsed = time.perf_counter() - start_time
        sps = (global_step - start_step) / max(elapsed, 1e-9)
        stats = episode_log.pop()
        if stats:
            last_stats = stats
        if writer is not None:
            writer.add_scalar("charts/learning_rate", lr, global_step)
            writer.add_scalar("charts/SPS", sps, global_step)
            for name, value in losses.items():
                writer.add_scalar(f"losses/{name}", value, global_step)
            writer.add_scalar("losses/first_minibatch_approx_kl", first_minibatch_kl, global_step)
            total_time = sum(timing.values()) or 1.0
            for name, value in timing.items():
                writer.add_scalar(f"time/{name}_share", value / total_time, global_step)
            if stats:
                writer.add_scalar("charts/episode_return", stats["reward"], global_step)
                writer.add_scalar("charts/hearts_per_agent", stats.get("heart.gained", 0.0), global_step)
                for name, value in stats.items():
                    writer.add_scalar(f"env/{name}", value, global_step)
        if bar is not None:
            bar.update(update, sps, last_stats.get("reward", float("nan")))
        last = update == sizes.num_updates - 1
        if last or (update + 1) % config.checkpoint_interval == 0:
            # Collectives: every rank takes part. Each rank's RNG stream and rollout state, so --resume goes on
            # exactly as if the run had never stopped.
            rng_states = _gather(ranks, {"cpu": torch.get_rng_state(),
                                         "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None})
            rollout_states = _gather(ranks, {
                "worlds": [shard.save_state() for shard in shards],
                "lstm_h": state[0].cpu(), "lstm_c": state[1].cpu(), "next_done": next_done.cpu()})
            if ranks.is_main:
                _save(run_dir, run, update, global_step, policy, optimizer, env_config, config, rng_states,
                      rollout_states, ranks.world_size)

    if bar is not None:
        bar.close()
    in_sync = _parameters_in_sync(policy, ranks)
    elapsed = time.perf_counter() - start_time
    summary: dict[str, Any] = {
        "run": run, "env": env_config.full_name, "global_step": global_step, "world_size": ranks.world_size,
        "updates": sizes.num_updates, "sps": (global_step - start_step) / max(elapsed, 1e-9),
        "seconds": elapsed, "params_in_sync": in_sync, "last_episode_stats": last_stats, "losses": losses,
        "first_minibatch_replay_error": replay_error,  # worst over updates; ~0 unless rollout and update disagree
        "time_share": {k: v / (sum(timing.values()) or 1.0) for k, v in timing.items()},
        "checkpoint": str(list_checkpoints(run_dir)[-1]) if ranks.is_main else None,
        "tensorboard": str(run_dir / "tensorboard"),
    }
    if ranks.is_main:
        if writer is not None:
            writer.close()
        if config.eval_episodes:
            trained = TrainedPolicy(policy.cpu(), env_config, "cpu", seed=config.seed)
            summary["eval"] = evaluate(trained, env_config, config.eval_episodes, seed=10_000 + config.seed,
                                       num_threads=config.num_threads)
            summary["eval_random"] = evaluate(RandomPolicy(probe.single_action_space.n, config.seed), env_config,
                                              config.eval_episodes, seed=10_000 + config.seed,
                                              num_threads=config.num_threads)
            summary["replay"] = record_replay(trained, env_config, run_dir / "replay.npz", seed=config.seed)
        _write_json(run_dir / "summary.json", summary)
    return summary


def _gather(ranks: Distributed, value: Any) -> list[Any] | None:
    """`value` from every rank, in rank order, on rank 0 (None elsewhere). A collective: every rank must call it."""
    if ranks.world_size == 1:
        return [value]
    values: list[Any] | None = [None] * ranks.world_size if ranks.is_main else None
    dist.gather_object(value, values, dst=0)
    return values


def _save(run_dir: Path, run: str, update: int, global_step: int, policy, optimizer, env_config, config,
          rng_states: list[dict[str, Any]], rollout_states: list[dict[str, Any]], world_size: int) -> Path:
    payload = {
        "policy": policy.state_dict(),
        "optimizer": optimizer.state_dict(),
        "trainer_state": {"update": update, "global_step": global_step, "torch_rng": rng_states,
                          "world_size": world_size},
        # per rank: its worlds (VecEnv.save_state bytes, one per shard), LSTM (h, c), episode starts, log sums
        "rollout_state": rollout_states,
        "env_config": env_config.to_dict(),
        "trainer_config": config.to_dict(),
        "run": run,
        "version": update + 1,
        "gridenv_version": gridenv.__version__,
    }
    return save_checkpoint(checkpoint_path(run_dir, run, update + 1), payload)


def _parameters_in_sync(policy, ranks: Distributed) -> bool:
    """DDP keeps replicas identical; check it (cheaply) at the end rather than trust it."""
    if ranks.world_size == 1:
        return True
    checksum = torch.stack([p.detach().double().sum() for p in policy.parameters()]).sum().reshape(1).cpu()
    gathered = [torch.zeros_like(checksum) for _ in range(ranks.world_size)]
    dist.all_gather(gathered, checksum)
    return all(torch.equal(g, gathered[0]) for g in gathered)


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=float))
    os.replace(tmp, path)


class _progress:
    """A rich progress bar with SPS and ETA (None-safe wrapper: disabled off the main rank or when asked)."""

    def __new__(cls, enabled: bool, total: int, run: str):
        if not enabled:
            return None
        return super().__new__(cls)

    def __init__(self, enabled: bool, total: int, run: str):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                  TextColumn("{task.completed}/{task.total} updates"),
                                  TextColumn("{task.fields[sps]:>9,.0f} SPS"),
                                  TextColumn("return {task.fields[ret]}"), TimeElapsedColumn(),
                                  TimeRemainingColumn())
        self._progress.start()
        self._task = self._progress.add_task(run, total=total, sps=0.0, ret="-")

    def update(self, update: int, sps: float, episode_return: float) -> None:
        shown = "-" if episode_return != episode_return else f"{episode_return:.3f}"  # "-" until an episode ends
        self._progress.update(self._task, advance=1, sps=sps, ret=shown)

    def close(self) -> None:
        self._progress.stop()
