"""Typed configuration of a gridenv environment (pydantic), mirroring the engine's rules (cpp/rules.hpp).

The engine owns the rules: every scalar field below that the engine knows is built from its schema
(:func:`gridenv.schema.engine_field`: default, bounds and description come from cpp/schema.hpp), and a complete
config is checked by the engine itself (``_core.validate_rules``) when it is validated, so no rule is stated twice.
What stays here is Python's own: names (resources, converters, groups, actions) instead of indices, the layout of
the YAML, and the checks that names refer to something.

One model per concept: :class:`ConverterConfig` (mine, charger, altar, ...), :class:`BodyConfig` (energy, costs and
caps of an agent), :class:`GroupConfig` (a population of agents sharing a body), :class:`CombatConfig`,
:class:`ShieldConfig`, :class:`ShareConfig`, :class:`BuildConfig` (the social mechanics), :class:`MapConfig` (the
layout), :class:`GameConfig` (the rules), :class:`KinshipConfig` (reward mixing) and :class:`EnvConfig`
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
from gridenv.map_gen import CaveConfig, MapConfig, MazeConfig, RoomsConfig
from gridenv.overrides import MAX_CONFIG_BYTES, load_yaml
from gridenv.schema import LIMITS, copy_engine_fields, engine_field, engine_fields

ACTION_KINDS: tuple[str, ...] = tuple(action["name"] for action in _core.ACTIONS)
"""Every action kind the engine knows, in engine order (see cpp/actions.hpp)."""
_INDEXED_KINDS = tuple(action["name"] for action in _core.ACTIONS if action["takes_index"])  # glyph, marker


BASIC_ACTIONS: tuple[str, ...] = ("noop", "move_north", "move_south", "move_west", "move_east", "use")
_INDEXED_ACTION = re.compile(rf"({'|'.join(_INDEXED_KINDS)})_(\d+)")


def parse_action(name: str) -> tuple[str, int]:
    """An action-table name -> (kind, argument): ``"attack"`` -> ("attack", 0), ``"glyph_2"`` -> ("glyph", 2)."""
    match = _INDEXED_ACTION.fullmatch(name)
    if match:
        return match.group(1), int(match.group(2))
    if name in ACTION_KINDS and name not in _INDEXED_KINDS:
        return name, 0
    plain = [kind for kind in ACTION_KINDS if kind not in _INDEXED_KINDS]
    indexed = [f"{kind}_<k>" for kind in _INDEXED_KINDS]
    raise ValueError(f"unknown action {name!r}; allowed: {', '.join(plain + indexed)}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


MAX_AMOUNT = LIMITS["max_amount"]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]  # resource amounts, costs and caps (the engine's limit)


class ConverterConfig(_Model):
    """An object that turns an agent's inputs into outputs when the agent faces it and takes `use`."""

    symbol: str = Field(min_length=1, max_length=1,
                        description="One character that stands for this object in ASCII maps (the engine refuses "
                        "'#', '.', ' ', the digits and repeats).")
    inputs: dict[str, Amount] = Field(default_factory=dict, description="Resources taken from the user, per use.")
    outputs: dict[str, Amount] = Field(default_factory=dict, description="Resources given to the user, per use.")
    cooldown: int = engine_field("converter", "cooldown")
    max_uses: int = engine_field("converter", "max_uses")
    users_required: int = engine_field("converter", "users_required")


KINSHIP_SCHEMES: tuple[str, ...] = tuple(_core.KinshipScheme.__members__)
"""The engine's kinship schemes (cpp/rules.hpp), its default first."""

DEFAULT_ACTION_COSTS: dict[str, int] = {action["name"]: action["default_cost"] for action in _core.ACTIONS}
"""Energy per action when a body does not say otherwise (the engine's kDefaultActionCosts)."""


class BodyConfig(_Model):
    """What an agent's body can hold and what its actions cost (energy units)."""

    energy_cap: int = Field(100, ge=0, le=MAX_AMOUNT, description="Most energy an agent can hold.")
    initial_energy: int = Field(25, ge=0, le=MAX_AMOUNT, description="Energy at the start of an episode.")
    energy_regen: int = engine_field("body", "energy_regen")
    action_costs: dict[str, Amount] = Field(
        default_factory=lambda: dict(DEFAULT_ACTION_COSTS),
        description="Energy each action costs (unlisted actions keep DEFAULT_ACTION_COSTS); an agent without "
        "enough energy does nothing that step.",
    )
    resource_caps: dict[str, Amount] = Field(
        default_factory=lambda: {"diamond": 50, "heart": MAX_AMOUNT},
        description="Most of each non-energy resource an agent can hold; unlisted resources: the most there is "
        "(max_amount, 255).",
    )
    initial_inventory: dict[str, Amount] = Field(default_factory=dict, description="Non-energy resources at the start.")

    @field_validator("action_costs")
    @classmethod
    def _known_actions(cls, costs: dict[str, int]) -> dict[str, int]:
        for name in costs:
            if name not in ACTION_KINDS:
                raise ValueError(f"unknown action {name!r}; allowed: {', '.join(ACTION_KINDS)}")
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

    freeze_steps: int = engine_field("combat", "freeze_steps")
    steal_fraction: float = engine_field("combat", "steal_fraction")
    stealable: list[str] = Field(default_factory=lambda: ["diamond", "heart"], description="Resources attacks steal.")


