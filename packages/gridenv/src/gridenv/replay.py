"""Replays: one episode as a compressed, versioned JSON document (``.json.z``), and the tools around it.

    recorder = ReplayRecorder(env, policy="random")     # env: a GridParallelEnv, reset with a seed
    ...                                                  # after every env.step(actions): recorder.record_step(actions)
    recorder.write("episode.json.z")
    env = RecordReplay(gridenv.parallel_env("arena"), "replays/ep-{episode}.json.z")   # or the wrapper
    replay = load_replay("episode.json.z")               # validated; replay.frame(t), replay.iter_frames()
    check_resimulation(replay)                           # re-runs config + seed + actions, compares every field

The format is documented in docs/replays.md. Frames are numbered by the world's step count: frame 0 is the world
right after ``reset(seed)``, frame t the world after step t (t = 1 ... T); step t takes frame t-1 to frame t, with
``actions[t-1]``. The static map is stored once; everything else as changes, each record tagged with the frame where
its new value first holds.

Replays are untrusted input: ``load_replay`` bounds the compressed and decompressed sizes, checks the format name,
the version, every field's type and every index, and refuses a damaged file naming it. Nothing in a replay is
executed or imported; the config goes through ``EnvConfig`` validation like any config file.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gridenv.atomic_file import write_atomic

FORMAT = "gridenv-replay"
VERSION = 1
SUFFIX = ".json.z"
ORIENTATIONS = ["north", "south", "west", "east"]
AGENT_FIELDS_FIXED = ["row", "col", "orientation", "on_grid", "body", "glyph", "shield", "frozen_until"]
"""Per-agent integer fields, in this order, followed by one ``inventory_<resource>`` per resource (energy first).
``glyph`` is glyph + 1 (0 none); ``frozen_until`` is the frame at which the agent thaws (frozen steps left at frame t:
max(0, frozen_until - t)); ``body`` is the body index (the group's own, or its posture body)."""

MAX_COMPRESSED_BYTES = 256 * 2**20
MAX_JSON_BYTES = 1024 * 2**20
MAX_AGENTS = 4096
MAX_STEPS = 10_000_000
MAX_SIDE = 4096
_ZLIB_LEVEL = 6


class ReplayError(ValueError):
    """A replay file that cannot be read: the message names the file and what is wrong with it."""


def _float32_json(values: np.ndarray) -> list[float]:
    """float32 values as the shortest decimals that read back as the same float32 (numpy's float32 repr)."""
    return [float(np.format_float_positional(v, unique=True, trim="-")) for v in np.asarray(values, np.float32)]


def engine_fingerprint(env) -> dict[str, Any]:
    """What identifies the engine and rules that produced an episode: gridenv's version, and the head of a saved
    world state (magic, state format, sizes, the engine's digest of every rule), as the engine itself checks it."""
    import gridenv

    head = env.world.save_state()[:48]
    out: dict[str, Any] = {"gridenv_version": gridenv.__version__}
    if head[:7] == b"GRIDENV" and len(head) == 48:
        sizes = np.frombuffer(head[8:40], "<i4").tolist()
        out.update({"state_format": head[7], "sizes": dict(zip(
            ["agents", "height", "width", "resources", "actions", "channels", "converter_kinds", "stats"], sizes)),
            "rules_digest": head[40:48][::-1].hex()})
    return out


# --------------------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------------------

def _unwrap_grid_env(env):
    """The GridParallelEnv inside a PettingZoo/Gymnasium wrapper chain (or the env itself)."""
    from gridenv.parallel_env import GridParallelEnv

    seen = 0
    while not isinstance(env, GridParallelEnv):
        seen += 1
        inner = None
        for attribute in ("unwrapped_parallel", "env", "par_env", "aec_env", "_env", "unwrapped"):
            candidate = getattr(env, attribute, None)
            if callable(candidate) and attribute == "unwrapped_parallel":
                candidate = candidate()
            if candidate is not None and candidate is not env:
                inner = candidate
                break
        if inner is None or seen > 32:
            raise ValueError(f"replay: expected a gridenv env (a GridParallelEnv or a wrapper around one), got "
                             f"{type(env).__name__}")
        env = inner
    return env


# The change streams: per stream, its columns (after the implicit frame); see docs/replays.md.
STREAMS = {
    "agent_changes": ("agent", "field", "value"),
    "converter_changes": ("converter", "ready_at", "uses"),
    "tile_changes": ("row", "col", "tile"),
    "marker_changes": ("row", "col", "marker"),
    "kinship_changes": ("agent", "other", "weight"),
    "rewards": ("agent", "raw", "shared"),
}
_FLOAT_COLUMNS = {("kinship_changes", "weight"), ("rewards", "raw"), ("rewards", "shared")}


class _Stream:
    """One change stream being recorded: per step a count, and the records' columns."""

    def __init__(self, name: str):
        self.name = name
        self.counts: list[int] = []
        self.chunks: list[np.ndarray] = []  # (n, columns) per step with changes

    def add(self, records: np.ndarray | None) -> None:
        if records is None or not len(records):
            self.counts.append(0)
            self.last = None
        else:
            self.counts.append(len(records))
            self.chunks.append(records)
            self.last = records

    last: np.ndarray | None = None

    def last_columns(self) -> dict[str, list]:
        """The last step's records, in the document's layout (per_step holds one count)."""
        names = STREAMS[self.name]
        table = self.last if self.last is not None else np.zeros((0, len(names)))
        out: dict[str, list] = {"per_step": [len(table)]}
        for i, column in enumerate(names):
            out[column] = _float32_json(table[:, i]) if (self.name, column) in _FLOAT_COLUMNS else \
                table[:, i].astype(np.int64).tolist()
        return out

    def columns(self) -> dict[str, list]:
        names = STREAMS[self.name]
        table = np.concatenate(self.chunks) if self.chunks else np.zeros((0, len(names)))
        out: dict[str, list] = {"per_step": self.counts}
        for i, column in enumerate(names):
            out[column] = _float32_json(table[:, i]) if (self.name, column) in _FLOAT_COLUMNS else \
                table[:, i].astype(np.int64).tolist()
        return out


class ReplayRecorder:
    """Records the episode a GridParallelEnv is playing, frame by frame, as changes against the previous frame.

    Create it right after ``env.reset(seed=S)`` (pass S as ``seed``), call ``record_step(actions)`` after every
    ``env.step``, then ``document()`` or ``write(path)``. ``actions`` is one action per agent (an array of
    ``num_agents`` ints, or the dict given to ``env.step``); agents not in the episode any more record -1.

    Cost: about 0.1-0.2 ms a step for 24 agents. What only some actions change is read only after a step in which
    one of them succeeded: converters after a ``use``, walls after ``build``/``destroy``, kinship after a ``bond``
    attempt (the re-simulation test compares every field at every frame with the live world, so a missed change would
    fail it)."""

    def __init__(self, env, seed: int, policy: str = "", recorded_by: str = "gridenv.replay"):
        from gridenv.config import parse_action

        self.env = _unwrap_grid_env(env)
        env = self.env
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed: a replay re-simulates from its seed, so it must be the int given to "
                             f"env.reset(seed=...), got {seed!r}")
        world = env.world
        if world.step_count != 0:
            raise ValueError(f"ReplayRecorder: create it right after env.reset(seed=...); the world is at step "
                             f"{world.step_count}")
        self.seed = int(seed)
        self.policy = str(policy)
        self.recorded_by = str(recorded_by)
        self.num_agents = world.num_agents
        self.resources = list(env.config.game.resources)
        self._success_index = env.self_feature_names.index("last_action_succeeded")
        kinds = [parse_action(name) for name in env.action_names]
        self._marker_of_action = np.array([arg if kind == "marker" else -1 for kind, arg in kinds] + [-1], np.int64)
        self._is_use = np.array([kind == "use" for kind, _ in kinds] + [False])
        self._is_wall = np.array([kind in ("build", "destroy") for kind, _ in kinds] + [False])
        self._is_bond = np.array([kind == "bond" for kind, _ in kinds] + [False])
        self._marker_duration = int(env.config.game.marker_duration)
        self._agent_names = {name: i for i, name in enumerate(env.possible_agents)}
        self.engine = engine_fingerprint(env)

        self._num_converters = len(world.converter_states())
        self._agents = self._agent_state(np.zeros(self.num_agents, np.int64), 0)
        self._converters = self._converter_state(np.zeros(self._num_converters, np.int64), 0)
        self._tiles = self._static_tiles()
        self._kinship = np.asarray(world.kinship_matrix(), np.float32)
        self._markers = np.zeros(self._tiles.shape, np.int64)
        self._marker_expiry = np.zeros(self._tiles.shape, np.int64)
        self.initial = {
            "agents": self._agents.tolist(),
            "converters": [[int(r), int(c), int(k), int(ready), int(uses)] for (r, c, k, _, _), (ready, uses) in
                           zip(world.converter_states(), self._converters.tolist())],
            "tiles": self._tiles.ravel().tolist(),
            "kinship": [_float32_json(row) for row in self._kinship],
        }
        self.groups = [int(g) for g in env.game.agent_groups]
        self.recipe_of_kind = [int(k) for k in world.recipe_of_kind]
        self._actions: list[np.ndarray] = []
        self._success: list[np.ndarray] = []
        self._order: list[np.ndarray] = []
        self.streams = {name: _Stream(name) for name in STREAMS}

    # The world's state in the replay's terms ------------------------------------------------------------------------
    def _agent_state(self, previous_frozen_until: np.ndarray, frame: int) -> np.ndarray:
        world = self.world
        positions = world.agent_positions().astype(np.int64)
        states = world.agent_states().astype(np.int64)
        on_grid = world.agents_on_grid().astype(np.int64)
        inventories = world.inventories().astype(np.int64)
        left = states[:, 3]
        frozen_until = np.where(left > 0, frame + left, np.minimum(previous_frozen_until, frame))
        return np.concatenate([positions, on_grid[:, None], states[:, 0:3], frozen_until[:, None], inventories],
                              axis=1)

    def _converter_state(self, previous_ready: np.ndarray, frame: int) -> np.ndarray:
        states = self.world.converter_states().astype(np.int64)
        left = states[:, 3]
        ready = np.where(left > 0, frame + left, np.minimum(previous_ready, frame))
        return np.stack([ready, states[:, 4]], axis=1)

    def _static_tiles(self) -> np.ndarray:
        world = self.world
        tiles = np.empty((world.height, world.width), np.uint8)
        world.fill_map_codes(tiles)
        tiles[tiles == 2] = 0  # agents are stored apart; the map keeps walls, floor and converters
        return tiles.astype(np.int64)

    @property
    def world(self):
        return self.env.world

    @property
    def num_steps(self) -> int:
        return len(self._actions)

    # Recording --------------------------------------------------------------------------------------------------------
    def _action_row(self, actions) -> np.ndarray:
        row = np.full(self.num_agents, -1, np.int64)
        if isinstance(actions, dict):
            for agent, action in actions.items():
                row[self._agent_names[agent]] = int(action)
        else:
            given = np.asarray(actions).reshape(-1)
            if given.shape[0] != self.num_agents:
                raise ValueError(f"record_step: expected {self.num_agents} actions (one per agent), got "
                                 f"{given.shape[0]}")
            row[:] = given
        return row

    def record_step(self, actions) -> None:
        """Record the step the env just took with ``actions``; call it after every ``env.step``."""
        world, env = self.world, self.env
        frame = world.step_count
        if frame != self.num_steps + 1:
            raise ValueError(f"record_step: the world is at step {frame}, but {self.num_steps} steps were recorded; "
                             f"call record_step once after every env.step")
        row = self._action_row(actions)
        row[self._agents[:, 3] == 0] = -1  # agents that had left did not act
        success = env._observations[:, -1].reshape(self.num_agents, -1)[:, self._success_index].astype(np.int64)
        success[row < 0] = 0
        self._actions.append(row)
        self._success.append(success)
        self._order.append(world.action_order.astype(np.int64))
        succeeded = row[success.astype(bool)]
        streams = self.streams

        agents = self._agent_state(self._agents[:, 7], frame)
        who, field = np.nonzero(agents != self._agents)
        streams["agent_changes"].add(np.stack([who, field, agents[who, field]], axis=1) if who.size else None)
        self._agents = agents

        records = None
        if self._is_use[succeeded].any():
            converters = self._converter_state(self._converters[:, 0], frame)
            changed = np.nonzero((converters != self._converters).any(axis=1))[0]
            if changed.size:
                records = np.stack([changed, converters[changed, 0], converters[changed, 1]], axis=1)
            self._converters = converters
        streams["converter_changes"].add(records)

        records = None
        if self._is_wall[succeeded].any():
            tiles = self._static_tiles()
            rows, cols = np.nonzero(tiles != self._tiles)
            if rows.size:
                records = np.stack([rows, cols, tiles[rows, cols]], axis=1)
            self._tiles = tiles
        streams["tile_changes"].add(records)

        streams["marker_changes"].add(self._record_markers(frame, row, success, agents))

        records = None
        if self._is_bond[row].any():
            kinship = np.asarray(world.kinship_matrix(), np.float32)
            rows, cols = np.nonzero(kinship != self._kinship)
            if rows.size:
                records = np.stack([rows, cols, kinship[rows, cols]], axis=1)
            self._kinship = kinship
        streams["kinship_changes"].add(records)

        raw = np.asarray(world.raw_rewards, np.float32)
        shared = env._rewards
        who = np.nonzero((raw != 0) | (shared != 0))[0]
        streams["rewards"].add(np.stack([who, raw[who], shared[who]], axis=1) if who.size else None)

    def _record_markers(self, frame: int, actions: np.ndarray, success: np.ndarray, agents: np.ndarray):
        """The floor markers, derived exactly as the engine keeps them (it exposes no marker accessor): a successful
        ``marker_k`` in step t marks the agent's cell with k + 1 in frames t ... t + marker_duration - 1."""
        dropped = np.nonzero(success.astype(bool) & (self._marker_of_action[actions] >= 0))[0]
        expiring = self._markers_live and self._marker_expiry_min <= frame
        if not dropped.size and not expiring:
            return None
        before = self._markers.copy()
        for agent in dropped:
            r, c = int(agents[agent, 0]), int(agents[agent, 1])
            self._markers[r, c] = self._marker_of_action[actions[agent]] + 1
            self._marker_expiry[r, c] = frame + self._marker_duration
        self._markers[(self._marker_expiry <= frame) & (self._markers > 0)] = 0
        live = self._markers > 0
        self._markers_live = bool(live.any())
        self._marker_expiry_min = int(self._marker_expiry[live].min()) if self._markers_live else 0
        rows, cols = np.nonzero(before != self._markers)
        return np.stack([rows, cols, self._markers[rows, cols]], axis=1) if rows.size else None

    _markers_live = False
    _marker_expiry_min = 0

    def markers(self) -> np.ndarray:
        """The marker layer (height, width) at the current frame: marker kind + 1, 0 none."""
        return self._markers.copy()

    # Output -----------------------------------------------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        """The replay as a JSON-ready dict (see docs/replays.md)."""
        env, world = self.env, self.world
        config = env.config
        dense = lambda rows: (np.stack(rows).reshape(-1).tolist() if rows else [])  # noqa: E731
        converters = list(config.game.converters)
        return {
            "format": FORMAT,
            "version": VERSION,
            "engine": self.engine,
            "recorded_by": self.recorded_by,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "env": config.full_name,
            "config": config.to_dict(),
            "seed": self.seed,
            "policy": self.policy,
            "num_agents": self.num_agents,
            "num_steps": self.num_steps,
            "episode_over": bool(world.episode_over or world.step_count >= config.game.max_steps
                                 or not any(world.agents_on_grid())),
            "height": world.height,
            "width": world.width,
            "obs_height": config.game.obs_height,
            "obs_width": config.game.obs_width,
            "marker_duration": self._marker_duration,
            "names": {
                "agents": list(env.possible_agents),
                "actions": list(env.action_names),
                "resources": self.resources,
                "converters": converters,
                "converter_symbols": [c.symbol for c in config.game.converters.values()],
                "tiles": ["empty", "wall", "agent"] + converters,
                "orientations": ORIENTATIONS,
                "agent_fields": AGENT_FIELDS_FIXED + [f"inventory_{r}" for r in self.resources],
                "groups": [group.name for group in config.game.groups],
                "stats": list(env.stat_names),
            },
            "groups": self.groups,
            "recipe_of_kind": self.recipe_of_kind,
            "initial": self.initial,
            "steps": {
                "actions": dense(self._actions),
                "action_success": dense(self._success),
                "action_order": dense(self._order),
                **{name: stream.columns() for name, stream in self.streams.items()},
            },
            "episode_stats": [[float(v) for v in row] for row in world.stats()],
        }

    def write(self, path: str | Path) -> Path:
        """Write the replay (zlib-compressed JSON), atomically; returns the path."""
        return write_replay(self.document(), path)

    def last_step(self) -> dict[str, Any]:
        """The last recorded step in the layout of the document's ``steps`` (one step): what play mode streams."""
        if not self._actions:
            raise ValueError("last_step: no step recorded yet")
        return {"actions": self._actions[-1].tolist(), "action_success": self._success[-1].tolist(),
                "action_order": self._order[-1].tolist(),
                **{name: stream.last_columns() for name, stream in self.streams.items()}}


