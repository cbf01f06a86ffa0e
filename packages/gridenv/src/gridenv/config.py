"""Typed configuration of a gridenv environment (pydantic), mirroring the engine's rules (cpp/rules.hpp).

One model per concept: :class:`ConverterConfig` (mine, charger, altar, ...), :class:`BodyConfig` (energy, costs and
caps of an agent), :class:`GroupConfig` (a population of agents sharing a body), :class:`CombatConfig`,
:class:`ShieldConfig`, :class:`ShareConfig`, :class:`BuildConfig` (the social mechanics), :class:`MapConfig` (the
layout), :class:`GameConfig` (the rules), :class:`KinshipConfig` (reward sharing) and :class:`EnvConfig`
(everything, with a name and version). Every model rejects
unknown fields and bad values with a message naming the field; configs round-trip through YAML and JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gridenv import _core
from gridenv.atomic_file import write_atomic
from gridenv.map_gen import MapConfig
from gridenv.overrides import MAX_CONFIG_BYTES, load_yaml

ACTION_KINDS: tuple[str, ...] = tuple(_core.ACTION_KIND_NAMES)
"""Every action kind the engine knows, in engine order (see cpp/actions.hpp)."""


BASIC_ACTIONS: tuple[str, ...] = ("noop", "move_north", "move_south", "move_west", "move_east", "use")
_INDEXED_ACTION = re.compile(r"(glyph|marker)_(\d+)")


def parse_action(name: str) -> tuple[str, int]:
    """An action-table name -> (kind, argument): ``"attack"`` -> ("attack", 0), ``"glyph_2"`` -> ("glyph", 2)."""
    match = _INDEXED_ACTION.fullmatch(name)
    if match:
        return match.group(1), int(match.group(2))
    if name in ACTION_KINDS and name not in ("glyph", "marker"):
        return name, 0
    plain = [kind for kind in ACTION_KINDS if kind not in ("glyph", "marker")]
    raise ValueError(f"unknown action {name!r}; allowed: {', '.join(plain)}, glyph_<k>, marker_<k>")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


Amount = Annotated[int, Field(ge=0, le=255)]  # resource amounts, costs and caps: inventories are observed as uint8


class ConverterConfig(_Model):
    """An object that turns an agent's inputs into outputs when the agent faces it and takes `use`."""

    symbol: str = Field(description="One character that stands for this object in ASCII maps.")
    inputs: dict[str, Amount] = Field(default_factory=dict, description="Resources taken from the user, per use.")
    outputs: dict[str, Amount] = Field(default_factory=dict, description="Resources given to the user, per use.")
    cooldown: int = Field(0, ge=0, le=1_000_000, description="Steps the object is unavailable after a use.")
    max_uses: int = Field(0, ge=0, le=1_000_000_000, description="Uses per episode; 0 means unlimited.")
    users_required: int = Field(1, ge=1, le=4, description="Agents that must use it in the same step; each pays "
                                "the inputs and gets the outputs.")

    @field_validator("symbol")
    @classmethod
    def _one_printable_character(cls, symbol: str) -> str:
        if len(symbol) != 1 or not symbol.isprintable() or symbol in "#. 0123456789":
            raise ValueError(f"must be one printable character other than '#', '.', ' ' and digits, got {symbol!r}")
        return symbol


DEFAULT_ACTION_COSTS: dict[str, int] = {
    "noop": 0, "move_north": 1, "move_south": 1, "move_west": 1, "move_east": 1, "use": 1, "attack": 5,
    "toggle_shield": 1, "share": 1, "glyph": 1, "marker": 1, "build": 5, "destroy": 2, "bond": 3, "switch_body": 1,
}
"""Energy per action when a body does not say otherwise."""


