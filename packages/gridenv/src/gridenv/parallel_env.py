"""gridenv as a PettingZoo ``ParallelEnv``.

Description
    Agents on a grid harvest diamonds at mines, turn diamonds into energy at chargers and energy into hearts at
    altars. A heart is the reward. Every action costs energy; energy regenerates slowly up to a cap.

Action Space
    ``Discrete(len(game.actions))``; ``env.action_names`` is the table. The arena's default table (costs in energy):

    ====  =============  ==========================================================================  ====
    id    name           effect                                                                      cost
    ====  =============  ==========================================================================  ====
    0     noop           nothing                                                                     0
    1-4   move_<dir>     face north/south/west/east, then step there if the cell is empty            1
    5     use            use the faced converter (mine, charger, altar)                              1
    6     attack         freeze the faced agent and steal from it, unless its shield absorbs it      5
    7     toggle_shield  raise or lower the shield (drains energy each step while raised)            1
    8     share          give energy to the faced agent                                              1
    9-12  glyph_<k>      show glyph k on oneself                                                     1
    13-14 marker_<k>     drop marker k on the own cell; it fades after ``game.marker_duration``      1
    ====  =============  ==========================================================================  ====

    ``build``, ``destroy``, ``bond`` and ``switch_body`` can be added to ``game.actions`` (docs/social.md).

Observation
    ``Box(0, high, (C, H, W), uint8)``: an egocentric window (default 11x11), north up, the agent at the centre;
    ``env.channel_names`` lists the channels and ``env.self_feature_names`` the observer's own features, which are
    laid out in row-major order in the last ("self") channel. See docs/game.md for the full table.

Rewards
    Raw reward: per unit of a resource produced at a converter, ``game.rewards`` (default: 1.0 per heart). The
    reward returned is mixed through kinship, ``r' = K r`` (``env.kinship_matrix()``); every step
    ``infos[agent]`` holds both, ``"raw_reward"`` and ``"shared_reward"`` (the returned one).

Termination
    With ``game.goal`` set, an agent terminates (and leaves the grid) once it holds the goal amount of a resource;
    otherwise agents never terminate. All remaining agents are truncated when ``game.max_steps`` steps have run.
    Each agent's episode stats arrive in ``infos[agent]["episode"]`` on the step it leaves.

Arguments
    ``parallel_env(name_or_config="arena", render_mode=None, **overrides)``: a registered name, an EnvConfig or a
    dict; overrides are nested dicts merged into the config (``game={"max_steps": 100}``).

Version History
    v0: initial release.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from gridenv import _core, render
from gridenv.config import EnvConfig
from gridenv.envs import resolve_config
from gridenv.game import Game, game_of

RENDER_MODES = ("human", "rgb_array", "ansi")  # human: the ANSI map printed to stdout each render()


def world_seed(seed: int) -> int:
    """The engine seed of an episode reset with `seed` (SeedSequence-hashed, so nearby seeds give unrelated worlds)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed: expected an int, got {seed!r}")
    return int(np.random.SeedSequence(int(seed) % 2**63).generate_state(1, np.uint64)[0])