def encode_replay(document: dict[str, Any], level: int = _ZLIB_LEVEL) -> bytes:
    text = json.dumps(document, separators=(",", ":"), allow_nan=False)
    return zlib.compress(text.encode("utf-8"), level)


def write_replay(document: dict[str, Any], path: str | Path) -> Path:
    return write_atomic(path, encode_replay(document))


# --------------------------------------------------------------------------------------------------------------------
# Recording whole episodes, and the recording wrapper
# --------------------------------------------------------------------------------------------------------------------

class RandomPolicy:
    """Uniformly random actions (the policy protocol of gridenv-train and gridenv-evals: initial_state, act)."""

    def __init__(self, num_actions: int, seed: int = 0):
        self.num_actions = num_actions
        self.rng = np.random.default_rng(seed)

    def initial_state(self, batch: int) -> None:
        return None

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray | None = None):
        return self.rng.integers(0, self.num_actions, len(observations), dtype=np.int32), state


def load_policy_uri(uri: str | None, env, seed: int = 0):
    """A policy for ``env`` from a URI: ``random`` / ``random?seed=S`` (built in; also when ``uri`` is None), or any
    URI gridenv-evals understands (``baseline://NAME``, ``sb3://PATH.zip``, ``py://module:factory``, a gridenv-train
    checkpoint path or run directory) when gridenv-evals (or, for checkpoints, gridenv-train) is installed."""
    env = _unwrap_grid_env(env)
    num_actions = env.world.num_actions
    if uri is None or uri.split("?")[0] == "random":
        query = uri.partition("?")[2] if uri else ""
        fields = dict(part.partition("=")[::2] for part in query.split("&") if part)
        try:
            return RandomPolicy(num_actions, int(fields.get("seed", seed)))
        except ValueError:
            raise ValueError(f"policy {uri!r}: expected random or random?seed=INT") from None
    shape = tuple(env.observation_space(env.possible_agents[0]).shape)
    try:
        from gridenv_evals.policies import TaskSpec, load_policy
    except ImportError:
        load_policy = None
    if load_policy is not None:
        return load_policy(uri, TaskSpec(shape, tuple(env.action_names)), seed=seed)
    try:
        from gridenv_train.policy_api import load_policy as load_checkpoint_policy
    except ImportError:
        raise ValueError(f"policy {uri!r}: only random is built into gridenv; install gridenv-evals (or "
                         f"gridenv-train for checkpoints) to play other policies") from None
    return load_checkpoint_policy(uri, seed=seed)