class ShieldConfig(_Model):
    """`toggle_shield`: a raised shield absorbs attacks and drains energy."""

    upkeep: int = engine_field("shield", "upkeep")
    absorb_cost: int = engine_field("shield", "absorb_cost")


class ShareConfig(_Model):
    """`share`: give resources to the faced agent."""

    resource: str = Field("energy", description="The resource given.")
    amount: int = engine_field("share", "amount")


class BuildConfig(_Model):
    """`build` puts a wall on the faced empty cell; `destroy` removes the faced wall (map-edge walls excepted)."""

    cost: dict[str, Amount] = Field(default_factory=lambda: {"diamond": 1}, description="Resources a wall costs.")
    max_walls_per_agent: int = engine_field("build", "max_walls_per_agent")
    max_destroys_per_agent: int = engine_field("build", "max_destroys_per_agent")


class GoalConfig(_Model):
    """An agent terminates (leaves the grid, acts no more) once it holds `amount` of `resource`."""

    resource: str = "heart"
    amount: int = Field(1, ge=1, le=MAX_AMOUNT)


class KinshipConfig(_Model):
    """How raw rewards r become mixed rewards r' = K r (see docs/social.md)."""

    scheme: Literal[KINSHIP_SCHEMES] = KINSHIP_SCHEMES[0]  # type: ignore[valid-type]
    normalize_rows: bool = engine_field("kinship", "normalize_rows")
    self_weight: float = engine_field("kinship", "self_weight")
    kin_weight: float = engine_field("kinship", "kin_weight")
    beta_a: float = engine_field("kinship", "beta_a")
    beta_b: float = engine_field("kinship", "beta_b")
    family_size: int = engine_field("kinship", "family_size")
    families_per_clan: int = engine_field("kinship", "families_per_clan")
    clans_per_tribe: int = engine_field("kinship", "clans_per_tribe")
    family_weight: float = engine_field("kinship", "family_weight")
    clan_weight: float = engine_field("kinship", "clan_weight")
    tribe_weight: float = engine_field("kinship", "tribe_weight")
    bond_window: int = engine_field("kinship", "bond_window")
    bond_weight: float = engine_field("kinship", "bond_weight")
    bond_cost: int = engine_field("kinship", "bond_cost")


def _default_converters() -> dict[str, ConverterConfig]:
    return {
        "mine": ConverterConfig(symbol="m", outputs={"diamond": 1}, cooldown=20),
        "charger": ConverterConfig(symbol="c", inputs={"diamond": 1}, outputs={"energy": 25}),
        "altar": ConverterConfig(symbol="a", inputs={"energy": 50}, outputs={"heart": 1}, cooldown=10),
    }


class GameConfig(_Model):
    """The rules of the game: resources, converters, groups (bodies), actions, episode length, observation."""

    num_agents: int | None = Field(
        24, ge=1, le=LIMITS["max_agents"], description="Agents on a random map, split evenly over the groups in order; "
        "None with an ASCII map (the map decides)."
    )
    resources: list[str] = Field(default_factory=lambda: ["energy", "diamond", "heart"])
    rewards: dict[str, Annotated[float, Field(ge=-1e6, le=1e6)]] = Field(
        default_factory=lambda: {"heart": 1.0}, description="Reward per unit of a resource produced at a converter, in [-1e6, 1e6] (so shared sums stay "
        "finite in float32)."
    )
    converters: dict[str, ConverterConfig] = Field(default_factory=_default_converters)
    groups: list[GroupConfig] = Field(default_factory=lambda: [GroupConfig(name="team_0")], min_length=1,
                                      max_length=LIMITS["max_groups"])
    actions: list[str] = Field(
        default_factory=lambda: [*BASIC_ACTIONS, "attack", "toggle_shield", "share", "glyph_0", "glyph_1", "glyph_2",
                                 "glyph_3", "marker_0", "marker_1"],
        min_length=1, max_length=LIMITS["max_actions"],
        description="The Discrete action table, by name; glyph_k / marker_k need k < glyphs / markers.",
    )
    combat: CombatConfig = Field(default_factory=CombatConfig)
    shield: ShieldConfig = Field(default_factory=ShieldConfig)
    share: ShareConfig = Field(default_factory=ShareConfig)
    build: BuildConfig = Field(default_factory=BuildConfig)
    glyphs: int = engine_field("game", "glyphs")
    markers: int = engine_field("game", "markers")
    marker_duration: int = engine_field("game", "marker_duration")
    goal: GoalConfig | None = Field(None, description="Terminate agents that reach it; None: agents never terminate.")
    shuffle_recipes: bool = engine_field("game", "shuffle_recipes")
    recipe_pool: list[list[int]] | None = Field(
        None, max_length=LIMITS["max_recipe_pool"],
        description="With shuffle_recipes: the permutations a reset draws from, uniformly (each lists, per converter "
        "kind in order, the index of the recipe it follows); None: any permutation. Keeps held-out recipes out of "
        "training.")
    max_steps: int = engine_field("game", "max_steps")
    obs_height: int = engine_field("game", "obs_height")
    obs_width: int = engine_field("game", "obs_width")

    @field_validator("actions")
    @classmethod
    def _known_action_names(cls, actions: list[str]) -> list[str]:
        for name in actions:
            parse_action(name)
        return actions

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
        for name, converter in self.converters.items():
            check(f"converters.{name}.inputs", converter.inputs)
            check(f"converters.{name}.outputs", converter.outputs)
        for group in self.groups:
            check(f"groups.{group.name}.body.resource_caps", group.body.resource_caps)
            check(f"groups.{group.name}.body.initial_inventory", group.body.initial_inventory)
            if group.posture is not None:
                check(f"groups.{group.name}.posture.resource_caps", group.posture.resource_caps)
                check(f"groups.{group.name}.posture.initial_inventory", group.posture.initial_inventory)
        return self