class GridParallelEnv(ParallelEnv):
    """A gridenv world behind the PettingZoo parallel API. Agents are named ``agent_0`` ... ``agent_{n-1}``."""

    metadata = {"name": "gridenv", "render_modes": list(RENDER_MODES), "is_parallelizable": True, "render_fps": 10}

    def __init__(self, config: EnvConfig, render_mode: str | None = None, game: Game | None = None):
        """`game`: the config's :class:`~gridenv.game.Game` when the caller already has one (it is shared, not
        copied); by default the env makes its own."""
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode: expected None or one of {RENDER_MODES}, got {render_mode!r}")
        self.config = config
        self.render_mode = render_mode
        self.metadata = dict(self.metadata, name=f"gridenv/{config.full_name}")
        self.game = game_of(config, game)
        self.world = _core.World(self.game.core)
        world = self.world
        n, (c, h, w) = self.game.num_agents, self.game.observation_shape

        # Buffers owned here, written in place by the engine (see cpp/world.hpp).
        self._observations = np.zeros((n, c, h, w), dtype=np.uint8)
        self._actions = np.zeros(n, dtype=np.int32)
        self._rewards = np.zeros(n, dtype=np.float32)
        self._terminals = np.zeros(n, dtype=bool)
        self._truncations = np.zeros(n, dtype=bool)
        world.bind_buffers(self._observations, self._actions, self._rewards, self._terminals, self._truncations)

        self.possible_agents = list(self.game.possible_agents)
        self.agents: list[str] = []
        self._agent_index = {agent: i for i, agent in enumerate(self.possible_agents)}
        # A space per agent (each seeds and samples on its own), equal to the game's.
        self.observation_spaces = {agent: copy.deepcopy(self.game.observation_space) for agent in self.possible_agents}
        self.action_spaces = {agent: copy.deepcopy(self.game.action_space) for agent in self.possible_agents}
        self.action_names: list[str] = self.game.action_names
        self.channel_names: list[str] = self.game.channel_names
        self.self_feature_names: list[str] = self.game.self_feature_names
        self.stat_names: list[str] = self.game.stat_names
        num_kinds = len(config.game.converters)
        self.state_space = spaces.Box(0, 2 + num_kinds, (world.height, world.width), dtype=np.uint8)
        self._seeded = False

    # Pickling (multiprocessing vector wrappers copy envs this way) keeps the config, not the episode in progress:
    # an unpickled env starts unreset.
    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "render_mode": self.render_mode}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(EnvConfig.model_validate(state["config"]), render_mode=state["render_mode"])

    # PettingZoo returns the same space object on every call.
    def observation_space(self, agent: str) -> spaces.Box:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    @property
    def num_agents(self) -> int:
        return len(self.agents)

    @property
    def max_num_agents(self) -> int:
        return len(self.possible_agents)

    def reset(self, seed: int | None = None, options: dict | None = None):
        """Start an episode. With a seed, from that seed; without, from the world's own RNG (so the episodes after a
        seeded reset are determined by it), or from fresh entropy on a first reset."""
        if seed is not None:
            self.world.reset(world_seed(seed))
            self._seeded = True
        elif self._seeded:
            self.world.reset_next()
        else:
            self.world.reset(world_seed(int(np.random.SeedSequence().entropy % 2**63)))
            self._seeded = True
        self.agents = list(self.possible_agents)
        observations = self._observations.copy()
        if self.render_mode == "human":
            self.render()
        return {agent: observations[i] for i, agent in enumerate(self.agents)}, {agent: {} for agent in self.agents}

    def save_state(self) -> bytes:
        """The episode's whole state as bytes (RNG, map, agents, markers, kinship, stats): ``load_state`` continues
        from it exactly, in this env or in another of the same config, in this process or another. For resumable
        checkpoints, tree search and bug reports."""
        return self.world.save_state()

    def load_state(self, state: bytes) -> dict[str, np.ndarray]:
        """Continue from ``save_state()`` bytes; returns the live agents' observations. Bytes from other rules, or
        damaged ones, raise ValueError (checked: a checksum, a fingerprint of the rules and every index)."""
        self.world.load_state(state)
        self._seeded = True  # the next reset() without a seed continues the loaded world's RNG
        over = self.world.step_count >= self.config.game.max_steps
        self.agents = [] if over else [agent for agent, on_grid in zip(self.possible_agents,
                                                                        self.world.agents_on_grid()) if on_grid]
        observations = self._observations.copy()
        return {agent: observations[self._agent_index[agent]] for agent in self.agents}

    def step(self, actions: dict[str, Any]):
        """Apply one action per live agent; returns (observations, rewards, terminations, truncations, infos).

        After the episode ended, a step with no actions returns five empty dicts and changes nothing (wrappers such
        as SuperSuit's black_death step once more); actions for agents that have left are an error."""
        if not self.agents:
            if actions:
                raise ValueError(f"actions: {list(actions)[:5]} are not live agents: the episode is over, call "
                                 f"reset()")
            return {}, {}, {}, {}, {}
        self._write_actions(actions)
        self.world.step()

        agents = self.agents
        observations = self._observations.copy()  # the engine overwrites its buffer next step
        rewards = self._rewards.tolist()
        terminals = self._terminals.tolist()
        truncations = self._truncations.tolist()
        raw_rewards = self.world.raw_rewards.tolist()
        index = self._agent_index
        infos: dict[str, dict] = {agent: {"raw_reward": raw_rewards[index[agent]],
                                          "shared_reward": rewards[index[agent]]} for agent in agents}
        finished = [agent for agent in agents if terminals[index[agent]] or truncations[index[agent]]]
        if finished:  # each agent's stats arrive on the step it leaves the episode
            stats = self.episode_stats()
            length = self.world.step_count
            for agent in finished:
                # "r" and "l" follow Gymnasium's RecordEpisodeStatistics, which SB3 and CleanRL-style loops read.
                infos[agent]["episode"] = {"r": stats[index[agent]]["reward"], "l": length, **stats[index[agent]]}
        result = (
            {agent: observations[self._agent_index[agent]] for agent in agents},
            {agent: rewards[self._agent_index[agent]] for agent in agents},
            {agent: terminals[self._agent_index[agent]] for agent in agents},
            {agent: truncations[self._agent_index[agent]] for agent in agents},
            infos,
        )
        self.agents = [agent for agent in agents if agent not in finished]
        if self.render_mode == "human":
            self.render()
        return result

    def _write_actions(self, actions: dict[str, Any]) -> None:
        missing = [agent for agent in self.agents if agent not in actions]
        if missing:
            raise ValueError(f"actions: no action for live agent(s) {missing[:5]}; give one per agent in env.agents")
        unknown = [agent for agent in actions if agent not in self._agent_index or agent not in self.agents]
        if unknown:
            raise ValueError(f"actions: {unknown[:5]} are not live agents; live agents are env.agents")
        num_actions = self.world.num_actions
        for agent in self.agents:
            action = actions[agent]
            if isinstance(action, np.ndarray) and action.shape == ():
                action = action.item()
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                raise ValueError(f"actions[{agent!r}]: expected an int in [0, {num_actions - 1}], got {action!r}")
            if not 0 <= action < num_actions:
                raise ValueError(f"actions[{agent!r}]: expected an int in [0, {num_actions - 1}], got {action}")
            self._actions[self._agent_index[agent]] = action

    def episode_stats(self) -> list[dict[str, float]]:
        """Per-agent stats of the episode so far: ``{stat name: value}`` (see docs/game.md for the names)."""
        names = self.stat_names
        return [dict(zip(names, row)) for row in self.world.stats().tolist()]

    def kinship_matrix(self) -> np.ndarray:
        """The episode's kinship weights K (agents, agents) float32 in [0, 1], before row normalisation."""
        return self.world.kinship_matrix()

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode='human', 'rgb_array' or "
                                  "'ansi'")
            return None
        if self.render_mode == "human":
            print(render.ansi(self), flush=True)
            return None
        if self.render_mode == "ansi":
            return render.ansi(self)
        return render.rgb_array(self)

    def close(self) -> None:
        pass

    def state(self) -> np.ndarray:
        """Global state: the tile map (height, width) uint8 (0 empty, 1 wall, 2 agent, 3+k converter kind k)."""
        return render.map_codes(self)


def parallel_env(name_or_config: str | EnvConfig | dict = "arena", render_mode: str | None = None,
                 max_cycles: int | None = None, **overrides: Any) -> GridParallelEnv:
    """A PettingZoo ParallelEnv for a registered name, an EnvConfig or a dict, with nested overrides.
    ``max_cycles`` (PettingZoo's name for the episode length) sets ``game.max_steps``."""
    config = resolve_config(name_or_config, **overrides)
    if max_cycles is not None:
        try:
            config = config.model_copy(update={"game": config.game.model_copy(update={"max_steps": max_cycles})})
            config = EnvConfig.model_validate(config.to_dict())
        except ValueError as error:
            raise ValueError(f"max_cycles: {error}") from None
    return GridParallelEnv(config, render_mode=render_mode)