def record_episode(env_or_config, policy, path: str | Path | None, seed: int = 0, policy_name: str = "",
                   recorded_by: str = "gridenv.replay.record_episode", max_steps: int | None = None
                   ) -> tuple[ReplayRecorder, Path | None]:
    """Play one episode (or ``max_steps`` steps of it) with ``policy`` (``initial_state(n)``, ``act(observations,
    state, dones) -> (actions, state)``) and write its replay to ``path`` (None: do not write)."""
    from gridenv.parallel_env import GridParallelEnv

    env = env_or_config if isinstance(env_or_config, GridParallelEnv) else GridParallelEnv(
        __import__("gridenv").resolve_config(env_or_config))
    observations, _ = env.reset(seed=seed)
    recorder = ReplayRecorder(env, seed=seed, policy=policy_name, recorded_by=recorded_by)
    agents = env.possible_agents
    latest = dict(observations)  # an agent that left keeps its last observation (its action is not used)
    state = policy.initial_state(len(agents))
    while env.agents and (max_steps is None or recorder.num_steps < max_steps):
        actions, state = policy.act(np.stack([latest[a] for a in agents]), state, None)
        step_actions = {a: int(actions[i]) for i, a in enumerate(agents) if a in env.agents}
        observations, *_ = env.step(step_actions)
        latest.update(observations)
        recorder.record_step(step_actions)
    written = recorder.write(path) if path is not None else None
    return recorder, written


