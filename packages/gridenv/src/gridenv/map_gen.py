"""Map generator configs (mirroring cpp/map_gen.hpp): what each generator draws, its parameters, and checks.

Generators run in C++ at every reset, from the world's RNG (so a map is a pure function of config and seed):

=========  ==========================================================================================================
random     wall border, interior walls with probability ``wall_density``
ascii      a fixed map (``ascii``: the text, or ``ascii_file``: a path read when the config loads); legend: ``#`` wall,
           ``.``/space empty, ``0``-``9`` agent of that group, converter symbols
rooms      ``rooms.rows`` x ``rooms.cols`` rooms, one door at a random place in every wall between neighbours
maze       a perfect maze (every open cell reachable) with corridors ``maze.corridor_width`` wide, by recursive
           backtracking (long winding corridors) or randomised Kruskal (many short dead ends)
cave       cellular automaton (``cave.fill``, ``cave.steps`` smoothing passes); all open regions but the largest are
           filled, so the cave is connected
composite  ``parts`` (any maps) laid out left to right, ``columns`` per row, each in a slot the size of the largest
=========  ==========================================================================================================

All but ascii then place the agents and their converters on distinct free cells: ``converter_counts`` of each kind,
plus ``converter_densities`` (a fraction of the map's cells: ``round(density * width * height)`` more of that kind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gridenv import _core
from gridenv.schema import LIMITS, copy_engine_fields, engine_field

GENERATORS: tuple[str, ...] = tuple(_core.MapGenerator.__members__)
"""The engine's map generators (cpp/map_gen.hpp), its default first."""
MAZE_ALGORITHMS: tuple[str, ...] = tuple(_core.MazeAlgorithm.__members__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class RoomsConfig(_Model):
    rows: int = engine_field("map", "room_rows")
    cols: int = engine_field("map", "room_cols")


class MazeConfig(_Model):
    algorithm: Literal[MAZE_ALGORITHMS] = MAZE_ALGORITHMS[0]  # type: ignore[valid-type]
    corridor_width: int = engine_field("map", "corridor_width")


class CaveConfig(_Model):
    fill: float = engine_field("map", "cave_fill")
    steps: int = engine_field("map", "cave_steps")


def ascii_rows(text: str) -> list[str]:
    """Rows of an ASCII map: its lines, blank leading/trailing lines dropped. Trailing spaces are kept: a space is an
    empty cell like '.', so ``"#0.a \n"`` is five cells wide."""
    rows = text.splitlines()
    while rows and not rows[0].strip():
        rows.pop(0)
    while rows and not rows[-1].strip():
        rows.pop()
    return rows


class MapConfig(_Model):
    """The layout: which generator draws the map, and its parameters (see the module docstring)."""

    generator: Literal[GENERATORS] = GENERATORS[0]  # type: ignore[valid-type]
    width: int = engine_field("map", "width")
    height: int = engine_field("map", "height")
    ascii: str | None = Field(None, description="The fixed map of the ascii generator.")
    agents: int | None = Field(
        None, ge=0, le=LIMITS["max_agents"], description="Agents this map places; None: the top-level map takes game.num_agents and "
        "a composite shares what its ASCII parts leave evenly among its generated parts.")
    converter_counts: dict[str, Annotated[int, Field(ge=0, le=LIMITS["max_converters_per_kind"])]] = Field(
        default_factory=lambda: {"mine": 20, "charger": 8, "altar": 6},
        description="How many of each converter a generated map places.",
    )
    converter_densities: dict[str, float] = Field(
        default_factory=dict,
        description="Converters as a fraction of the map's cells, per kind: adds round(density * width * height) to "
        "that kind's count (so a map scales its objects with its size).",
    )
    wall_density: float = engine_field("map", "wall_density")
    rooms: RoomsConfig = Field(default_factory=RoomsConfig)
    maze: MazeConfig = Field(default_factory=MazeConfig)
    cave: CaveConfig = Field(default_factory=CaveConfig)
    parts: list[MapConfig] = Field(default_factory=list, description="composite: the maps laid side by side.")
    columns: int = engine_field("map", "columns")

    @model_validator(mode="before")
    @classmethod
    def _ascii_implies_generator(cls, data):
        if isinstance(data, dict) and data.get("ascii_file") is not None:
            # A map file is read once, here: the config then holds the text, so it saves and reloads losslessly.
            data = dict(data)
            path = Path(data.pop("ascii_file")).expanduser()
            if data.get("ascii") is not None:
                raise ValueError("give either `ascii` (the text) or `ascii_file` (a path), not both")
            try:
                data["ascii"] = path.read_text()
            except OSError as error:
                raise ValueError(f"ascii_file: cannot read {str(path)!r}: {error.strerror}") from None
        if isinstance(data, dict) and data.get("ascii") is not None and "generator" not in data:
            data = {**data, "generator": "ascii"}
        return data

    @field_validator("ascii")
    @classmethod
    def _rectangular(cls, text: str | None) -> str | None:
        if text is None:
            return None
        rows = ascii_rows(text)
        if not rows:
            raise ValueError("the ASCII map is empty")
        for r, row in enumerate(rows):
            for c, symbol in enumerate(row):
                if not " " <= symbol <= "~":  # the engine reads one byte a cell: only printable ASCII can be a cell
                    raise ValueError(f"row {r}, column {c}: {symbol!r} is not a map symbol; symbols are printable "
                                     f"ASCII: '#', '.', ' ', the digits 0-9 and the converters' symbols")
        widths = {len(row) for row in rows}
        if len(widths) != 1:
            raise ValueError(f"every row of the ASCII map must have the same width, got widths {sorted(widths)}")
        return text

    @field_validator("converter_densities")
    @classmethod
    def _fractions(cls, densities: dict[str, float]) -> dict[str, float]:
        for name, density in densities.items():
            if not 0.0 <= density < 1.0:
                raise ValueError(f"density of {name!r} must be in [0, 1), got {density}")
        return densities

    def converter_count(self, name: str) -> int:
        """How many converters of kind `name` this (generated) map places."""
        return self.converter_counts.get(name, 0) + round(self.converter_densities.get(name, 0.0) * self.width *
                                                          self.height)

    @model_validator(mode="after")
    def _generator_parameters(self) -> MapConfig:
        if self.generator == "ascii" and self.ascii is None:
            raise ValueError("generator 'ascii' needs the map text in `ascii`")
        if self.generator != "ascii" and self.ascii is not None:
            raise ValueError(f"`ascii` is set but generator is {self.generator!r}; set generator: ascii")
        if self.generator == "composite" and not self.parts:
            raise ValueError("generator 'composite' needs at least one map in `parts`")
        if self.generator != "composite" and self.parts:
            raise ValueError(f"`parts` is set but generator is {self.generator!r}; set generator: composite")
        limit = LIMITS["max_converters_per_kind"]
        for name in self.converter_densities:  # densities are Python's: say how a count past the engine's limit came
            count = self.converter_count(name)
            if count > limit:
                raise ValueError(f"converter_densities: {name!r} comes to {count:,} converters ("
                                 f"{self.converter_counts.get(name, 0)} counted + "
                                 f"{self.converter_densities.get(name, 0.0)} x {self.width}x{self.height} cells); "
                                 f"a kind may have at most {limit:,}")
        return self

    def fixed_agents(self) -> int:
        """Agents placed by ASCII maps (their digits) anywhere in this map."""
        if self.generator == "ascii":
            return sum(ch.isdigit() for ch in self.ascii)
        return sum(part.fixed_agents() for part in self.parts)

    def generated_parts(self) -> int:
        """Maps in this tree that place generated agents (not ASCII)."""
        if self.generator == "ascii":
            return 0
        if self.generator == "composite":
            return sum(part.generated_parts() for part in self.parts)
        return 1

    def to_rules(self, num_agents: int | None, converters: list[str]) -> _core.MapRules:
        """The engine's MapRules, placing `num_agents` agents in total (None: the ASCII digits decide)."""
        rules = _core.MapRules()
        rules.generator = getattr(_core.MapGenerator, self.generator)
        if self.generator == "ascii":
            rows = ascii_rows(self.ascii)
            rules.ascii = "".join(rows)
            rules.height, rules.width = len(rows), len(rows[0])
            return rules
        copy_engine_fields(self, rules)
        if self.generator == "composite":
            to_share = (num_agents or 0) - self.fixed_agents()
            open_parts = [p for p in self.parts if p.generator != "ascii" and p.agents is None]
            to_share -= sum(p.agents for p in self.parts if p.generator != "ascii" and p.agents is not None)
            if to_share < 0 or (to_share > 0 and not open_parts):
                raise ValueError(f"map.parts: cannot place {num_agents} agents in these parts")
            share, extra = divmod(to_share, max(1, len(open_parts)))
            parts = []
            for part in self.parts:
                if part in open_parts:
                    index = open_parts.index(part)
                    parts.append(part.to_rules(share + (1 if index < extra else 0), converters))
                    open_parts[index] = None  # each part once, even if two are equal
                else:
                    parts.append(part.to_rules(part.agents, converters))
            rules.parts = parts
            rules.columns = self.columns
            return rules
        for field in ("converter_counts", "converter_densities"):
            for name in getattr(self, field):
                if name not in converters:
                    raise ValueError(f"map.{field}: unknown converter {name!r}; converters are {converters}")
        rules.agents = self.agents if self.agents is not None else (num_agents or 0)
        rules.converter_counts = [self.converter_count(name) for name in converters]
        for section in (self, self.rooms, self.maze, self.cave):
            copy_engine_fields(section, rules)
        rules.maze_algorithm = getattr(_core.MazeAlgorithm, self.maze.algorithm)
        return rules
