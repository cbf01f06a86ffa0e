"""The network: a small CNN over the egocentric planes plus an MLP over the self features, an LSTM core, and actor
and critic heads. Observations arrive as uint8 (N, C, H, W); each value is scaled by its exact upper bound from the
observation space, so every input lies in [0, 1].

Two encoders (``TrainerConfig.encoder``): ``cnn`` (the default) is a 1x1 then a strided 3x3 convolution over the
planes, an MLP over the self features, both projected to ``hidden_size``. ``puffer`` is the shape of PufferLib's
policy for its grid env (pufferlib/environments/metta/torch.py, PufferAI/PufferLib commit 0297261): the planes scaled
per channel, a 5x5 convolution with stride 3 (11x11 -> 3x3) and a 3x3 one (-> 1x1), flattened and projected to
``hidden_size // 2``; the centre cell's channels (the agent's own cell) with the self features through a linear
layer to the other half; the two halves concatenated are the LSTM's input (no projection). PufferLib uses 128
convolution channels for a 512-unit LSTM; here ``hidden_size // 4`` (32 for 128)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

State = tuple[torch.Tensor, torch.Tensor]  # LSTM (h, c), each (1, B, hidden)
ENCODERS = ("cnn", "puffer")


def _init(layer: nn.Module, gain: float = float(np.sqrt(2))) -> nn.Module:
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


class Policy(nn.Module):
    """Actor-critic with an LSTM core.

    ``forward(observations (T, B, C, H, W), state, dones (T, B))`` runs a sequence, resetting each row's state where
    ``dones`` is 1 (the observation starts a new episode); returns logits (T, B, A), values (T, B) and the final
    state. ``step`` is the one-step form used in rollouts.
    """

    def __init__(self, observation_high: np.ndarray, num_actions: int, num_self_features: int,
                 hidden_size: int = 128, encoder: str = "cnn"):
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"encoder: expected one of {ENCODERS}, got {encoder!r}")
        channels, height, width = observation_high.shape
        scale = 1.0 / np.maximum(observation_high.astype(np.float32), 1.0)
        self.register_buffer("scale", torch.from_numpy(scale))
        self.num_self_features = num_self_features
        self.hidden_size = hidden_size
        self.encoder_name = encoder
        if encoder == "puffer":
            self._puffer_encoder(channels, height, width, hidden_size)
        else:
            self._cnn_encoder(channels, height, width, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size)
        for name, parameter in self.lstm.named_parameters():
            if "bias" in name:
                nn.init.zeros_(parameter)
            else:
                nn.init.orthogonal_(parameter, 1.0)
        self.actor = _init(nn.Linear(hidden_size, num_actions), 0.01)
        self.critic = _init(nn.Linear(hidden_size, 1), 1.0)

    def _cnn_encoder(self, channels: int, height: int, width: int, hidden_size: int) -> None:
        # 1x1 mixes the channels per cell cheaply; the strided 3x3 sees neighbourhoods at half resolution.
        self.encoder = nn.Sequential(
            _init(nn.Conv2d(channels - 1, 32, 1)), nn.ReLU(),
            _init(nn.Conv2d(32, 32, 3, stride=2, padding=1)), nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            conv_out = self.encoder(torch.zeros(1, channels - 1, height, width)).shape[1]
        self.self_encoder = nn.Sequential(_init(nn.Linear(self.num_self_features, 64)), nn.ReLU())
        self.project = nn.Sequential(_init(nn.Linear(conv_out + 64, hidden_size)), nn.ReLU())

    def _puffer_encoder(self, channels: int, height: int, width: int, hidden_size: int) -> None:
        # PufferLib's grid shape: 5x5 stride 3 then 3x3 (11x11 -> 3x3 -> 1x1); smaller views shrink the kernels.
        cnn_channels = max(hidden_size // 4, 8)
        first = min(5, height, width)
        after = ((height - first) // 3 + 1, (width - first) // 3 + 1)
        second = min(3, *after)
        self.encoder = nn.Sequential(
            _init(nn.Conv2d(channels - 1, cnn_channels, first, stride=3)), nn.ReLU(),
            _init(nn.Conv2d(cnn_channels, cnn_channels, second)), nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            conv_out = self.encoder(torch.zeros(1, channels - 1, height, width)).shape[1]
        self.encoder.append(_init(nn.Linear(conv_out, hidden_size // 2)))
        self.encoder.append(nn.ReLU())
        self.centre = (height // 2, width // 2)
        self.self_encoder = nn.Sequential(
            _init(nn.Linear(channels - 1 + self.num_self_features, hidden_size - hidden_size // 2)), nn.ReLU())
        self.project = nn.Identity()

    def initial_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        zeros = torch.zeros(1, batch, self.hidden_size, device=device)
        return zeros, zeros.clone()

    def encode(self, observations: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) uint8 -> (N, hidden) features."""
        x = observations.float() * self.scale
        planes = x[:, :-1]
        self_features = x[:, -1].flatten(1)[:, : self.num_self_features]
        if self.encoder_name == "puffer":  # the agent's own cell joins its self features, as in PufferLib
            self_features = torch.cat([planes[:, :, self.centre[0], self.centre[1]], self_features], dim=1)
        return self.project(torch.cat([self.encoder(planes), self.self_encoder(self_features)], dim=1))

    def forward(self, observations: torch.Tensor, state: State, dones: torch.Tensor):
        steps, batch = observations.shape[:2]
        features = self.encode(observations.reshape(steps * batch, *observations.shape[2:]))
        features = features.reshape(steps, batch, -1)
        h, c = state
        # The LSTM runs in one call per stretch without episode starts; memories are zeroed where one begins.
        starts = [0] + [t for t in range(1, steps) if bool(dones[t].any())] + [steps]
        outputs = []
        for begin, end in zip(starts[:-1], starts[1:]):
            keep = (1.0 - dones[begin]).view(1, batch, 1)
            out, (h, c) = self.lstm(features[begin:end], (h * keep, c * keep))
            outputs.append(out)
        hidden = torch.cat(outputs)
        # float32 out whatever autocast computed in, so sampling and the losses keep full precision
        return self.actor(hidden).float(), self.critic(hidden).squeeze(-1).float(), (h, c)

    def step(self, observations: torch.Tensor, state: State, dones: torch.Tensor,
             actions: torch.Tensor | None = None, deterministic: bool = False):
        """One step for a batch (B, C, H, W): returns actions, log-probs, entropy, values (each (B,)), new state."""
        logits, values, state = self.forward(observations.unsqueeze(0), state, dones.unsqueeze(0))
        distribution = Categorical(logits=logits[0])
        if actions is None:
            actions = logits[0].argmax(-1) if deterministic else distribution.sample()
        return actions, distribution.log_prob(actions), distribution.entropy(), values[0], state


def make_policy(game, hidden_size: int, encoder: str = "cnn") -> Policy:
    """A Policy sized for a :class:`gridenv.Game`, or for an env made from one (VecEnv, ParallelEnv: its ``game``)."""
    game = getattr(game, "game", game)
    return Policy(game.observation_space.high, game.action_space.n, len(game.self_feature_names), hidden_size,
                  encoder)