def _engine_map_names() -> dict[str, str]:
    names = {}
    for section, model in (("rooms", RoomsConfig), ("maze", MazeConfig), ("cave", CaveConfig)):
        for field_name, qualified in engine_fields(model).items():
            names[qualified.split(".", 1)[1]] = f"{section}.{field_name}"
    return names


_ENGINE_MAP_NAMES = _engine_map_names()  # e.g. corridor_width -> maze.corridor_width


def yaml_path(engine_message: str) -> str:
    """An engine error with its field named as a config file names it: the engine's ``obs_height`` is
    ``game.obs_height``, its ``map.corridor_width`` is ``map.maze.corridor_width``; the rest of the message is kept."""
    head, separator, rest = engine_message.partition(": ")
    if not separator:
        return engine_message
    paths, previous = [], ""
    for path in head.split(", "):
        if "." not in path and previous in ("map", "kinship"):  # "map.agents, converter_counts": both the map's
            path = f"{previous}.{path}"
        section, _, name = path.partition(".")
        previous = section
        if section == "map":
            paths.append(f"map.{_ENGINE_MAP_NAMES.get(name, name)}")
        elif section in ("kinship", "game"):
            paths.append(path)
        else:
            paths.append(f"game.{path}")
    return f"{', '.join(paths)}: {rest}"


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
        # Everything else about the rules (ranges that depend on each other, odd windows, unique symbols, room fit,
        # objects that fit a map, ...) is the engine's to check, here as when a world is made.
        try:
            _core.validate_rules(self.to_rules())
        except ValueError as error:
            raise ValueError(yaml_path(str(error))) from None
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
            copy_engine_fields(converter, core_converter)
            converters.append(core_converter)
        rules.converters = converters
        def core_body(body: BodyConfig) -> _core.BodyRules:
            rules_body = _core.BodyRules()
            rules_body.action_costs = [body.action_costs.get(kind, 0) for kind in ACTION_KINDS]
            caps = per_resource(body.resource_caps, default=MAX_AMOUNT)
            caps[0] = body.energy_cap
            rules_body.resource_caps = caps
            initial = per_resource(body.initial_inventory)
            initial[0] = body.initial_energy
            rules_body.initial_inventory = initial
            copy_engine_fields(body, rules_body)
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
        copy_engine_fields(game.combat, combat)
        combat.stealable = [1 if name in game.combat.stealable else 0 for name in resources]
        rules.combat = combat
        shield = _core.ShieldRules()
        copy_engine_fields(game.shield, shield)
        rules.shield = shield
        share = _core.ShareRules()
        copy_engine_fields(game.share, share)
        share.resource = index[game.share.resource]
        rules.share = share
        build = _core.BuildRules()
        copy_engine_fields(game.build, build)
        build.cost = per_resource(game.build.cost)
        rules.build = build
        kinship = _core.KinshipRules()
        copy_engine_fields(self.kinship, kinship)
        kinship.scheme = getattr(_core.KinshipScheme, self.kinship.scheme)
        rules.kinship = kinship
        copy_engine_fields(game, rules)

        core_map = self.map.to_rules(game.num_agents, list(game.converters))
        if self.map.generator != "ascii":
            groups = len(game.groups)
            base, extra = divmod(game.num_agents, groups)
            rules.agents_per_group = [base + (1 if g < extra else 0) for g in range(groups)]
        if game.goal is not None:
            rules.goal_resource = index[game.goal.resource]
            rules.goal_amount = game.goal.amount
        rules.recipe_pool = game.recipe_pool or []
        rules.map = core_map
        return rules