class BodyConfig(_Model):
    """What an agent's body can hold and what its actions cost (energy units)."""

    energy_cap: int = Field(100, ge=0, le=255, description="Most energy an agent can hold.")
    initial_energy: int = Field(25, ge=0, le=255, description="Energy at the start of an episode.")
    energy_regen: int = Field(1, ge=0, le=255, description="Energy regained every step, up to the cap.")
    action_costs: dict[str, Amount] = Field(
        default_factory=lambda: dict(DEFAULT_ACTION_COSTS),
        description="Energy each action costs (unlisted actions keep DEFAULT_ACTION_COSTS); an agent without "
        "enough energy does nothing that step.",
    )
    resource_caps: dict[str, Amount] = Field(
        default_factory=lambda: {"diamond": 50, "heart": 255},
        description="Most of each non-energy resource an agent can hold (at most 255); unlisted resources: 255.",
    )
    initial_inventory: dict[str, Amount] = Field(default_factory=dict, description="Non-energy resources at the start.")

    @field_validator("action_costs")
    @classmethod
    def _known_actions(cls, costs: dict[str, int]) -> dict[str, int]:
        for name, cost in costs.items():
            if name not in ACTION_KINDS:
                raise ValueError(f"unknown action {name!r}; allowed: {', '.join(ACTION_KINDS)}")
            if not 0 <= cost <= 255:
                raise ValueError(f"cost of {name!r} must be in [0, 255], got {cost}")
        return {**DEFAULT_ACTION_COSTS, **costs}

    @model_validator(mode="after")
    def _initial_within_cap(self) -> BodyConfig:
        if self.initial_energy > self.energy_cap:
            raise ValueError(f"initial_energy ({self.initial_energy}) exceeds energy_cap ({self.energy_cap})")
        return self


class GroupConfig(_Model):
    """A population of agents that share a body (and form a team for the `teams` kinship scheme)."""

    name: str
    body: BodyConfig = Field(default_factory=BodyConfig)
    posture: BodyConfig | None = Field(
        None, description="A second body the agents of this group switch to and from with `switch_body`."
    )


class CombatConfig(_Model):
    """`attack`: freeze the faced agent and steal part of its inventory, unless its shield is up."""

    freeze_steps: int = Field(10, ge=0, le=1_000_000, description="Steps the target's actions do nothing.")
    steal_fraction: float = Field(0.5, ge=0.0, le=1.0, description="Share of each stealable resource taken "
                                  "(rounded down; what the attacker has no room for stays with the target).")
    stealable: list[str] = Field(default_factory=lambda: ["diamond", "heart"], description="Resources attacks steal.")


class ShieldConfig(_Model):
    """`toggle_shield`: a raised shield absorbs attacks and drains energy."""

    upkeep: int = Field(1, ge=0, le=255, description="Energy per step while raised; unpaid, the shield drops.")
    absorb_cost: int = Field(10, ge=0, le=255, description="Energy the holder loses per absorbed attack.")


class ShareConfig(_Model):
    """`share`: give resources to the faced agent."""

    resource: str = Field("energy", description="The resource given.")
    amount: int = Field(10, ge=0, le=255, description="Units given per share (all or nothing).")


class BuildConfig(_Model):
    """`build` puts a wall on the faced empty cell; `destroy` removes the faced wall (map-edge walls excepted)."""

    cost: dict[str, Amount] = Field(default_factory=lambda: {"diamond": 1}, description="Resources a wall costs.")
    max_walls_per_agent: int = Field(10, ge=0, le=1_000_000, description="Walls one agent may build per episode "
                                     "(0 = unlimited).")
    max_destroys_per_agent: int = Field(10, ge=0, le=1_000_000, description="Walls one agent may destroy per "
                                        "episode (0 = unlimited).")


class GoalConfig(_Model):
    """An agent terminates (leaves the grid, acts no more) once it holds `amount` of `resource`."""

    resource: str = "heart"
    amount: int = Field(1, ge=1, le=255)


class KinshipConfig(_Model):
    """How raw rewards r become shared rewards r' = K r (see docs/social.md)."""

    scheme: Literal["selfish", "teams", "random", "clans", "bonds"] = "selfish"
    normalize_rows: bool = Field(True, description="Shared reward is the K-weighted average of kin rewards.")
    self_weight: float = Field(1.0, gt=0.0, le=1.0)
    kin_weight: float = Field(0.5, ge=0.0, le=1.0, description="teams: weight between members of one group.")
    beta_a: float = Field(1.0, gt=0.0, lt=1e6, description="random: pair weights ~ Beta(beta_a, beta_b).")
    beta_b: float = Field(1.0, gt=0.0, lt=1e6)
    family_size: int = Field(2, ge=1, le=4096, description="clans: agents per family (by agent id).")
    families_per_clan: int = Field(2, ge=1, le=4096)
    clans_per_tribe: int = Field(2, ge=1, le=4096)
    family_weight: float = Field(0.5, ge=0.0, le=1.0)
    clan_weight: float = Field(0.25, ge=0.0, le=1.0)
    tribe_weight: float = Field(0.125, ge=0.0, le=1.0)
    bond_window: int = Field(3, ge=0, le=1_000_000, description="bonds: steps within which both must choose bond.")
    bond_weight: float = Field(1.0, ge=0.0, le=1.0, description="bonds: kinship of a bonded pair.")
    bond_cost: int = Field(5, ge=0, le=255, description="bonds: energy each partner pays when the bond forms.")


