"""Batched environments: many worlds stepped in C++ across threads, all agents of all worlds in one batch.

``gridenv.vector.make("arena", num_envs=64, num_threads=2, seed=0)`` returns a :class:`VecEnv`. Its arrays are
allocated once and written in place by the engine (no per-step allocation or copy); ``step`` returns views of them,
so copy what you keep across steps. Agent ``i`` of world ``w`` is row ``w * agents_per_env + i``.

=====================  ===========================  =======================================================
array                  shape, dtype                 meaning
=====================  ===========================  =======================================================
``observations``       (N*A, C, H, W) uint8         current observations
``actions``            (N*A,) int32                 what ``step`` reads (``step(actions)`` copies into it)
``rewards``            (N*A,) float32               this step's rewards (after kinship mixing)
``terminals``          (N*A,) bool                  agent reached the goal (stays set until its world resets)
``truncations``        (N*A,) bool                  the world hit ``max_steps`` this step
``episode_done``       (N,) bool                    the world's episode ended this step (and it was reset)
``final_observations`` (N*A, C, H, W) uint8         last observation of the episode, for worlds done this step
``episode_stats``      (N*A, S) float32             per-agent episode stats (``stat_names``), for those worlds
``action_mask``        (N*A, num_actions) uint8     optional: 1 where an action can take effect now
=====================  ===========================  =======================================================

Auto-reset is **same-step**: when a world's episode ends, the engine resets it inside the same ``step``; rewards,
terminals and truncations describe the ending step, ``observations`` already show the new episode, and
``final_observations`` / ``episode_stats`` keep the end of the old one. The new episode's seed comes from the world's
own RNG, so everything stays determined by the seed given to ``reset``.

Seeding: world ``w`` of ``reset(seed=s)`` plays exactly like ``gridenv.parallel_env(...).reset(seed=s + w)``, with the
same actions, for all its episodes, whatever ``num_threads``.

Asynchronous use: ``send(actions)`` starts a step and returns at once; ``recv()`` waits for it. Two VecEnvs let a
trainer step one half of its worlds while the policy computes actions for the other half.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium
import numpy as np

from gridenv import _core
from gridenv.config import EnvConfig
from gridenv.envs import resolve_config
from gridenv.game import Game, game_of
from gridenv.parallel_env import world_seed


MAX_ENVS = 1 << 20  # worlds in one VecEnv; memory runs out long before, but the engine's indices stay in range
MAX_THREADS = 1024


class VecEnv:
    """N worlds of one config, stepped together in C++ (see the module docstring for the arrays)."""

    def __init__(self, config: EnvConfig, num_envs: int = 1, num_threads: int = 1, action_mask: bool = False,
                 observations: np.ndarray | None = None, game: Game | None = None):
        """`observations`: optionally, the (N*A, C, H, W) uint8 C-contiguous array the engine writes observations
        into — e.g. ``torch.empty(..., dtype=torch.uint8).pin_memory().numpy()``, so a trainer's host->GPU copy
        starts from pinned memory with no extra host copy. By default the VecEnv allocates it. `game`: the config's
        :class:`~gridenv.game.Game` when the caller already has one (all worlds share it); by default one is made."""
        for name, value, limit in (("num_envs", num_envs, MAX_ENVS), ("num_threads", num_threads, MAX_THREADS)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= limit:
                raise ValueError(f"{name}: expected an int in [1, {limit:,}], got {value!r}")
        num_envs, num_threads = int(num_envs), int(num_threads)
        self.config = config
        self.game = game_of(config, game)
        self.core = _core.VecWorld(self.game.core, num_envs, num_threads)
        self.num_envs = num_envs
        self.num_threads = self.core.num_threads
        self.agents_per_env = self.core.agents_per_env
        self.num_agents = num_envs * self.agents_per_env
        self.stat_names: list[str] = self.game.stat_names
        self.action_names: list[str] = self.game.action_names
        self.channel_names: list[str] = self.game.channel_names
        self.self_feature_names: list[str] = self.game.self_feature_names
        c, h, w = self.game.observation_shape
        self.single_observation_space = copy.deepcopy(self.game.observation_space)  # this env's own (seeding)
        self.single_action_space = copy.deepcopy(self.game.action_space)
        n = self.num_agents
        # Owned here, written in place by the engine (cpp/vec_world.hpp).
        if observations is None:
            observations = np.zeros((n, c, h, w), dtype=np.uint8)
        elif (not isinstance(observations, np.ndarray) or observations.dtype != np.uint8
              or observations.shape != (n, c, h, w) or not observations.flags.c_contiguous
              or not observations.flags.writeable):
            raise ValueError(f"observations: expected a writeable C-contiguous uint8 array of shape {(n, c, h, w)}, "
                             f"got {getattr(observations, 'dtype', type(observations))} "
                             f"{getattr(observations, 'shape', '')}")
        self.observations = observations
        self.actions = np.zeros(n, dtype=np.int32)
        self.rewards = np.zeros(n, dtype=np.float32)
        self.terminals = np.zeros(n, dtype=bool)
        self.truncations = np.zeros(n, dtype=bool)
        self.final_observations = np.zeros_like(self.observations)
        self.episode_done = np.zeros(num_envs, dtype=bool)
        self.episode_stats = np.zeros((n, len(self.stat_names)), dtype=np.float32)
        self.action_mask = np.ones((n, self.single_action_space.n), dtype=np.uint8) if action_mask else None
        self.core.bind_buffers(self.observations, self.actions, self.rewards, self.terminals, self.truncations,
                               self.final_observations, self.episode_done, self.episode_stats, self.action_mask)
        self._seed_source: np.random.Generator | None = None
        self._in_flight = False
        self._was_reset = False
        self._closed = False

    def reset(self, seed: int | list[int] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every world: world ``w`` from ``seed + w``, or from ``seed[w]`` given one seed per world (as
        Gymnasium's vector envs take them; each world then starts as a ParallelEnv reset with that seed would), or
        from a fresh random seed without one."""
        self._check_open("reset")
        if self._in_flight:
            raise RuntimeError("reset() while a step is in flight: call recv() first")
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs or not all(isinstance(s, (int, np.integer)) for s in seed):
                raise ValueError(f"seed: expected an int or a list of {self.num_envs} ints (one per world), got {seed!r}")
            seeds = [world_seed(int(s)) for s in seed]
        else:
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
                raise ValueError(f"seed: expected an int, a list of {self.num_envs} ints or None, got {seed!r}")
            if seed is None:
                if self._seed_source is None:
                    self._seed_source = np.random.default_rng()
                seed = int(self._seed_source.integers(0, 2**62))
            seeds = [world_seed(int(seed) + w) for w in range(self.num_envs)]
        self.core.reset(seeds)
        self._was_reset = True
        return self.observations, self._infos()

    def save_state(self) -> bytes:
        """Every world's whole state as bytes (the engine's ``save_state``): ``load_state`` continues from it exactly,
        here or in another VecEnv of the same config and ``num_envs``, in this process or another (exact resume)."""
        if self._in_flight:
            raise RuntimeError("save_state() while a step is in flight: call recv() first")
        return self.core.save_state()

    def load_state(self, state: bytes) -> tuple[np.ndarray, dict[str, Any]]:
        """Continue every world from ``save_state()`` bytes; returns (observations, infos) like ``reset``. Bytes from
        other rules or another number of worlds, or damaged ones, raise ValueError."""
        self._check_open("load_state")
        if self._in_flight:
            raise RuntimeError("load_state() while a step is in flight: call recv() first")
        self.core.load_state(state)
        self._was_reset = True
        return self.observations, self._infos()

    def _write_actions(self, actions: np.ndarray | None) -> None:
        if actions is None or actions is self.actions:
            return
        actions = np.asarray(actions)
        if actions.shape not in ((self.num_agents,), (self.num_envs, self.agents_per_env)):
            raise ValueError(f"actions: expected shape ({self.num_agents},) or ({self.num_envs}, "
                             f"{self.agents_per_env}), got {actions.shape}")
        if actions.dtype.kind not in "iu":
            raise ValueError(f"actions: expected an integer array, got dtype {actions.dtype}")
        if actions.dtype != np.int32 and actions.size:  # check before narrowing, so no value wraps into range
            low, high = int(actions.min()), int(actions.max())
            if low < 0 or high >= self.single_action_space.n:
                bad = low if low < 0 else high
                raise ValueError(f"actions: must be in [0, {self.single_action_space.n - 1}], got {bad}")
        np.copyto(self.actions, actions.reshape(-1), casting="unsafe")

    def send(self, actions: np.ndarray | None = None) -> None:
        """Start a step with `actions` ((N*A,) or (N, A) integers; None: whatever is in ``self.actions``).

        The worker threads (``num_threads - 1`` of them) step the worlds while the caller goes on; with
        ``num_threads=1`` there are none, so the whole step runs inside :meth:`recv` and nothing overlaps."""
        self._check_open("send")
        if not self._was_reset:
            raise RuntimeError("send()/step() before reset(): call reset(seed=...) first")
        if self._in_flight:
            raise RuntimeError("send() while a step is in flight: call recv() first")
        self._write_actions(actions)
        self.core.send()
        self._in_flight = True

    def recv(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Wait for the step started by ``send``; returns (observations, rewards, terminals, truncations, infos)."""
        if not self._in_flight:
            raise RuntimeError("recv() without send()")
        self._in_flight = False
        self.core.recv()
        return self.observations, self.rewards, self.terminals, self.truncations, self._infos()

    def step(self, actions: np.ndarray | None = None):
        """``send(actions)`` then ``recv()``."""
        self.send(actions)
        return self.recv()

    def _infos(self) -> dict[str, Any]:
        return {"episode_done": self.episode_done, "episode_stats": self.episode_stats,
                "final_observations": self.final_observations, "action_mask": self.action_mask}

    def finished_episode_stats(self) -> dict[str, float]:
        """Mean over the agents of worlds whose episode ended this step of each stat (empty if none ended)."""
        if not self.episode_done.any():
            return {}
        rows = np.repeat(self.episode_done, self.agents_per_env)
        means = self.episode_stats[rows].mean(axis=0)
        return dict(zip(self.stat_names, means.tolist()))

    def close(self) -> None:
        """Finish a step in flight; the VecEnv then refuses reset, step and load_state (closing twice is fine)."""
        if self._in_flight:
            self.recv()
        self._closed = True

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise RuntimeError(f"{method}() on a closed VecEnv")

    def __enter__(self) -> VecEnv:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make(name_or_config: str | EnvConfig | dict = "arena", num_envs: int = 1, num_threads: int = 1,
         seed: int | None = None, action_mask: bool = False, observations: np.ndarray | None = None,
         **overrides: Any) -> VecEnv:
    """A :class:`VecEnv` of a registered name or config, reset with `seed` when one is given."""
    env = VecEnv(resolve_config(name_or_config, **overrides), num_envs=num_envs, num_threads=num_threads,
                 action_mask=action_mask, observations=observations)
    if seed is not None:
        env.reset(seed=seed)
    return env


class GymVectorEnv(gymnasium.vector.VectorEnv):
    """A single-agent config as a Gymnasium ``VectorEnv`` (same-step autoreset), backed by :class:`VecEnv`.

    The infos of a step in which episodes ended follow ``gymnasium.vector.SyncVectorEnv`` with
    ``autoreset_mode=SAME_STEP`` over :class:`gridenv.SingleAgentEnv` copies: ``final_obs`` is an object array holding
    each finished env's last observation (None elsewhere), ``final_info`` holds that env's last-step info, i.e.
    ``{"episode": {"r", "l", and gridenv's stats}}`` (zeros elsewhere), each key with its ``_key`` mask. gridenv's
    stats are also at the top level, in ``episode_stats`` / ``_episode_stats``; ``episode`` is left to
    ``gymnasium.wrappers.vector.RecordEpisodeStatistics``."""

    metadata = {"autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, name_or_config: str | EnvConfig | dict = "navigation", num_envs: int = 1,
                 num_threads: int = 1, **overrides: Any):
        self._vec = VecEnv(resolve_config(name_or_config, **overrides), num_envs=num_envs, num_threads=num_threads)
        if self._vec.agents_per_env != 1:
            raise ValueError(f"GymVectorEnv: {self._vec.config.full_name} has {self._vec.agents_per_env} agents "
                             "per world; use gridenv.vector.VecEnv for multi-agent configs")
        self.num_envs = num_envs
        self.single_observation_space = self._vec.single_observation_space
        self.single_action_space = self._vec.single_action_space
        self.observation_space = gymnasium.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, num_envs)
        self._episode_lengths = np.zeros(num_envs, dtype=np.int64)  # for final_info["episode"]["l"]

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        """Reset every env; `seed` is an int (env w from seed + w) or one seed per env. Partial resets
        (``options["reset_mask"]``) belong to next-step autoreset; this view resets on the same step."""
        if options and "reset_mask" in options:
            raise ValueError("options['reset_mask']: partial resets are for next-step autoreset; this env resets "
                             "each env on the step its episode ends (AutoresetMode.SAME_STEP)")
        observations, _ = self._vec.reset(seed=seed)
        self._episode_lengths[:] = 0
        return observations.copy(), {}

    def step(self, actions):
        observations, rewards, terminals, truncations, _ = self._vec.step(np.asarray(actions))
        self._episode_lengths += 1
        infos: dict[str, Any] = {}
        if self._vec.episode_done.any():
            infos = self._final_infos(self._vec.episode_done.copy())
        return observations.copy(), rewards.copy(), terminals.copy(), truncations.copy(), infos

    def _final_infos(self, done: np.ndarray) -> dict[str, Any]:
        vec = self._vec
        final_obs = np.full(self.num_envs, None, dtype=object)  # as SyncVectorEnv: one array per finished env
        for w in np.flatnonzero(done):
            final_obs[w] = vec.final_observations[w].copy()
        stats = np.where(done[:, None], vec.episode_stats, 0.0)  # the rows of unfinished envs are stale: zero them
        episode: dict[str, Any] = {"r": stats[:, vec.stat_names.index("reward")].astype(np.float64),
                                   "l": np.where(done, self._episode_lengths, 0)}
        episode.update((name, stats[:, i].astype(np.float64)) for i, name in enumerate(vec.stat_names))
        self._episode_lengths[done] = 0
        # Every key gets its own "_key" mask (its own array, as from SyncVectorEnv, so editing one edits no other).
        episode.update({f"_{key}": done.copy() for key in list(episode)})
        return {"final_obs": final_obs, "_final_obs": done.copy(),
                "final_info": {"episode": episode, "_episode": done.copy()}, "_final_info": done.copy(),
                # "episode" is left to Gymnasium's RecordEpisodeStatistics (r, l, t); gridenv's stats get their own key.
                "episode_stats": {name: stats[:, i].astype(np.float32) for i, name in enumerate(vec.stat_names)},
                "_episode_stats": done}