class RecordReplay:
    """A PettingZoo ParallelEnv wrapper that records every episode of a gridenv env as a replay.

    ``path`` may hold ``{episode}`` (0, 1, ...); each episode is written when it ends (and the one in progress by
    ``close()`` or ``flush()``). A reset without a seed gets one drawn from the wrapper's own generator (seeded by the
    first seed seen), so every replay re-simulates from its seed."""

    def __init__(self, env, path: str | Path, policy: str = ""):
        self.env = env
        self.grid_env = _unwrap_grid_env(env)
        self.path = str(path)
        self.policy = policy
        self.episode = 0
        self.recorder: ReplayRecorder | None = None
        self.written: list[Path] = []
        self._seeds = np.random.default_rng()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.env, name)

    def reset(self, seed: int | None = None, options: dict | None = None):
        self.flush()
        if seed is None:
            seed = int(self._seeds.integers(0, 2**62))
        else:
            self._seeds = np.random.default_rng(seed)
        result = self.env.reset(seed=seed, options=options)
        self.recorder = ReplayRecorder(self.grid_env, seed=seed, policy=self.policy,
                                       recorded_by="gridenv.replay.RecordReplay")
        return result

    def step(self, actions):
        result = self.env.step(actions)
        if self.recorder is not None and actions:
            self.recorder.record_step(actions)
            if not self.grid_env.agents:
                self.flush()
        return result

    def flush(self) -> Path | None:
        """Write the episode in progress (if it has steps)."""
        recorder, self.recorder = self.recorder, None
        if recorder is None or recorder.num_steps == 0:
            return None
        path = recorder.write(self.path.format(episode=self.episode))
        self.episode += 1
        self.written.append(path)
        return path

    def close(self) -> None:
        self.flush()
        self.env.close()


