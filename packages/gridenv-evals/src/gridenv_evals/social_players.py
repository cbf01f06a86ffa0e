"""Scripted players for the cooperation suite: a cooperator and a defector, as background or as focal references.

They read the live world (``attach(env, agents)`` at every episode's start hands them the env and the agents they
drive) and play the substrate's economy — mine -> diamond, charger -> 25 energy, altar -> heart — walking shortest
paths around walls, objects and other agents:

- **cooperator**: makes hearts when its body can; a miner that cannot hold hearts takes its energy to the nearest
  agent that can and shares it; on a joint altar it goes to the agreed altar (the first one; everyone who follows
  the convention meets there) and uses it every step it faces it with the energy to pay. Never attacks.
- **defector**: attacks any other agent next to it that it can afford to attack (freezing it and stealing what the
  substrate lets it steal), otherwise harvests for itself. Never shares.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridenv.config import DEFAULT_ACTION_COSTS
from gridenv_evals.metrics import MOVES, plan_to_face

EMPTY = 0
FIRST_KIND_TILE = 3
DIRECTIONS = {name: (d_row, d_col) for name, d_row, d_col, _ in MOVES}
FACING = [(d_row, d_col) for _, d_row, d_col, _ in MOVES]  # orientation -> step


class _SocialPlayer:
    cooperates = True

    def __init__(self, action_names: tuple[str, ...]):
        self.index = {name: i for i, name in enumerate(action_names)}
        needed = {"noop", "use", "attack", "share"} | set(DIRECTIONS)
        if needed - set(self.index):
            raise ValueError(f"the task's actions lack {sorted(needed - set(self.index))}")
        self.env = None
        self.agents: list[int] = []
        self.plans: dict[int, tuple[str, list[str]]] = {}

    def attach(self, env, agents: list[int]) -> None:
        """Start an episode: the live env and the agents (indices) this player drives, in row order."""
        self.env, self.agents, self.plans = env, list(agents), {}
        game = env.config.game
        self.resources = list(game.resources)
        self.kinds = list(game.converters)
        self.charge_cost = game.converters["altar"].inputs.get("energy", 0)
        self.joint = game.converters["altar"].users_required > 1
        self.share_amount = game.share.amount
        self.bodies = [group.body for group in game.groups]

    def initial_state(self, batch: int) -> None:
        return None

    def act(self, observations: np.ndarray, state: Any, dones: np.ndarray):
        if self.env is None:
            raise ValueError("a scripted social player needs attach(env, agents) before it acts")
        world = self.env.world
        tiles = np.empty((world.height, world.width), dtype=np.uint8)
        world.fill_map_codes(tiles)
        snapshot = {"tiles": tiles, "positions": world.agent_positions().tolist(),
                    "inventories": world.inventories().tolist(), "groups": self.env.game.agent_groups,
                    "states": world.agent_states().tolist(), "converters": world.converter_states().tolist(),
                    "on_grid": world.agents_on_grid().tolist()}
        actions = [self.index[self._decide(agent, snapshot)] for agent in self.agents]
        return np.array(actions, dtype=np.int32), state

    # -- what to do ------------------------------------------------------------------------------------------------
    def _can_hold(self, agent: int, snapshot, resource: str) -> bool:
        body = self.bodies[snapshot["groups"][agent]]
        return body.resource_caps.get(resource, 255) > 0

    def _decide(self, agent: int, snapshot) -> str:
        inventory = dict(zip(self.resources, snapshot["inventories"][agent]))
        if snapshot["states"][agent][3] > 0:  # frozen: nothing it does counts
            return "noop"
        if not self.cooperates:
            victim = self._adjacent_agent(agent, snapshot)
            if victim is not None and inventory["energy"] >= self._cost(agent, snapshot, "attack"):
                return self._face_then(agent, snapshot, victim, "attack")
        if self._can_hold(agent, snapshot, "heart") and inventory["energy"] >= self.charge_cost:
            return self._use(agent, snapshot, "altar")
        if self.cooperates and not self._can_hold(agent, snapshot, "heart") and \
                inventory["energy"] >= self.share_amount:
            receivers = [other for other in range(len(snapshot["positions"]))
                         if other != agent and snapshot["on_grid"][other] and self._can_hold(other, snapshot, "heart")]
            if receivers:
                return self._go_face(agent, snapshot, self._cells_of(snapshot, receivers), "share", "share")
        if self._can_hold(agent, snapshot, "diamond"):
            if inventory["diamond"] > 0 and inventory["energy"] + 25 <= self.bodies[snapshot["groups"][agent]].energy_cap:
                return self._use(agent, snapshot, "charger")
            return self._use(agent, snapshot, "mine")
        return self._use(agent, snapshot, "altar", wait=True)  # a crafter without energy waits at an altar

    def _cost(self, agent: int, snapshot, action: str) -> int:
        costs = self.bodies[snapshot["groups"][agent]].action_costs
        return costs.get(action, DEFAULT_ACTION_COSTS.get(action, 0))

    # -- getting there -------------------------------------------------------------------------------------------
    def _blocked(self, snapshot, agent: int) -> np.ndarray:
        blocked = snapshot["tiles"] != EMPTY
        row, col, _ = snapshot["positions"][agent]
        blocked[row, col] = False
        return blocked

    def _cells_of(self, snapshot, agents: list[int]) -> np.ndarray:
        goal = np.zeros(snapshot["tiles"].shape, dtype=bool)
        for other in agents:
            row, col, _ = snapshot["positions"][other]
            goal[row, col] = True
        return goal

    def _use(self, agent: int, snapshot, kind: str, wait: bool = False) -> str:
        k = self.kinds.index(kind)
        goal = np.zeros(snapshot["tiles"].shape, dtype=bool)
        ready = [(c[0], c[1]) for c in snapshot["converters"] if c[2] == k]
        if kind == "altar" and self.joint and ready:
            ready = ready[:1]  # the convention: everyone meets at the first altar
        for row, col in ready:
            goal[row, col] = True
        last = "noop" if wait else "use"
        return self._go_face(agent, snapshot, goal, last, kind)

    def _go_face(self, agent: int, snapshot, goal: np.ndarray, last: str, purpose: str) -> str:
        row, col, facing = snapshot["positions"][agent]
        ahead = (row + FACING[facing][0], col + FACING[facing][1])
        height, width = goal.shape
        if 0 <= ahead[0] < height and 0 <= ahead[1] < width and goal[ahead]:
            self.plans.pop(agent, None)
            return last
        plan = self.plans.get(agent)
        blocked = self._blocked(snapshot, agent)
        if plan is None or plan[0] != purpose or not plan[1] or self._next_blocked(plan[1][0], row, col, blocked):
            moves = plan_to_face(blocked, goal, (row, col, facing))
            if not moves:
                self.plans.pop(agent, None)
                return "noop"
            plan = (purpose, moves)
            self.plans[agent] = plan
        return plan[1].pop(0)

    @staticmethod
    def _next_blocked(move: str, row: int, col: int, blocked: np.ndarray) -> bool:
        d_row, d_col = DIRECTIONS[move]
        r, c = row + d_row, col + d_col
        return 0 <= r < blocked.shape[0] and 0 <= c < blocked.shape[1] and bool(blocked[r, c]) and \
            not (r == row and c == col)

    def _adjacent_agent(self, agent: int, snapshot) -> int | None:
        row, col, _ = snapshot["positions"][agent]
        for other, (r, c, _) in enumerate(snapshot["positions"]):
            if other != agent and snapshot["on_grid"][other] and abs(r - row) + abs(c - col) == 1 and \
                    snapshot["states"][other][3] == 0:
                return other
        return None

    def _face_then(self, agent: int, snapshot, other: int, action: str) -> str:
        row, col, facing = snapshot["positions"][agent]
        r, c, _ = snapshot["positions"][other]
        wanted = [i for i, step in enumerate(FACING) if step == (r - row, c - col)][0]
        return action if wanted == facing else MOVES[wanted][0]  # a move into an occupied cell only turns


class Cooperator(_SocialPlayer):
    cooperates = True


class Defector(_SocialPlayer):
    cooperates = False
