"""The policy interface shared by the trainer and the evals: observations and recurrent state in, actions out.

    policy = load_policy("train_dir/my-run")              # a run dir (latest checkpoint), a path or file:// URI
    state = policy.initial_state(num_agents)
    actions, state = policy.act(observations, state, dones)  # (B, C, H, W) uint8, (B,) bool -> (B,) int32
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

import gridenv
from gridenv_train.checkpoint import CheckpointError, checkpoint_configs, load_checkpoint, resolve_uri
from gridenv_train.policy import Policy


class TrainedPolicy:
    """A trained LSTM policy. ``deterministic=True`` takes the most likely action instead of sampling."""

    def __init__(self, policy: Policy, env_config: gridenv.EnvConfig, device: str = "cpu", source: str = "",
                 deterministic: bool = False, seed: int = 0):
        self.policy = policy.to(device).eval()
        self.env_config = env_config
        self.device = torch.device(device)
        self.source = source
        self.deterministic = deterministic
        self._generator = torch.Generator(device="cpu").manual_seed(seed)
        self.observation_shape = tuple(policy.scale.shape)  # what gridenv-evals checks a task against
        self.num_actions = policy.actor.out_features

    def reseed(self, seed: int) -> None:
        """Restart the sampling generator (gridenv-evals calls this before each task)."""
        self._generator = torch.Generator(device="cpu").manual_seed(seed)

    def initial_state(self, batch: int) -> Any:
        return self.policy.initial_state(batch, self.device)

    @torch.no_grad()
    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray | None = None):
        obs = torch.as_tensor(observations, device=self.device)
        done = torch.zeros(obs.shape[0], device=self.device) if dones is None else \
            torch.as_tensor(dones, dtype=torch.float32, device=self.device)
        logits, _, state = self.policy(obs.unsqueeze(0), state, done.unsqueeze(0))
        if self.deterministic:
            actions = logits[0].argmax(-1)
        else:
            probs = torch.softmax(logits[0].float().cpu(), -1)
            actions = torch.multinomial(probs, 1, generator=self._generator).squeeze(-1)
        return actions.cpu().numpy().astype(np.int32), state


class RandomPolicy:
    """Uniformly random actions, with the same interface (the baseline every result is compared with)."""

    def __init__(self, num_actions: int, seed: int = 0):
        self.num_actions = num_actions
        self._rng = np.random.default_rng(seed)
        self.source = "random"

    def initial_state(self, batch: int) -> None:
        return None

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray | None = None):
        return self._rng.integers(0, self.num_actions, len(observations), dtype=np.int32), state


def load_policy(uri: str | Path, device: str = "cpu", deterministic: bool = False, seed: int = 0) -> TrainedPolicy:
    """Load a policy from a checkpoint path, a ``file://`` URI or a run directory (its latest checkpoint)."""
    path = resolve_uri(uri)
    checkpoint = load_checkpoint(path, device)
    env_config, trainer_config = checkpoint_configs(checkpoint, path)
    game = gridenv.Game(env_config)
    policy = Policy(game.observation_space.high, game.action_space.n, len(game.self_feature_names),
                    trainer_config.hidden_size, trainer_config.encoder)
    try:
        policy.load_state_dict(checkpoint["policy"])
    except RuntimeError as error:  # missing, unexpected or wrongly shaped parameters
        raise CheckpointError(f"{path}: its weights do not fit the policy its configs describe: {error}") from None
    return TrainedPolicy(policy, env_config, device, source=str(path), deterministic=deterministic, seed=seed)