# --------------------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------------------

@dataclass
class Frame:
    """The world at one frame, as a replay stores it."""

    step: int
    positions: np.ndarray      # (A, 3) row, col, orientation
    on_grid: np.ndarray        # (A,) bool
    body: np.ndarray           # (A,)
    glyph: np.ndarray          # (A,) glyph + 1, 0 none
    shield: np.ndarray         # (A,) 0/1
    frozen: np.ndarray         # (A,) steps still frozen
    inventories: np.ndarray    # (A, R), energy first
    converters: np.ndarray     # (N, 5) row, col, kind, steps until ready, uses
    tiles: np.ndarray          # (H, W) static map: 0 empty, 1 wall, 3 + k converter kind k (agents apart)
    markers: np.ndarray        # (H, W) marker kind + 1, 0 none
    kinship: np.ndarray        # (A, A) float32
    actions: np.ndarray | None       # (A,) the actions of the step that led here (-1: did not act); None at frame 0
    action_success: np.ndarray | None
    raw_rewards: np.ndarray    # (A,) float32, this step's (zeros at frame 0)
    rewards: np.ndarray        # (A,) float32, shared through kinship


class Replay:
    """A validated replay: ``header`` (the document without its arrays), the arrays as numpy, and frames."""

    def __init__(self, document: dict[str, Any], arrays: dict[str, np.ndarray], source: str = "<replay>"):
        self.document = document
        self.source = source
        self.header = {k: v for k, v in document.items() if k not in ("initial", "steps")}
        self.num_agents = int(document["num_agents"])
        self.num_steps = int(document["num_steps"])
        self.height, self.width = int(document["height"]), int(document["width"])
        self.seed = int(document["seed"])
        for name, value in arrays.items():
            setattr(self, name, value)

    @property
    def config(self):
        from gridenv.config import EnvConfig

        return EnvConfig.model_validate(self.document["config"])

    def _frame0(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (self.initial_agents.copy(), self.initial_converters.copy(), self.initial_tiles.copy(),
                np.zeros((self.height, self.width), np.int64), self.initial_kinship.copy())

    def _apply(self, t: int, agents, converters, tiles, markers, kinship) -> None:
        for name, target in (("agent_changes", agents), ("converter_changes", converters), ("tile_changes", tiles),
                             ("marker_changes", markers), ("kinship_changes", kinship)):
            offsets = self.offsets[name]
            if offsets[t] == offsets[t - 1]:
                continue
            chunk = self.streams[name][offsets[t - 1]:offsets[t]]
            if name == "converter_changes":
                target[chunk[:, 0], 3:5] = chunk[:, 1:3]
            elif name == "kinship_changes":
                target[chunk[:, 0].astype(np.int64), chunk[:, 1].astype(np.int64)] = chunk[:, 2]
            else:
                target[chunk[:, 0], chunk[:, 1]] = chunk[:, 2]

    def _make_frame(self, t: int, agents, converters, tiles, markers, kinship) -> Frame:
        raw = np.zeros(self.num_agents, np.float32)
        shared = np.zeros(self.num_agents, np.float32)
        if t > 0:
            offsets = self.offsets["rewards"]
            chunk = self.streams["rewards"][offsets[t - 1]:offsets[t]]
            who = chunk[:, 0].astype(np.int64)
            raw[who], shared[who] = chunk[:, 1], chunk[:, 2]
        conv = converters.copy()
        conv[:, 3] = np.maximum(0, conv[:, 3] - t)
        return Frame(step=t, positions=agents[:, 0:3].copy(), on_grid=agents[:, 3].astype(bool),
                     body=agents[:, 4].copy(), glyph=agents[:, 5].copy(), shield=agents[:, 6].copy(),
                     frozen=np.maximum(0, agents[:, 7] - t), inventories=agents[:, 8:].copy(), converters=conv,
                     tiles=tiles.copy(), markers=markers.copy(), kinship=kinship.copy(),
                     actions=self.actions[t - 1].copy() if t > 0 else None,
                     action_success=self.action_success[t - 1].copy() if t > 0 else None,
                     raw_rewards=raw, rewards=shared)

    def iter_frames(self) -> Iterator[Frame]:
        """Frames 0 ... T in order (each applies one step's changes: cheap)."""
        state = self._frame0()
        yield self._make_frame(0, *state)
        for t in range(1, self.num_steps + 1):
            self._apply(t, *state)
            yield self._make_frame(t, *state)

    def frame(self, t: int) -> Frame:
        """The world at frame t (0 ... num_steps)."""
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t <= self.num_steps:
            raise ValueError(f"frame: expected an int in [0, {self.num_steps}], got {t!r}")
        state = self._frame0()
        for step in range(1, int(t) + 1):
            self._apply(step, *state)
        return self._make_frame(int(t), *state)


def _fail(source: str, message: str):
    raise ReplayError(f"{source}: not a valid gridenv replay: {message}")


def decode_replay(data: bytes, source: str = "<replay>") -> dict[str, Any]:
    """Decompress and parse replay bytes into the JSON document (bounded; no validation beyond JSON)."""
    if len(data) > MAX_COMPRESSED_BYTES:
        _fail(source, f"{len(data)} bytes, more than the {MAX_COMPRESSED_BYTES} a replay may have")
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(data, MAX_JSON_BYTES + 1)
        if len(text) > MAX_JSON_BYTES or inflater.unconsumed_tail:
            _fail(source, f"it decompresses to more than {MAX_JSON_BYTES} bytes")
        if not inflater.eof:
            _fail(source, "the compressed data is truncated")
        if inflater.unused_data:
            _fail(source, f"{len(inflater.unused_data)} bytes of trailing data after the compressed stream")
    except zlib.error as error:
        _fail(source, f"not zlib-compressed data ({error}); replays are .json.z files written by gridenv")
    try:
        document = json.loads(text.decode("utf-8"), parse_constant=lambda name: _fail(source, f"{name} in JSON"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        _fail(source, f"damaged JSON ({error})")
    if not isinstance(document, dict):
        _fail(source, f"the document is a {type(document).__name__}, expected an object")
    return document


def _int(document: dict, key: str, low: int, high: int, source: str) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(source, f"{key}: expected an int in [{low}, {high}], got {str(value)[:50]!r}")
    return value


def _strings(value: Any, where: str, source: str, count: int | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 256 for v in value):
        _fail(source, f"{where}: expected a list of strings")
    if count is not None and len(value) != count:
        _fail(source, f"{where}: {len(value)} entries, expected {count}")
    return value


def _array(value: Any, where: str, source: str, width: int, integer: bool = True) -> np.ndarray:
    """A flat JSON list of numbers as an (n, width) array, checked for type and length."""
    if not isinstance(value, list):
        _fail(source, f"{where}: expected a flat list of numbers, got {type(value).__name__}")
    if len(value) % width:
        _fail(source, f"{where}: {len(value)} numbers, not a multiple of the record size {width}")
    if not value:
        return np.zeros((0, width), np.int64 if integer else np.float64)
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        _fail(source, f"{where}: expected a flat list of numbers")
    if array.ndim != 1 or array.dtype.kind not in ("iu" if integer else "iuf") or \
            any(isinstance(v, bool) for v in value[:1]):
        _fail(source, f"{where}: expected a flat list of {'ints' if integer else 'numbers'}")
    if not integer:
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            _fail(source, f"{where}: not finite")
    elif array.dtype.kind == "u" or np.abs(array).max() > 2**31:
        _fail(source, f"{where}: a value outside the int32 range")
    return array.reshape(-1, width)


def _check_range(array: np.ndarray, column: int, low: float, high: float, where: str, source: str) -> None:
    if len(array) and (array[:, column].min() < low or array[:, column].max() > high):
        _fail(source, f"{where}: a value outside [{low}, {high}]")


def validate_replay(document: dict[str, Any], source: str = "<replay>") -> Replay:
    """Check a decoded replay document field by field and return it as a Replay (raises ReplayError)."""
    if document.get("format") != FORMAT:
        _fail(source, f"format: expected {FORMAT!r}, got {str(document.get('format'))[:50]!r}")
    version = document.get("version")
    if version != VERSION:
        _fail(source, f"version {str(version)[:20]}, this gridenv reads version {VERSION}"
                      + (" (written by a newer gridenv: upgrade)" if isinstance(version, int) and
                         version > VERSION else ""))
    num_agents = _int(document, "num_agents", 1, MAX_AGENTS, source)
    num_steps = _int(document, "num_steps", 0, MAX_STEPS, source)
    height = _int(document, "height", 1, MAX_SIDE, source)
    width = _int(document, "width", 1, MAX_SIDE, source)
    _int(document, "seed", -2**63, 2**63 - 1, source)
    _int(document, "obs_height", 1, 255, source)
    _int(document, "obs_width", 1, 255, source)
    _int(document, "marker_duration", 0, 10**7, source)
    for key in ("env", "policy", "recorded_by"):
        if not isinstance(document.get(key, ""), str):
            _fail(source, f"{key}: expected a string")
    if not isinstance(document.get("config"), dict):
        _fail(source, "config: expected an object")
    names = document.get("names")
    if not isinstance(names, dict):
        _fail(source, "names: expected an object")
    actions_names = _strings(names.get("actions"), "names.actions", source)
    resources = _strings(names.get("resources"), "names.resources", source)
    converters = _strings(names.get("converters"), "names.converters", source)
    _strings(names.get("agents"), "names.agents", source, num_agents)
    _strings(names.get("tiles"), "names.tiles", source, 3 + len(converters))
    fields = _strings(names.get("agent_fields"), "names.agent_fields", source, len(AGENT_FIELDS_FIXED) +
                      len(resources))
    _strings(names.get("converter_symbols"), "names.converter_symbols", source, len(converters))
    _strings(names.get("groups"), "names.groups", source)
    _strings(names.get("stats", []), "names.stats", source)
    _strings(names.get("orientations"), "names.orientations", source, 4)
    if not actions_names or not resources:
        _fail(source, "names: no actions or no resources")
    groups = document.get("groups")
    if not isinstance(groups, list) or len(groups) != num_agents or not all(
            isinstance(g, int) and not isinstance(g, bool) and 0 <= g < 256 for g in groups):
        _fail(source, f"groups: expected {num_agents} ints in [0, 255]")

    initial = document.get("initial")
    steps = document.get("steps")
    if not isinstance(initial, dict) or not isinstance(steps, dict):
        _fail(source, "initial and steps: expected objects")
    num_fields = len(fields)
    agents0 = _array([x for row in initial.get("agents", []) if isinstance(row, list) for x in row]
                     if isinstance(initial.get("agents"), list) else None, "initial.agents", source, num_fields)
    if agents0.shape[0] != num_agents or len(initial["agents"]) != num_agents:
        _fail(source, f"initial.agents: {agents0.shape[0]} agents, expected {num_agents}")
    conv0 = _array([x for row in initial.get("converters", []) if isinstance(row, list) for x in row]
                   if isinstance(initial.get("converters"), list) else None, "initial.converters", source, 5)
    tiles0 = _array(initial.get("tiles"), "initial.tiles", source, width)
    if tiles0.shape != (height, width):
        _fail(source, f"initial.tiles: {tiles0.size} cells, expected {height} x {width}")
    kin0 = _array([x for row in initial.get("kinship", []) if isinstance(row, list) for x in row]
                  if isinstance(initial.get("kinship"), list) else None, "initial.kinship", source, num_agents,
                  integer=False)
    if kin0.shape != (num_agents, num_agents):
        _fail(source, f"initial.kinship: expected {num_agents} x {num_agents} weights")

    num_tiles = 3 + len(converters)
    _check_range(tiles0.reshape(-1, 1), 0, 0, num_tiles - 1, "initial.tiles", source)
    if (tiles0 == 2).any():
        _fail(source, "initial.tiles: agent tiles in the static map")
    for column, low, high, name in ((0, 0, height - 1, "row"), (1, 0, width - 1, "col"), (2, 0, 3, "orientation"),
                                    (3, 0, 1, "on_grid"), (5, 0, 255, "glyph"), (6, 0, 1, "shield")):
        _check_range(agents0, column, low, high, f"initial.agents {name}", source)
    _check_range(conv0, 0, 0, height - 1, "initial.converters row", source)
    _check_range(conv0, 1, 0, width - 1, "initial.converters col", source)
    _check_range(conv0, 2, 0, len(converters) - 1, "initial.converters kind", source)
    if len(kin0) and (kin0.min() < 0 or kin0.max() > 1):
        _fail(source, "initial.kinship: a weight outside [0, 1]")

    arrays: dict[str, Any] = {}
    dense_shape = (num_steps, num_agents)
    for key in ("actions", "action_success", "action_order"):
        array = _array(steps.get(key), f"steps.{key}", source, num_agents) if num_steps else \
            _array(steps.get(key, []), f"steps.{key}", source, num_agents)
        if array.shape != dense_shape:
            _fail(source, f"steps.{key}: {array.size} values, expected {num_steps} x {num_agents}")
        arrays[key] = array.astype(np.int32)
    if len(arrays["actions"]) and (arrays["actions"].min() < -1 or arrays["actions"].max() >= len(actions_names)):
        _fail(source, f"steps.actions: an action outside [-1, {len(actions_names) - 1}]")
    if len(arrays["action_success"]) and (arrays["action_success"].min() < 0 or arrays["action_success"].max() > 1):
        _fail(source, "steps.action_success: a value other than 0 or 1")
    if len(arrays["action_order"]) and (arrays["action_order"].min() < 0 or
                                        arrays["action_order"].max() >= num_agents):
        _fail(source, "steps.action_order: an agent index outside the agents")

    bounds = {  # per stream, per column: (low, high)
        "agent_changes": [(0, num_agents - 1), (0, num_fields - 1), (-2**31, 2**31 - 1)],
        "converter_changes": [(0, len(conv0) - 1), (0, 2**31 - 1), (0, 2**31 - 1)],
        "tile_changes": [(0, height - 1), (0, width - 1), (0, 1)],
        "marker_changes": [(0, height - 1), (0, width - 1), (0, 255)],
        "kinship_changes": [(0, num_agents - 1), (0, num_agents - 1), (0, 1)],
        "rewards": [(0, num_agents - 1), (-1e9, 1e9), (-1e9, 1e9)],
    }
    streams, offsets = {}, {}
    for name, columns in STREAMS.items():
        stream = steps.get(name)
        if not isinstance(stream, dict):
            _fail(source, f"steps.{name}: expected an object with per_step and {', '.join(columns)}")
        counts = _array(stream.get("per_step"), f"steps.{name}.per_step", source, 1).reshape(-1)
        if counts.shape != (num_steps,) or (len(counts) and counts.min() < 0):
            _fail(source, f"steps.{name}.per_step: expected {num_steps} counts >= 0")
        total = int(counts.sum())
        table = []
        for column, (low, high) in zip(columns, bounds[name]):
            is_float = (name, column) in _FLOAT_COLUMNS
            values = _array(stream.get(column), f"steps.{name}.{column}", source, 1, integer=not is_float).reshape(-1)
            if len(values) != total:
                _fail(source, f"steps.{name}.{column}: {len(values)} values, per_step counts {total}")
            if len(values) and (values.min() < low or values.max() > high):
                _fail(source, f"steps.{name}.{column}: a value outside [{low}, {high}]")
            table.append(values)
        dtype = np.float64 if any((name, c) in _FLOAT_COLUMNS for c in columns) else np.int64
        streams[name] = np.stack(table, axis=1).astype(dtype) if total else np.zeros((0, 3), dtype)
        offsets[name] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    arrays["streams"], arrays["offsets"] = streams, offsets
    # Positions written by agent changes must stay on the map, like the initial ones.
    changes = streams["agent_changes"]
    for column, high in ((0, height - 1), (1, width - 1), (2, 3), (3, 1), (6, 1)):
        values = changes[changes[:, 1] == column, 2]
        if len(values) and (values.min() < 0 or values.max() > high):
            _fail(source, f"steps.agent_changes: {fields[column]} outside [0, {high}]")
    arrays.update(initial_agents=agents0.astype(np.int64), initial_converters=np.concatenate(
        [conv0.astype(np.int64)], axis=0), initial_tiles=tiles0.astype(np.int64),
        initial_kinship=kin0.astype(np.float32))
    return Replay(document, arrays, source)


def load_replay(path: str | Path) -> Replay:
    """Read and validate a replay file; a damaged or foreign file raises ReplayError naming it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_COMPRESSED_BYTES:
            _fail(str(path), f"{size} bytes, more than the {MAX_COMPRESSED_BYTES} a replay may have")
        data = path.read_bytes()
    except OSError as error:
        raise ReplayError(f"{path}: cannot read the replay ({error.strerror or error})") from None
    return validate_replay(decode_replay(data, str(path)), str(path))


# --------------------------------------------------------------------------------------------------------------------
# Re-simulation
# --------------------------------------------------------------------------------------------------------------------

def resimulate(replay: Replay) -> Iterator[tuple[Frame, ReplayRecorder]]:
    """Re-run the replay's config from its seed with its actions; yields (stored frame, live recorder) per frame
    (the live world is ``recorder.env``)."""
    from gridenv.parallel_env import GridParallelEnv

    env = GridParallelEnv(replay.config)
    env.reset(seed=replay.seed)
    recorder = ReplayRecorder(env, seed=replay.seed)
    frames = replay.iter_frames()
    yield next(frames), recorder
    for t in range(1, replay.num_steps + 1):
        row = replay.actions[t - 1]
        env.step({agent: int(row[i]) for i, agent in enumerate(env.possible_agents) if agent in env.agents})
        recorder.record_step(row)
        yield next(frames), recorder


def check_resimulation(replay: Replay) -> int:
    """Re-simulate a replay and compare every stored field at every frame; returns the number of frames checked.
    Raises ReplayError at the first difference, naming the frame and the field."""
    engine = replay.document.get("engine", {})
    checked = 0
    for frame, recorder in resimulate(replay):
        if checked == 0 and engine.get("rules_digest") not in (None, recorder.engine.get("rules_digest")):
            raise ReplayError(f"{replay.source}: recorded by an engine with other rules (digest "
                              f"{engine.get('rules_digest')}, this one {recorder.engine.get('rules_digest')})")
        world, env = recorder.world, recorder.env
        t = frame.step
        live = {
            "positions": np.asarray(world.agent_positions()),
            "on_grid": np.asarray(world.agents_on_grid()),
            "body, glyph, shield, frozen": np.asarray(world.agent_states())[:, :4],
            "inventories": np.asarray(world.inventories()),
            "converters": np.asarray(world.converter_states()),
            "tiles": recorder._static_tiles(),
            "kinship": np.asarray(world.kinship_matrix(), np.float32),
            "markers": recorder.markers(),
        }
        stored = {
            "positions": frame.positions, "on_grid": frame.on_grid,
            "body, glyph, shield, frozen": np.stack([frame.body, frame.glyph, frame.shield, frame.frozen], axis=1),
            "inventories": frame.inventories, "converters": frame.converters, "tiles": frame.tiles,
            "kinship": frame.kinship, "markers": frame.markers,
        }
        if t > 0:
            live["raw_rewards"] = np.asarray(world.raw_rewards, np.float32)
            live["rewards"] = env._rewards.copy()
            live["action_success"] = np.asarray(recorder._success[-1])
            live["action_order"] = np.asarray(world.action_order)
            stored.update(raw_rewards=frame.raw_rewards, rewards=frame.rewards, action_success=frame.action_success,
                          action_order=replay.action_order[t - 1])
        for name, value in stored.items():
            if not np.array_equal(np.asarray(value), np.asarray(live[name]).reshape(np.shape(value))):
                raise ReplayError(f"{replay.source}: frame {t}: {name} differs from the re-simulation "
                                  f"(stored {np.asarray(value).tolist()!s:.200}, re-simulated "
                                  f"{np.asarray(live[name]).tolist()!s:.200})")
        checked += 1
    return checked
