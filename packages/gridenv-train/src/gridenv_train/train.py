"""LSTM PPO on gridenv's batched C++ env. ``_train`` reads top to bottom like CleanRL — set up, then per update:
collect a rollout, compute advantages, update, log, checkpoint — and each step is a named function below it.

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
from gridenv.atomic_file import write_atomic
from gridenv_train.checkpoint import (CheckpointError, checkpoint_configs, checkpoint_path, list_checkpoints,
                                     load_latest_intact, save_checkpoint)
from gridenv_train.config import Sizes, TrainerConfig, derive_sizes
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
    """The whole run, CleanRL's shape: set up, then per update collect a rollout, compute advantages, update, log
    and checkpoint; then evaluate. Resume, the pipelined rollout and DDP each live in their own named piece."""
    run_dir = train_dir / run
    resumed = _load_resume(run_dir, device, ranks) if resume else None
    if resumed is not None:
        env_config, config = resumed.env_config, resumed.config

    # --- set up -----------------------------------------------------------------------------------------------------
    _keep_freed_memory()
    rank_seed = config.seed + 1000 * ranks.rank
    _seed_everything(rank_seed)
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    envs = Shards(env_config, config, device)
    sizes = derive_sizes(config, envs.agents_per_env, ranks.world_size)
    policy = make_policy(envs.game, config.hidden_size, config.encoder).to(device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, eps=1e-5)
    storage = RolloutStorage(config.rollout_steps, sizes.num_agents, envs.obs_shape, config.bptt_horizon,
                             config.hidden_size, device)
    start = TrainingState(update=0, global_step=0, lstm=policy.initial_state(sizes.num_agents, device),
                          next_done=torch.zeros(sizes.num_agents, device=device))
    if resumed is not None:
        start = _restore(resumed, policy, optimizer, envs, start, ranks, device)
    else:
        envs.reset(rank_seed)
    model = DistributedDataParallel(policy) if ranks.world_size > 1 else policy
    # bfloat16: forward passes (and so their backward) under autocast; parameters and optimiser stay float32.
    autocast = partial(torch.autocast, device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16")
    log = TrainingLog(run_dir, run, env_config, config, ranks, progress, envs.game.stat_names,
                      sizes.num_updates - start.update, start.global_step)
    suite = SuiteEvaluation(config, envs) if config.eval_suite and ranks.is_main else None
    state, next_done, global_step = start.lstm, start.next_done, start.global_step

    for update in range(start.update, sizes.num_updates):
        lr = linear_lr(update, sizes.num_updates, config.learning_rate, config.anneal_lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        state, next_done = collect_rollout(policy, envs, storage, state, next_done, config, device, autocast, log)
        global_step += sizes.batch_size * ranks.world_size
        tick = time.perf_counter()
        advantages, returns = compute_advantages(policy, envs, storage, state, next_done, config, device, autocast)
        losses = update_policy(model, policy, optimizer, storage, advantages, returns, sizes, config, autocast, log)
        log.timing["learn"] += time.perf_counter() - tick
        log.update(update, global_step, lr, losses)
        if suite is not None and config.eval_interval and (update + 1) % config.eval_interval == 0 and \
                update != sizes.num_updates - 1:
            suite.evaluate(policy, env_config, log.writer, global_step)
        if update == sizes.num_updates - 1 or (update + 1) % config.checkpoint_interval == 0:
            _checkpoint(run_dir, run, update, global_step, policy, optimizer, env_config, config, envs, state,
                        next_done, ranks, device)

    # --- finish: summary, and on rank 0 the evaluations and replay ------------------------------------------------
    summary = log.summary(global_step, sizes.num_updates, _parameters_in_sync(policy, ranks))
    summary["checkpoint"] = str(list_checkpoints(run_dir)[-1]) if ranks.is_main else None
    if ranks.is_main:
        if suite is not None:
            summary["eval_suite"] = suite.evaluate(policy, env_config, log.writer, global_step)
        if config.eval_episodes:
            summary.update(_evaluate(policy, env_config, config, envs.game, run_dir))
        _write_json(run_dir / "summary.json", summary)
    log.close()
    return summary


# --- the pieces of the run, in the order the loop uses them ---------------------------------------------------------

@dataclass
class ResumePoint:
    """What --resume continues from: the newest intact checkpoint and the configs it holds."""

    path: Path
    checkpoint: dict[str, Any]
    env_config: gridenv.EnvConfig
    config: TrainerConfig


def _load_resume(run_dir: Path, device: torch.device, ranks: Distributed) -> ResumePoint:
    """The newest checkpoint that verifies; a damaged or truncated newer one is skipped, saying so (every rank skips
    the same ones: they read the same files)."""
    path, checkpoint = load_latest_intact(run_dir, device, warn=_warn if ranks.is_main else lambda message: None)
    saved_world_size = checkpoint.get("trainer_state", {}).get("world_size", 1)
    if saved_world_size != ranks.world_size:
        raise ValueError(f"--resume: {path.name} was trained on {saved_world_size} rank(s); resume it on "
                         f"{saved_world_size}, not {ranks.world_size} (the number of updates and the learning-rate "
                         f"schedule depend on it)")
    env_config, config = checkpoint_configs(checkpoint, path)
    return ResumePoint(path, checkpoint, env_config, config)


class Shards:
    """This rank's worlds: one VecEnv, or two halves stepped alternately (``async_envs``: while the C++ threads step
    one half, the policy acts for the other). The engine writes observations straight into ``host_obs[i]`` (pinned
    on CUDA, so each step's copy to the device is one asynchronous transfer)."""

    def __init__(self, env_config: gridenv.EnvConfig, config: TrainerConfig, device: torch.device):
        count = 2 if config.async_envs else 1
        per_shard = config.num_envs // count
        self.game = gridenv.Game(env_config)  # shared by every world: spaces, sizes and stat names
        self.agents_per_env = self.game.num_agents
        self.obs_shape = self.game.observation_shape
        self.host_obs = [torch.zeros((per_shard * self.agents_per_env, *self.obs_shape), dtype=torch.uint8)
                         for _ in range(count)]
        if device.type == "cuda":
            self.host_obs = [h.pin_memory() for h in self.host_obs]
        self.vecs = [gridenv.vector.VecEnv(env_config, num_envs=per_shard, num_threads=config.num_threads,
                                           observations=h.numpy(), game=self.game) for h in self.host_obs]
        agents = config.num_envs * self.agents_per_env
        self.rows = [slice(i * agents // count, (i + 1) * agents // count) for i in range(count)]

    def reset(self, rank_seed: int, start_update: int = 0) -> None:
        for i, vec in enumerate(self.vecs):
            vec.reset(seed=rank_seed * 7919 + start_update * 104729 + i * 65537)

    def save_state(self) -> list[bytes]:
        return [vec.save_state() for vec in self.vecs]

    def load_state(self, states: list[bytes]) -> None:
        if len(states) != len(self.vecs):
            raise ValueError(f"{len(states)} saved shards, this run has {len(self.vecs)}")
        for vec, world_states in zip(self.vecs, states):
            vec.load_state(world_states)


class RolloutStorage:
    """One rollout on the device, (T, N, ...): observations, actions, log-probs, rewards, episode starts, values, and
    the LSTM state at the start of each BPTT chunk (chunks, 1, N, hidden) for the update's sequences."""

    def __init__(self, steps: int, agents: int, obs_shape: tuple[int, ...], bptt_horizon: int, hidden_size: int,
                 device: torch.device):
        self.obs = torch.zeros((steps, agents, *obs_shape), dtype=torch.uint8, device=device)
        self.actions = torch.zeros((steps, agents), dtype=torch.long, device=device)
        self.logprobs = torch.zeros((steps, agents), device=device)
        self.rewards = torch.zeros((steps, agents), device=device)
        self.dones = torch.zeros((steps, agents), device=device)
        self.values = torch.zeros((steps, agents), device=device)
        chunks = steps // bptt_horizon
        self.states = [torch.zeros((chunks, 1, agents, hidden_size), device=device) for _ in range(2)]


@dataclass
class TrainingState:
    """Where the loop starts: the update and step counters, the LSTM memories and the episode starts."""

    update: int
    global_step: int
    lstm: tuple[torch.Tensor, torch.Tensor]
    next_done: torch.Tensor


def _restore(resumed: ResumePoint, policy, optimizer, envs: Shards, fresh: TrainingState, ranks: Distributed,
             device: torch.device) -> TrainingState:
    """Exact resume: weights, optimiser, counters, this rank's RNG stream, and its rollout state — every world
    mid-episode, the LSTM memories and the episode starts as the checkpoint left them. Anything in the checkpoint
    that does not fit this run is refused naming the file."""
    checkpoint, path = resumed.checkpoint, resumed.path
    try:
        policy.load_state_dict(checkpoint["policy"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        trainer_state = checkpoint["trainer_state"]
        update, global_step = int(trainer_state["update"]) + 1, int(trainer_state["global_step"])
        rng_state = trainer_state["torch_rng"][ranks.rank]  # each rank its own stream
        torch.set_rng_state(rng_state["cpu"].cpu())
        if rng_state.get("cuda") is not None and device.type == "cuda":
            torch.cuda.set_rng_state(rng_state["cuda"].cpu(), device)
        mine = checkpoint["rollout_state"][ranks.rank]
        envs.load_state(mine["worlds"])
        lstm = (mine["lstm_h"].to(device), mine["lstm_c"].to(device))
        next_done = mine["next_done"].to(device).float()
        if any(a.shape != b.shape for a, b in zip((*lstm, next_done), (*fresh.lstm, fresh.next_done))):
            raise ValueError(f"saved LSTM state {tuple(lstm[0].shape)} and episode starts {tuple(next_done.shape)}, "
                             f"this run has {tuple(fresh.lstm[0].shape)} and {tuple(fresh.next_done.shape)}")
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        raise CheckpointError(f"--resume: {path}: does not fit this run ({type(error).__name__}: {error})") from None
    return TrainingState(update, global_step, lstm, next_done)


def collect_rollout(policy, envs: Shards, storage: RolloutStorage, state, next_done: torch.Tensor,
                    config: TrainerConfig, device: torch.device, autocast, log: TrainingLog):
    """Fill ``storage`` with ``rollout_steps`` steps of every agent; returns the LSTM state and episode starts after.

    Pipelined over the shards: in iteration t each shard first collects its step t - 1 (sent in the previous
    iteration), then acts for step t and sends it, so with two shards each one's C++ step runs while the other
    shard's results are collected and its actions computed. Iteration ``rollout_steps`` only collects."""
    policy.eval()
    steps = config.rollout_steps
    for t in range(steps + 1):
        if t < steps and t % config.bptt_horizon == 0:
            storage.states[0][t // config.bptt_horizon] = state[0]
            storage.states[1][t // config.bptt_horizon] = state[1]
        for i, vec in enumerate(envs.vecs):
            r = envs.rows[i]
            if t > 0:
                tick = time.perf_counter()
                _, rewards, terminals, truncations, _ = vec.recv()
                log.timing["env"] += time.perf_counter() - tick
                reward = torch.from_numpy(rewards).to(device)
                bootstrap = truncations & ~terminals
                if bootstrap.any():  # a time limit is not death: add the discounted value of the final obs
                    # (deterministic: only the value is needed, so no draw from the RNG the actions use)
                    index = torch.from_numpy(np.flatnonzero(bootstrap)).to(device)
                    final = torch.from_numpy(vec.final_observations[bootstrap]).to(device)
                    with torch.no_grad(), autocast():
                        global_rows = index + r.start
                        _, _, _, final_value, _ = policy.step(
                            final, (state[0][:, global_rows], state[1][:, global_rows]),
                            torch.zeros(len(index), device=device), deterministic=True)
                    reward[index] += config.gamma * final_value
                storage.rewards[t - 1, r] = reward
                next_done[r] = torch.from_numpy(terminals | truncations).to(device, torch.float32)
                log.episodes.add(vec)
            if t == steps:
                continue
            tick = time.perf_counter()
            obs = envs.host_obs[i].to(device, non_blocking=True)
            storage.obs[t, r] = obs
            storage.dones[t, r] = next_done[r]
            with torch.no_grad(), autocast():
                shard_state = (state[0][:, r], state[1][:, r])
                action, logprob, _, value, shard_state = policy.step(obs, shard_state, next_done[r])
            state[0][:, r], state[1][:, r] = shard_state
            storage.actions[t, r], storage.logprobs[t, r], storage.values[t, r] = action, logprob, value
            actions_host = action.to(torch.int32).cpu().numpy()
            log.timing["inference"] += time.perf_counter() - tick
            tick = time.perf_counter()
            vec.send(actions_host)  # the C++ threads step this shard while the loop goes on
            log.timing["env"] += time.perf_counter() - tick
    return state, next_done


def compute_advantages(policy, envs: Shards, storage: RolloutStorage, state, next_done: torch.Tensor,
                       config: TrainerConfig, device: torch.device, autocast) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE over the rollout, bootstrapped from the value of the observation after it."""
    with torch.no_grad(), autocast():
        next_obs = torch.cat([h.to(device) for h in envs.host_obs])
        _, _, _, next_value, _ = policy.step(next_obs, state, next_done)
    return compute_gae(storage.rewards, storage.values, storage.dones, next_value, next_done, config.gamma,
                       config.gae_lambda)


def update_policy(model, policy, optimizer, storage: RolloutStorage, advantages: torch.Tensor, returns: torch.Tensor,
                  sizes: Sizes, config: TrainerConfig, autocast, log: TrainingLog) -> dict[str, float]:
    """PPO epochs over minibatches of whole BPTT sequences (so the LSTM sees intact sequences); returns the last
    minibatch's losses. The first minibatch replays the rollout with the rollout's own parameters, so its KL and the
    distance of its values from the stored ones must be ~0: more means stored states, dones, log-probs or values do
    not line up with what acted (recorded in ``log.replay_error``)."""
    policy.train()
    n, horizon = sizes.num_agents, config.bptt_horizon
    losses: dict[str, float] = {}
    for epoch in range(config.update_epochs):
        order = torch.randperm(sizes.num_sequences, device=storage.obs.device)
        for minibatch, batch in enumerate(order.split(sizes.sequences_per_minibatch)):
            chunk, agent = batch // n, batch % n
            time_index = chunk[None, :] * horizon + torch.arange(horizon, device=batch.device)[:, None]  # (L, B)
            agent_index = agent[None, :].expand(horizon, -1)
            initial = (storage.states[0][chunk, 0, agent][None], storage.states[1][chunk, 0, agent][None])
            with autocast():
                logits, values, _ = model(storage.obs[time_index, agent_index], initial,
                                          storage.dones[time_index, agent_index])
            distribution = Categorical(logits=logits)
            actions = storage.actions[time_index, agent_index]
            loss, losses = ppo_loss(
                distribution.log_prob(actions).flatten(), storage.logprobs[time_index, agent_index].flatten(),
                advantages[time_index, agent_index].flatten(), values.flatten(),
                storage.values[time_index, agent_index].flatten(), returns[time_index, agent_index].flatten(),
                distribution.entropy().flatten(), config.clip_coef, config.clip_vloss, config.vf_coef,
                config.ent_coef, config.norm_adv)
            if epoch == 0 and minibatch == 0:
                value_error = (values.detach() - storage.values[time_index, agent_index]).abs().max().item()
                log.record_replay_error(losses["approx_kl"], value_error)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
            optimizer.step()
    return losses


def _checkpoint(run_dir: Path, run: str, update: int, global_step: int, policy, optimizer, env_config,
                config: TrainerConfig, envs: Shards, state, next_done: torch.Tensor, ranks: Distributed,
                device: torch.device) -> None:
    """Collectives: every rank takes part. Each rank's RNG stream and rollout state go in, so --resume goes on
    exactly as if the run had never stopped; rank 0 writes the file."""
    rng_states = _gather(ranks, {"cpu": torch.get_rng_state(),
                                 "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None})
    rollout_states = _gather(ranks, {"worlds": envs.save_state(), "lstm_h": state[0].cpu(), "lstm_c": state[1].cpu(),
                                     "next_done": next_done.cpu()})
    if ranks.is_main:
        _save(run_dir, run, update, global_step, policy, optimizer, env_config, config, rng_states, rollout_states,
              ranks.world_size)


def _evaluate(policy, env_config, config: TrainerConfig, game: gridenv.Game, run_dir: Path) -> dict[str, Any]:
    """The trained policy against random play on fresh episodes, and one recorded episode."""
    trained = TrainedPolicy(policy.cpu(), env_config, "cpu", seed=config.seed)
    random_policy = RandomPolicy(game.action_space.n, config.seed)
    return {
        "eval": evaluate(trained, env_config, config.eval_episodes, seed=10_000 + config.seed,
                         num_threads=config.num_threads),
        "eval_random": evaluate(random_policy, env_config, config.eval_episodes, seed=10_000 + config.seed,
                                num_threads=config.num_threads),
        "replay": record_replay(trained, env_config, run_dir / "replay.json.z", seed=config.seed),
    }


class SuiteEvaluation:
    """The policy scored on a gridenv-evals suite during training (rank 0): aggregates and per-task success to
    TensorBoard under ``eval/<suite>/``, and the final scores into the summary. Checked when the run starts: the
    package must be installed and the suite's observations and actions must be the training env's."""

    def __init__(self, config: TrainerConfig, envs: Shards):
        try:
            from gridenv_evals import get_suite, task_spec
        except ImportError:
            raise ValueError("trainer.eval_suite needs gridenv-evals: pip install ./packages/gridenv-evals") from None
        self.suite = get_suite(config.eval_suite)  # an unknown name lists the known ones
        spec = task_spec(self.suite.tasks[0])
        mine = (tuple(envs.obs_shape), tuple(envs.game.action_names))
        if (tuple(spec.observation_shape), tuple(spec.action_names)) != mine:
            raise ValueError(f"trainer.eval_suite: {self.suite.full_name} observes {tuple(spec.observation_shape)} "
                             f"with actions {list(spec.action_names)}; this env gives {mine[0]} with "
                             f"{list(mine[1])}: train on an env of the suite's rules (e.g. navigation or maze)")
        self.seed = config.seed
        self.threads = config.num_threads
        self.episodes = config.eval_suite_episodes or self.suite.episodes
        if self.episodes > min(len(task.seeds) for task in self.suite.tasks):
            raise ValueError(f"trainer.eval_suite_episodes: {self.suite.full_name} has "
                             f"{min(len(task.seeds) for task in self.suite.tasks)} seeds per task, got {self.episodes}")

    def evaluate(self, policy, env_config, writer, global_step: int) -> dict[str, Any]:
        from gridenv_evals import build_results, run_suite

        was_training = policy.training
        trained = TrainedPolicy(policy, env_config, str(next(policy.parameters()).device), seed=self.seed)
        episodes = self.episodes
        uri = f"gridenv-train:step-{global_step}"
        prefix = f"eval/{self.suite.full_name}"
        if self.suite.protocol != "navigation":  # in-context (gain, returns) or cooperation (score, hearts)
            scores = self._evaluate_protocol(trained, uri, episodes)
            policy.train(was_training)
            if writer is not None:
                for name, value in scores.items():
                    writer.add_scalar(f"{prefix}/{name}", value, global_step)
            return {"suite": self.suite.full_name, "episodes_per_task": episodes, "global_step": global_step,
                    "scores": scores}
        results = build_results(self.suite, uri, episodes, run_suite(self.suite, trained, uri, episodes,
                                                                      self.threads))
        policy.train(was_training)
        if writer is not None:
            for metric in ("success", "spl"):
                writer.add_scalar(f"{prefix}/{metric}_mean", results.aggregates[metric].mean, global_step)
                writer.add_scalar(f"{prefix}/{metric}_iqm", results.aggregates[metric].iqm, global_step)
            for row in results.tasks:
                writer.add_scalar(f"{prefix}/task/{row.name}/success", row.success, global_step)
        return {"suite": self.suite.full_name, "episodes_per_task": episodes, "global_step": global_step,
                "aggregates": {k: v.model_dump(mode="json") for k, v in results.aggregates.items()},
                "task_success": {row.name: row.success for row in results.tasks}}


    def _evaluate_protocol(self, trained, uri: str, episodes: int) -> dict[str, float]:
        if self.suite.protocol == "in-context":
            from gridenv_evals.in_context import build_in_context_results, run_in_context

            results = build_in_context_results(self.suite, uri, run_in_context(self.suite, trained, uri, episodes))
            return {"gain_mean": results.gain.mean, "return_mean": results.mean_return,
                    "return_first_episode": results.per_episode.mean[0], "return_last_episode":
                    results.per_episode.mean[-1]}
        from gridenv_evals.cooperation import build_cooperation_results, run_cooperation

        results = build_cooperation_results(self.suite, uri, run_cooperation(self.suite, trained, uri, episodes))
        scores = {"hearts_mean": results.hearts.mean, **{f"measures/{k}": v for k, v in results.measures.items()}}
        if results.score is not None:
            scores["score_mean"] = results.score.mean
        return scores


class TrainingLog:
    """Everything the run reports: TensorBoard scalars, the progress bar or log lines, the episode stats, the time
    shares and the replay check, and the summary at the end."""

    def __init__(self, run_dir: Path, run: str, env_config, config: TrainerConfig, ranks: Distributed,
                 progress: bool, stat_names: list[str], updates_to_run: int, start_step: int):
        self.run, self.env_name, self.config, self.ranks = run, env_config.full_name, config, ranks
        self.run_dir = run_dir
        self.episodes = EpisodeLog(stat_names)
        self.timing = {"env": 0.0, "inference": 0.0, "learn": 0.0}
        self.replay_error = {"approx_kl": 0.0, "value": 0.0}
        self.first_minibatch_kl = 0.0
        self.last_stats: dict[str, float] = {}
        self.losses: dict[str, float] = {}
        self.episodes_finished = 0
        self.writer = None
        self.display = None
        if ranks.is_main:
            run_dir.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(str(run_dir / "tensorboard"))
            _write_json(run_dir / "config.json", {"env": env_config.to_dict(), "trainer": config.to_dict()})
            use_bar = progress and sys.stderr.isatty()
            self.display = (ProgressBar if use_bar else ProgressLines)(updates_to_run, run, config.log_interval)
        self.start_time = time.perf_counter()
        self.start_step = start_step  # SPS counts what this process trained (a resumed run from where it resumed)

    def record_replay_error(self, approx_kl: float, value_error: float) -> None:
        self.first_minibatch_kl = approx_kl
        self.replay_error = {"approx_kl": max(self.replay_error["approx_kl"], abs(approx_kl)),
                             "value": max(self.replay_error["value"], value_error)}

    def update(self, update: int, global_step: int, lr: float, losses: dict[str, float]) -> None:
        self.losses = losses
        elapsed = time.perf_counter() - self.start_time
        sps = (global_step - self.start_step) / max(elapsed, 1e-9)
        count = self.episodes.count
        stats = self.episodes.pop()
        if stats:
            self.last_stats = stats
            self.episodes_finished += count
        if self.writer is not None:
            writer = self.writer
            writer.add_scalar("charts/learning_rate", lr, global_step)
            writer.add_scalar("charts/SPS", sps, global_step)
            for name, value in losses.items():
                writer.add_scalar(f"losses/{name}", value, global_step)
            writer.add_scalar("losses/first_minibatch_approx_kl", self.first_minibatch_kl, global_step)
            total_time = sum(self.timing.values()) or 1.0
            for name, value in self.timing.items():
                writer.add_scalar(f"time/{name}_share", value / total_time, global_step)
            if stats:
                writer.add_scalar("charts/episode_return", stats["reward"], global_step)
                writer.add_scalar("charts/hearts_per_agent", stats.get("heart.gained", 0.0), global_step)
                writer.add_scalar("charts/episodes", self.episodes_finished, global_step)
                for name, value in stats.items():
                    writer.add_scalar(f"env/{name}", value, global_step)
        if self.display is not None:
            self.display.update(update, global_step, sps, self.last_stats)

    def close(self) -> None:
        if self.display is not None:
            self.display.close()
        if self.writer is not None:
            self.writer.close()

    def summary(self, global_step: int, updates: int, params_in_sync: bool) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.start_time
        total_time = sum(self.timing.values()) or 1.0
        return {
            "run": self.run, "env": self.env_name, "global_step": global_step, "world_size": self.ranks.world_size,
            "updates": updates, "sps": (global_step - self.start_step) / max(elapsed, 1e-9),
            "seconds": elapsed, "params_in_sync": params_in_sync, "episodes": self.episodes_finished,
            "last_episode_stats": self.last_stats, "losses": self.losses,
            "first_minibatch_replay_error": self.replay_error,  # worst over updates; ~0 unless rollout and update differ
            "time_share": {k: v / total_time for k, v in self.timing.items()},
            "tensorboard": str(self.run_dir / "tensorboard"),
        }


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
    write_atomic(path, json.dumps(data, indent=2, default=float))


class ProgressBar:
    """A rich progress bar for a terminal: updates, SPS, episode return and hearts per agent, elapsed and ETA."""

    def __init__(self, total: int, run: str, log_interval: int):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                  TextColumn("{task.completed}/{task.total} updates"),
                                  TextColumn("{task.fields[sps]:>9,.0f} SPS"),
                                  TextColumn("return {task.fields[ret]}"), TextColumn("hearts {task.fields[hearts]}"),
                                  TimeElapsedColumn(), TimeRemainingColumn())
        self._progress.start()
        self._task = self._progress.add_task(run, total=total, sps=0.0, ret="-", hearts="-")

    def update(self, update: int, global_step: int, sps: float, stats: dict[str, float]) -> None:
        # "-" until the first episode ends
        self._progress.update(self._task, advance=1, sps=sps, ret=_shown(stats, "reward"),
                              hearts=_shown(stats, "heart.gained"))

    def close(self) -> None:
        self._progress.stop()


class ProgressLines:
    """Log lines instead of a bar (output piped to a file, or --no-progress): one every ``log_interval`` updates
    and one for the last, flushed at once so `tail -f` and CI logs show the run as it goes."""

    def __init__(self, total: int, run: str, log_interval: int):
        self.total, self.run, self.log_interval, self.done = total, run, log_interval, 0

    def update(self, update: int, global_step: int, sps: float, stats: dict[str, float]) -> None:
        self.done += 1
        if self.done % self.log_interval and self.done != self.total:
            return
        print(f"{self.run}: update {update + 1} ({self.done}/{self.total} this run) | {global_step:,} agent-steps | "
              f"{sps:,.0f} SPS | return {_shown(stats, 'reward')} | hearts/agent {_shown(stats, 'heart.gained')}",
              flush=True)

    def close(self) -> None:
        pass


def _shown(stats: dict[str, float], name: str) -> str:
    return f"{stats[name]:.3f}" if name in stats else "-"
