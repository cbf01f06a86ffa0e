"""Trainer hyperparameters: one dataclass, one docstring per field, per-env overlays (overlays.yaml), and the
derived sizes checked in one place."""

from __future__ import annotations

import dataclasses
import math
from importlib import resources

import yaml
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainerConfig:
    """LSTM PPO hyperparameters. Defaults suit the arena on a CPU; every field is a `trainer.<name>=` override."""

    total_timesteps: int = field(default=2_000_000, metadata={"doc": "agent-steps to train for (all agents, all ranks)"})
    num_envs: int = field(default=16, metadata={"doc": "worlds stepped together per rank"})
    num_threads: int = field(default=2, metadata={"doc": "C++ threads stepping the worlds"})
    async_envs: bool = field(default=False, metadata={
        "doc": "double-buffer: two halves of the worlds, one steps while the policy acts for the other"})
    rollout_steps: int = field(default=32, metadata={"doc": "steps per world between updates"})
    bptt_horizon: int = field(default=16, metadata={"doc": "LSTM sequence length for truncated BPTT"})
    num_minibatches: int = field(default=4, metadata={"doc": "minibatches per epoch (of whole sequences)"})
    update_epochs: int = field(default=4, metadata={"doc": "passes over each rollout"})
    learning_rate: float = field(default=1e-3, metadata={"doc": "Adam learning rate at the start"})
    anneal_lr: bool = field(default=True, metadata={"doc": "decay the learning rate linearly to 0"})
    gamma: float = field(default=0.99, metadata={"doc": "discount"})
    gae_lambda: float = field(default=0.95, metadata={"doc": "GAE lambda"})
    clip_coef: float = field(default=0.2, metadata={"doc": "PPO ratio clip"})
    clip_vloss: bool = field(default=True, metadata={"doc": "clip the value loss around the old values"})
    norm_adv: bool = field(default=True, metadata={"doc": "normalise advantages per minibatch"})
    ent_coef: float = field(default=0.01, metadata={"doc": "entropy bonus"})
    vf_coef: float = field(default=0.5, metadata={"doc": "value loss weight"})
    max_grad_norm: float = field(default=0.5, metadata={"doc": "gradient clipping norm"})
    hidden_size: int = field(default=128, metadata={"doc": "encoder output and LSTM size"})
    encoder: str = field(default="cnn", metadata={
        "doc": "cnn (1x1 + strided 3x3 conv, self-feature MLP, projection) or puffer (PufferLib's grid shape: "
               "5x5 stride-3 and 3x3 convs, centre cell + self features, halves concatenated; policy.py)"})
    seed: int = field(default=1, metadata={"doc": "seeds torch, numpy and the envs (rank r uses seed + 1000 r)"})
    torch_threads: int = field(default=1, metadata={
        "doc": "torch intra-op threads (0: torch's default, one per core). 1 because the cores are often shared: on 2 "
               "cores with a busy loop on one, 2 threads ran 2,400-2,900 agent-steps/s and 1 thread 8,700-8,800"})
    precision: str = field(default="float32", metadata={
        "doc": "float32, or bfloat16: the policy's forward passes under torch.autocast (faster on CPUs with AVX-512 "
               "BF16 and on recent GPUs; weights, optimiser and losses stay float32)"})
    checkpoint_interval: int = field(default=50, metadata={"doc": "updates between checkpoints (a last one always)"})
    eval_episodes: int = field(default=4, metadata={"doc": "episodes of the final evaluation (0: none)"})
    eval_suite: str = field(default="", metadata={
        "doc": "a gridenv-evals suite (e.g. navigation) to score the policy on every eval_interval updates and at "
               "the end, logged to TensorBoard (eval/...) and the summary; needs gridenv-evals installed"})
    eval_interval: int = field(default=0, metadata={"doc": "updates between suite evaluations (0: only at the end)"})
    eval_suite_episodes: int = field(default=0, metadata={
        "doc": "episodes per task of the suite evaluations (0: the suite's own count, as published results use)"})
    log_interval: int = field(default=10, metadata={
        "doc": "updates between log lines when the output is not a terminal or with --no-progress"})

    def __post_init__(self) -> None:
        # Checked at construction (overrides, overlays, checkpoints), so a bad value fails before training starts.
        for item in dataclasses.fields(self):
            setattr(self, item.name, coerce_field(f"trainer.{item.name}", getattr(self, item.name),
                                                  type(item.default)))
        for name in ("total_timesteps", "num_envs", "num_threads", "rollout_steps", "bptt_horizon", "num_minibatches",
                     "update_epochs", "hidden_size", "checkpoint_interval", "log_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"trainer.{name}: must be >= 1, got {getattr(self, name)}")
        for name in ("eval_episodes", "torch_threads", "seed", "eval_interval", "eval_suite_episodes"):
            if getattr(self, name) < 0:
                raise ValueError(f"trainer.{name}: must be >= 0, got {getattr(self, name)}")
        for name in ("learning_rate", "clip_coef", "max_grad_norm"):
            if not 0.0 < getattr(self, name) < math.inf:
                raise ValueError(f"trainer.{name}: must be a finite number > 0, got {getattr(self, name)}")
        for name in ("ent_coef", "vf_coef"):
            if not 0.0 <= getattr(self, name) < math.inf:
                raise ValueError(f"trainer.{name}: must be a finite number >= 0, got {getattr(self, name)}")
        for name in ("gamma", "gae_lambda"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"trainer.{name}: must be in [0, 1], got {getattr(self, name)}")
        if self.encoder not in ("cnn", "puffer"):
            raise ValueError(f"trainer.encoder: expected 'cnn' or 'puffer', got {self.encoder!r}")
        if self.precision not in ("float32", "bfloat16"):
            raise ValueError(f"trainer.precision: expected 'float32' or 'bfloat16', got {self.precision!r}")
        if self.num_envs > 1 << 16 or self.num_threads > 1024:
            raise ValueError(f"trainer.num_envs must be <= 65536 and trainer.num_threads <= 1024, got "
                             f"{self.num_envs} and {self.num_threads}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainerConfig:
        """From a saved dict (a checkpoint's, a config.json's): unknown fields and wrong types are refused by name."""
        if not isinstance(data, dict):
            raise ValueError(f"trainer config: expected a mapping, got {type(data).__name__}")
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"trainer config: unknown fields {unknown}; known: {sorted(known)}")
        return cls(**data)


def coerce_field(key: str, value: Any, kind: type) -> Any:
    """A value for a field of type ``kind`` (bool, int, float or str), or ValueError naming ``key``. Integral floats
    are ints (``1e6`` on a command line means 1000000); ints are floats; nothing else converts."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{key}: expected true or false, got {value!r}")
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(f"{key}: expected a {kind.__name__}, got {value!r}")


@dataclass(frozen=True)
class Sizes:
    """Sizes derived from the config and the env (per rank)."""

    num_agents: int            # rows of the batch: agents across this rank's worlds
    batch_size: int            # agent-steps per rollout
    num_sequences: int         # BPTT sequences per rollout
    sequences_per_minibatch: int
    num_updates: int


def derive_sizes(config: TrainerConfig, agents_per_env: int, world_size: int = 1) -> Sizes:
    """Check the config against the env and compute the sizes; impossible combinations name both numbers."""
    if config.rollout_steps % config.bptt_horizon:
        raise ValueError(f"trainer.rollout_steps ({config.rollout_steps}) must be a multiple of "
                         f"trainer.bptt_horizon ({config.bptt_horizon})")
    if config.async_envs and config.num_envs % 2:
        raise ValueError(f"trainer.async_envs needs an even trainer.num_envs, got {config.num_envs}")
    num_agents = config.num_envs * agents_per_env
    num_sequences = num_agents * (config.rollout_steps // config.bptt_horizon)
    if num_sequences % config.num_minibatches:
        raise ValueError(f"the {num_sequences} BPTT sequences per rollout (agents {num_agents} x "
                         f"rollout_steps/bptt_horizon {config.rollout_steps // config.bptt_horizon}) do not split "
                         f"into trainer.num_minibatches ({config.num_minibatches})")
    batch_size = num_agents * config.rollout_steps
    # Rounded up: a run trains at least total_timesteps (the last update completes its rollout).
    num_updates = max(1, -(-config.total_timesteps // (batch_size * world_size)))
    return Sizes(num_agents, batch_size, num_sequences, num_sequences // config.num_minibatches, num_updates)


def env_overlay(env_name: str) -> dict[str, Any]:
    """Trainer defaults for one environment from overlays.yaml (by name without version), or {}."""
    overlays = yaml.safe_load(resources.files("gridenv_train").joinpath("overlays.yaml").read_text()) or {}
    overlay = overlays.get(env_name, {})
    unknown = set(overlay) - {f.name for f in dataclasses.fields(TrainerConfig)}
    if unknown:
        raise ValueError(f"overlays.yaml: {env_name}: unknown trainer fields {sorted(unknown)}")
    return overlay
