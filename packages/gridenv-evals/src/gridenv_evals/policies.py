"""Policies from anywhere, behind one small protocol, selected by URI.

    policy = load_policy("oracle", spec)                  # or random, random?seed=3, a gridenv-train checkpoint
    state = policy.initial_state(n)                       #   (path, run dir, file://...), sb3://model.zip,
    actions, state = policy.act(observations, state, dones)   # py://package.module:factory, baseline://NAME

``observations`` is (B, C, H, W) uint8 (every agent of every episode of a task, one batch), ``dones`` (B,) bool marks
rows whose previous step ended an episode (recurrent policies reset those rows), ``actions`` is (B,) int32. The runner
calls ``act`` once per step with the whole batch. Optional hooks a policy may define:

- ``observation_shape`` / ``num_actions``: what it was made for; a task with other shapes is refused naming both;
- ``reseed(seed)``: called before every task, so a stochastic policy's draws depend only on the task and its seeds
  (results are then identical whether tasks run in one process or are sharded across torchrun ranks);
- ``begin_task(task, seeds)``: called before every task with its episode seeds (the scripted oracle plans here).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, urlparse

import numpy as np

from gridenv_evals.metrics import plan_to_goal


@runtime_checkable
class Policy(Protocol):
    def initial_state(self, batch: int) -> Any: ...

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray) -> tuple[np.ndarray, Any]: ...


@dataclass(frozen=True)
class TaskSpec:
    """What a policy is asked to play: the observation shape (C, H, W) and the action table."""

    observation_shape: tuple[int, ...]
    action_names: tuple[str, ...]

    @property
    def num_actions(self) -> int:
        return len(self.action_names)


class PolicyError(ValueError):
    """A policy that cannot be loaded or does not fit a task; the message names the policy (and both shapes)."""


class RandomPolicy:
    """Uniformly random actions: the floor every result is compared with."""

    def __init__(self, num_actions: int, seed: int = 0):
        self.num_actions = num_actions
        self.base_seed = seed
        self.rng = np.random.default_rng(seed)

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng([self.base_seed, seed])

    def initial_state(self, batch: int) -> None:
        return None

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray):
        return self.rng.integers(0, self.num_actions, len(observations), dtype=np.int32), state


class OraclePolicy:
    """Scripted and optimal, with full knowledge of the map (stated in docs/evals.md): at the start of every episode
    it plans the shortest action sequence to using the goal converter (BFS over cell and facing,
    gridenv_evals.metrics.plan_to_goal) on the task's initial map for that episode's seed, then plays it."""

    def __init__(self, action_names: tuple[str, ...], goal_tile: int = 3):
        self.index = {name: i for i, name in enumerate(action_names)}
        missing = {"use", "move_north", "move_south", "move_west", "move_east"} - set(self.index)
        if missing:
            raise PolicyError(f"oracle: the task's actions lack {sorted(missing)}")
        self.goal_tile = goal_tile
        self.plans: list[list[int]] = []

    def begin_task(self, task, seeds: tuple[int, ...]) -> None:
        self.plans = []
        for tiles, start in task.initial_maps(seeds):
            plan = plan_to_goal(tiles, start, self.goal_tile)
            self.plans.append([self.index[name] for name in plan] if plan else [])

    def initial_state(self, batch: int) -> np.ndarray:
        if batch != len(self.plans):
            raise PolicyError(f"oracle: planned {len(self.plans)} episodes, asked to play {batch} (one agent each)")
        return np.zeros(batch, dtype=np.int64)  # per episode: how far into its plan

    def act(self, observations: np.ndarray, state: np.ndarray, dones: np.ndarray):
        noop = self.index.get("noop", 0)
        actions = np.array([plan[t] if t < len(plan) else noop for plan, t in zip(self.plans, state)], dtype=np.int32)
        return actions, state + 1


EVAL_TORCH_THREADS = 1
"""Torch threads while evaluating on a CPU: batches are a few rows, so more threads only contend (with env
threads, other ranks or a neighbour process). Seen: re-running cooperation-v1's baselines, about a minute per
baseline at one thread, was still running after 15 minutes with torch's default threads under pytest-xdist beside
another busy process."""


class TrainedPolicyAdapter:
    """A gridenv-train checkpoint (its CNN + LSTM), sampling actions from a generator reseeded per task. Loading one
    sets torch to EVAL_TORCH_THREADS intra-op threads when it has more."""

    def __init__(self, uri: str, device: str = "cpu", deterministic: bool = False):
        import torch

        if torch.get_num_threads() > EVAL_TORCH_THREADS:
            torch.set_num_threads(EVAL_TORCH_THREADS)
        try:
            from gridenv_train.policy_api import load_policy as load_trained
        except ImportError:
            raise PolicyError(f"policy {uri!r}: a gridenv-train checkpoint needs the gridenv-train package "
                              f"(pip install ./packages/gridenv-train)") from None
        try:
            self.trained = load_trained(uri, device=device, deterministic=deterministic)
        except (ValueError, FileNotFoundError, OSError) as error:
            raise PolicyError(f"policy {uri!r}: {error}") from None
        self.observation_shape = tuple(self.trained.policy.scale.shape)
        self.num_actions = self.trained.policy.actor.out_features

    def reseed(self, seed: int) -> None:
        import torch

        self.trained._generator = torch.Generator(device="cpu").manual_seed(seed)

    def initial_state(self, batch: int):
        return self.trained.initial_state(batch)

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray):
        return self.trained.act(observations, state, dones)


class SB3Policy:
    """A Stable-Baselines3 model zip (PPO, A2C or DQN; trained e.g. through SuperSuit on the (C, H, W) uint8
    observation), acting deterministically (SB3's predict(deterministic=True))."""

    ALGORITHMS = ("PPO", "A2C", "DQN")

    def __init__(self, path: str):
        try:
            import stable_baselines3
        except ImportError:
            raise PolicyError(f"policy sb3://{path}: needs stable-baselines3 (pip install stable-baselines3)") from None
        if not Path(path).is_file():
            raise PolicyError(f"policy sb3://{path}: no such file")
        errors = []
        for name in self.ALGORITHMS:
            try:
                self.model = getattr(stable_baselines3, name).load(path, device="cpu")
                break
            except Exception as error:  # noqa: BLE001 - SB3 raises many kinds; all mean "not this algorithm"
                errors.append(f"{name}: {type(error).__name__}: {str(error)[:120]}")
        else:
            raise PolicyError(f"policy sb3://{path}: not a loadable SB3 model zip ({'; '.join(errors)})")
        self.observation_shape = tuple(self.model.observation_space.shape)
        self.num_actions = int(self.model.action_space.n)

    def initial_state(self, batch: int) -> None:
        return None

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray):
        actions, _ = self.model.predict(observations, deterministic=True)
        return np.asarray(actions, dtype=np.int32).reshape(len(observations)), state