def _default_converters() -> dict[str, ConverterConfig]:
    return {
        "mine": ConverterConfig(symbol="m", outputs={"diamond": 1}, cooldown=20),
        "charger": ConverterConfig(symbol="c", inputs={"diamond": 1}, outputs={"energy": 25}),
        "altar": ConverterConfig(symbol="a", inputs={"energy": 50}, outputs={"heart": 1}, cooldown=10),
    }


class GameConfig(_Model):
    """The rules of the game: resources, converters, groups (bodies), actions, episode length, observation."""

    num_agents: int | None = Field(
        24, ge=1, le=4096, description="Agents on a random map, split evenly over the groups in order; "
        "None with an ASCII map (the map decides)."
    )
    resources: list[str] = Field(default_factory=lambda: ["energy", "diamond", "heart"])
    rewards: dict[str, Annotated[float, Field(ge=-1e6, le=1e6)]] = Field(
        default_factory=lambda: {"heart": 1.0}, description="Reward per unit of a resource produced at a converter, in [-1e6, 1e6] (so shared sums stay "
        "finite in float32)."
    )
    converters: dict[str, ConverterConfig] = Field(default_factory=_default_converters)
    groups: list[GroupConfig] = Field(default_factory=lambda: [GroupConfig(name="team_0")], min_length=1, max_length=10)
    actions: list[str] = Field(
        default_factory=lambda: [*BASIC_ACTIONS, "attack", "toggle_shield", "share", "glyph_0", "glyph_1", "glyph_2",
                                 "glyph_3", "marker_0", "marker_1"],
        min_length=1, max_length=254,
        description="The Discrete action table, by name; glyph_k / marker_k need k < glyphs / markers.",
    )
    combat: CombatConfig = Field(default_factory=CombatConfig)
    shield: ShieldConfig = Field(default_factory=ShieldConfig)
    share: ShareConfig = Field(default_factory=ShareConfig)
    build: BuildConfig = Field(default_factory=BuildConfig)
    glyphs: int = Field(4, ge=0, le=254, description="Glyphs an agent can show on itself (actions glyph_k).")
    markers: int = Field(2, ge=0, le=254, description="Marker kinds agents can drop (actions marker_k).")
    marker_duration: int = Field(20, ge=0, le=1_000_000, description="Steps a dropped marker stays visible.")
    goal: GoalConfig | None = Field(None, description="Terminate agents that reach it; None: agents never terminate.")
    shuffle_recipes: bool = Field(False, description="Permute the converters' recipes among the kinds every reset "
                                  "(what an object does must be found out in-context).")
    recipe_pool: list[list[int]] | None = Field(
        None, max_length=1_000_000,
        description="With shuffle_recipes: the permutations a reset draws from, uniformly (each lists, per converter "
        "kind in order, the index of the recipe it follows); None: any permutation. Keeps held-out recipes out of "
        "training.")
    max_steps: int = Field(1000, ge=1, le=1_000_000_000, description="Episode length (truncation).")
    obs_height: int = Field(11, ge=1, le=63, description="Observation window height, odd.")
    obs_width: int = Field(11, ge=1, le=63, description="Observation window width, odd.")

    @field_validator("resources")
    @classmethod
    def _energy_first(cls, resources: list[str]) -> list[str]:
        if not resources or resources[0] != "energy":
            raise ValueError(f"the first resource must be 'energy', got {resources}")
        if len(set(resources)) != len(resources):
            raise ValueError(f"resource names must be unique, got {resources}")
        return resources

    @field_validator("actions")
    @classmethod
    def _known_action_kinds(cls, actions: list[str]) -> list[str]:
        for name in actions:
            parse_action(name)
        if len(set(actions)) != len(actions):
            raise ValueError(f"actions must be unique, got {actions}")
        return actions

    @field_validator("obs_height", "obs_width")
    @classmethod
    def _odd(cls, size: int) -> int:
        if size % 2 == 0:
            raise ValueError(f"must be odd so the agent sits at the centre, got {size}")
        return size

    @model_validator(mode="after")
    def _resources_exist(self) -> GameConfig:
        known = set(self.resources)

        def check(where: str, names: Any) -> None:
            for name in names:
                if name not in known:
                    raise ValueError(f"{where}: unknown resource {name!r}; resources are {self.resources}")

        check("rewards", self.rewards)
        check("combat.stealable", self.combat.stealable)
        check("share.resource", [self.share.resource])
        check("build.cost", self.build.cost)
        if self.goal is not None:
            check("goal.resource", [self.goal.resource])
        for name in self.actions:
            kind, arg = parse_action(name)
            limit = {"glyph": self.glyphs, "marker": self.markers}.get(kind)
            if limit is not None and arg >= limit:
                raise ValueError(f"actions: {name!r} needs {kind}s > {arg}, but {kind}s is {limit}")
        for name, converter in self.converters.items():
            check(f"converters.{name}.inputs", converter.inputs)
            check(f"converters.{name}.outputs", converter.outputs)
        for group in self.groups:
            check(f"groups.{group.name}.body.resource_caps", group.body.resource_caps)
            check(f"groups.{group.name}.body.initial_inventory", group.body.initial_inventory)
            if group.posture is not None:
                check(f"groups.{group.name}.posture.resource_caps", group.posture.resource_caps)
                check(f"groups.{group.name}.posture.initial_inventory", group.posture.initial_inventory)
        if self.recipe_pool:  # [] and None both mean any permutation
            if not self.shuffle_recipes:
                raise ValueError("recipe_pool: needs shuffle_recipes: true")
            kinds = len(self.converters)
            for i, permutation in enumerate(self.recipe_pool):
                if sorted(permutation) != list(range(kinds)):
                    raise ValueError(f"recipe_pool[{i}]: must be a permutation of 0..{kinds - 1} (one recipe index "
                                     f"per converter kind), got {permutation}")
        symbols = [c.symbol for c in self.converters.values()]
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"converters: symbols must be unique, got {symbols}")
        return self