def baseline_path(name: str) -> Path:
    """A reference policy shipped inside this package (baselines/NAME.safetensors)."""
    path = Path(str(resources.files("gridenv_evals.baselines").joinpath(f"{name}.safetensors")))
    if not path.is_file():
        shipped = sorted(p.stem for p in path.parent.glob("*.safetensors"))
        raise PolicyError(f"policy baseline://{name}: no such baseline; shipped: {shipped}")
    return path


def load_policy(uri: str, spec: TaskSpec, seed: int = 0, protocol: str = "navigation") -> Any:
    """The policy a URI names, checked against ``spec``: ``random`` (``random?seed=3``), ``oracle`` (the suite's
    scripted upper reference: shortest paths on navigation suites, the recipe oracle on in-context ones),
    ``explorer`` (in-context: the systematic explorer), ``cooperator`` and ``defector`` (cooperation: scripted),
    ``baseline://NAME``, ``sb3://PATH.zip``,
    ``py://package.module:factory`` (factory(spec) -> policy), or a gridenv-train checkpoint: a path, a run
    directory (its latest checkpoint) or ``file://PATH``."""
    parsed = urlparse(uri)
    if uri.split("?")[0] == "random":
        query = parse_qs(parsed.query)
        policy = RandomPolicy(spec.num_actions, int(query.get("seed", [seed])[0]))
    elif uri in ("oracle", "explorer") and protocol == "in-context":
        from gridenv_evals.chain_players import RecipeOracle, SystematicExplorer

        try:
            policy = (RecipeOracle if uri == "oracle" else SystematicExplorer)(spec.action_names)
        except ValueError as error:
            raise PolicyError(f"{uri}: {error}") from None
    elif uri == "explorer":
        raise PolicyError("explorer: the systematic explorer plays in-context suites only")
    elif uri in ("cooperator", "defector"):
        if protocol != "cooperation":
            raise PolicyError(f"{uri}: the scripted {uri} plays cooperation suites only")
        from gridenv_evals.social_players import Cooperator, Defector

        try:
            policy = (Cooperator if uri == "cooperator" else Defector)(spec.action_names)
        except ValueError as error:
            raise PolicyError(f"{uri}: {error}") from None
    elif uri == "oracle":
        policy = OraclePolicy(spec.action_names)
    elif uri.startswith("baseline://"):
        policy = TrainedPolicyAdapter(str(baseline_path(uri[len("baseline://"):])), deterministic=False)
    elif uri.startswith("sb3://"):
        policy = SB3Policy(uri[len("sb3://"):])
    elif uri.startswith("py://"):
        policy = _from_factory(uri, spec)
    elif "://" in uri and not uri.startswith("file://"):
        raise PolicyError(f"policy {uri!r}: unknown scheme; use random, oracle, explorer, cooperator, defector, "
                          f"baseline://NAME, sb3://PATH.zip, py://module:factory, a checkpoint path, a run directory "
                          f"or file://PATH")
    else:
        local = Path(uri[len("file://"):] if uri.startswith("file://") else uri).expanduser()
        if not local.exists():
            raise PolicyError(f"policy {uri!r}: no such file or directory")
        policy = TrainedPolicyAdapter(uri)
    check_fits(policy, spec, uri)
    return policy


def _from_factory(uri: str, spec: TaskSpec) -> Any:
    target = uri[len("py://"):]
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise PolicyError(f"policy {uri!r}: expected py://package.module:factory")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise PolicyError(f"policy {uri!r}: cannot import {target}: {error}") from None
    policy = factory(spec)
    if not isinstance(policy, Policy):
        raise PolicyError(f"policy {uri!r}: {target}(spec) returned a {type(policy).__name__}, which has no "
                          f"initial_state(n) and act(observations, state, dones)")
    return policy


def check_fits(policy: Any, spec: TaskSpec, uri: str) -> None:
    """Refuse a policy made for other observations or another action table, naming both shapes."""
    shape = getattr(policy, "observation_shape", None)
    actions = getattr(policy, "num_actions", None)
    if shape is not None and tuple(shape) != tuple(spec.observation_shape):
        raise PolicyError(f"policy {uri!r} expects observations of shape {tuple(shape)}, the task gives "
                          f"{tuple(spec.observation_shape)}")
    if actions is not None and int(actions) != spec.num_actions:
        raise PolicyError(f"policy {uri!r} has {actions} actions, the task has {spec.num_actions} "
                          f"({', '.join(spec.action_names)})")