class EnvConfig(_Model):
    """A complete, named and versioned environment: the game rules plus the map."""

    name: str = "arena"
    version: int = Field(0, ge=0)
    game: GameConfig = Field(default_factory=GameConfig)
    map: MapConfig = Field(default_factory=MapConfig)
    kinship: KinshipConfig = Field(default_factory=KinshipConfig)

    @model_validator(mode="after")
    def _map_matches_game(self) -> EnvConfig:
        converters = list(self.game.converters)

        def check_counts(map_config: MapConfig, field: str) -> None:
            for counts in ("converter_counts", "converter_densities"):
                for name in getattr(map_config, counts):
                    if name not in converters:
                        raise ValueError(f"{field}.{counts}: unknown converter {name!r}; converters are "
                                         f"{converters}")
            for i, part in enumerate(map_config.parts):
                check_counts(part, f"{field}.parts[{i}]")

        if self.map.generator != "ascii":  # ASCII maps carry no converter counts
            check_counts(self.map, "map")
        if self.map.generator == "ascii":
            agents_on_map = self.map.fixed_agents()
            if self.game.num_agents is not None and self.game.num_agents != agents_on_map:
                raise ValueError(
                    f"game.num_agents: {self.game.num_agents} but the ASCII map places {agents_on_map} agent(s); "
                    "set game.num_agents to None (null) or to that count"
                )
        else:
            if self.game.num_agents is None:
                raise ValueError(f"game.num_agents: required for a {self.map.generator!r} map (only an ASCII map "
                                 "may leave it None)")
            if self.map.agents is not None and self.map.agents != self.game.num_agents:
                raise ValueError(f"map.agents ({self.map.agents}) differs from game.num_agents "
                                 f"({self.game.num_agents}); leave map.agents unset at the top level")
            if self.map.generator == "composite" and self.map.generated_parts() == 0 and \
                    self.map.fixed_agents() != self.game.num_agents:
                raise ValueError(f"game.num_agents: {self.game.num_agents} but the composite's ASCII parts place "
                                 f"{self.map.fixed_agents()} agent(s) and it has no generated part for the rest")
        return self

    @property
    def full_name(self) -> str:
        """Versioned name, e.g. ``arena-v0``."""
        return f"{self.name}-v{self.version}"

    # --- serialisation -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data["game"].get("recipe_pool") is None:  # added later: unset, it leaves configs (and digests) as before
            del data["game"]["recipe_pool"]
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> None:
        """Write as YAML (.yaml/.yml) or JSON (.json), atomically."""
        path = Path(path)
        write_atomic(path, self.to_json() if path.suffix == ".json" else self.to_yaml())

    @classmethod
    def load(cls, path: str | Path) -> EnvConfig:
        """Read a YAML or JSON file."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_CONFIG_BYTES:
                raise ValueError(f"{path}: {size:,} bytes; config files are limited to {MAX_CONFIG_BYTES:,}")
            text = path.read_text()
        except OSError as error:
            raise ValueError(f"{path}: cannot read: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: not valid JSON: {error}") from None
            except RecursionError:
                raise ValueError(f"{path}: nested too deeply") from None
        else:
            data = load_yaml(text, str(path))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a config is a mapping (game:, map:, kinship: ...), got a {type(data).__name__}")
        return cls.model_validate(data)

    # --- translation to the engine -------------------------------------------------------------------------------
    def to_rules(self) -> _core.GameRules:
        """The engine's rules for this config (cpp/rules.hpp)."""
        game = self.game
        resources = game.resources
        index = {name: i for i, name in enumerate(resources)}

        def per_resource(amounts: dict[str, int], default: int = 0) -> list[int]:
            values = [default] * len(resources)
            for name, amount in amounts.items():
                values[index[name]] = amount
            return values

        rules = _core.GameRules()
        rules.resources = list(resources)
        rules.resource_rewards = [float(game.rewards.get(name, 0.0)) for name in resources]
        converters = []
        for name, converter in game.converters.items():
            core_converter = _core.ConverterRules()
            core_converter.name = name
            core_converter.symbol = converter.symbol
            core_converter.inputs = per_resource(converter.inputs)
            core_converter.outputs = per_resource(converter.outputs)
            core_converter.cooldown = converter.cooldown
            core_converter.max_uses = converter.max_uses
            core_converter.users_required = converter.users_required
            converters.append(core_converter)
        rules.converters = converters
        def core_body(body: BodyConfig) -> _core.BodyRules:
            rules_body = _core.BodyRules()
            rules_body.action_costs = [body.action_costs.get(kind, 0) for kind in ACTION_KINDS]
            caps = per_resource(body.resource_caps, default=255)
            caps[0] = body.energy_cap
            rules_body.resource_caps = caps
            initial = per_resource(body.initial_inventory)
            initial[0] = body.initial_energy
            rules_body.initial_inventory = initial
            rules_body.energy_regen = body.energy_regen
            return rules_body

        # Bodies 0..G-1 are the groups' own; posture bodies follow.
        bodies = [core_body(group.body) for group in game.groups]
        posture_body = []
        for group in game.groups:
            if group.posture is None:
                posture_body.append(-1)
            else:
                posture_body.append(len(bodies))
                bodies.append(core_body(group.posture))
        rules.bodies = bodies
        rules.posture_body = posture_body
        rules.actions = [(ACTION_KINDS.index(kind), arg) for kind, arg in map(parse_action, game.actions)]
        combat = _core.CombatRules()
        combat.freeze_steps = game.combat.freeze_steps
        combat.steal_fraction = game.combat.steal_fraction
        combat.stealable = [1 if name in game.combat.stealable else 0 for name in resources]
        rules.combat = combat
        shield = _core.ShieldRules()
        shield.upkeep, shield.absorb_cost = game.shield.upkeep, game.shield.absorb_cost
        rules.shield = shield
        share = _core.ShareRules()
        share.resource, share.amount = index[game.share.resource], game.share.amount
        rules.share = share
        build = _core.BuildRules()
        build.cost = per_resource(game.build.cost)
        build.max_walls_per_agent = game.build.max_walls_per_agent
        build.max_destroys_per_agent = game.build.max_destroys_per_agent
        rules.build = build
        rules.glyphs, rules.markers, rules.marker_duration = game.glyphs, game.markers, game.marker_duration
        kinship = _core.KinshipRules()
        for field, value in self.kinship.model_dump().items():
            setattr(kinship, field, getattr(_core.KinshipScheme, value) if field == "scheme" else value)
        rules.kinship = kinship
        rules.max_steps = game.max_steps
        rules.obs_height = game.obs_height
        rules.obs_width = game.obs_width

        core_map = self.map.to_rules(game.num_agents, list(game.converters))
        if self.map.generator != "ascii":
            groups = len(game.groups)
            base, extra = divmod(game.num_agents, groups)
            rules.agents_per_group = [base + (1 if g < extra else 0) for g in range(groups)]
        if game.goal is not None:
            rules.goal_resource = index[game.goal.resource]
            rules.goal_amount = game.goal.amount
        rules.shuffle_recipes = game.shuffle_recipes
        rules.recipe_pool = game.recipe_pool or []
        rules.map = core_map
        return rules
