"""The engine's schema (cpp/schema.hpp) on the Python side: config fields built from it, never restated.

Every tunable scalar of the rules — its type, default, bounds and meaning — is declared once in C++ and exported as
``_core.SCHEMA`` (``{concept: {field: {type, default, low, high, bounds, doc}}}``). :func:`engine_field` turns a row
into a pydantic ``Field`` with that default, those bounds (``ge``/``gt``/``le``/``lt``) and that description, so the
config models of :mod:`gridenv.config` and :mod:`gridenv.map_gen` follow the engine: changing a default in C++ changes
the Python default with it. Python keeps only what is its own: where a field sits in the YAML (``maze.corridor_width``
is the engine's ``map.corridor_width``), names instead of indices, and suggestions in error messages.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gridenv import _core

SCHEMA: dict[str, dict[str, dict[str, Any]]] = _core.SCHEMA
LIMITS: dict[str, int] = _core.LIMITS
"""Sizes the engine's data layout holds: max_amount (255: inventories are observed as uint8), max_agents, ..."""
RESERVED_MAP_SYMBOLS: str = _core.RESERVED_MAP_SYMBOLS

_PYTHON_TYPES = {"int": int, "float": float, "bool": bool}


def engine_field(concept: str, name: str) -> Any:
    """A pydantic Field for the engine's scalar ``concept.name``: its default, bounds and description.

    The field carries ``json_schema_extra={"engine": "concept.name"}``, which is how :func:`engine_fields` (and the
    drift test) find every field that comes from the engine."""
    row = SCHEMA[concept][name]
    bounds: dict[str, Any] = {}
    if row["type"] != "bool":
        bounds["gt" if row["bounds"] == "low_open" else "ge"] = row["low"]
        bounds["lt" if row["bounds"] == "high_open" else "le"] = row["high"]
    default = _PYTHON_TYPES[row["type"]](row["default"])
    return Field(default, description=row["doc"], json_schema_extra={"engine": f"{concept}.{name}"}, **bounds)


def engine_fields(model: type) -> dict[str, str]:
    """The fields of a pydantic model class that come from the engine: {python field name: "concept.name"}."""
    fields = {}
    for field_name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and "engine" in extra:
            fields[field_name] = extra["engine"]
    return fields


def copy_engine_fields(config: Any, rules: Any) -> None:
    """Copy every engine field of a config model onto the engine struct it mirrors (``rules``), by engine name."""
    for field_name, qualified in engine_fields(type(config)).items():
        setattr(rules, qualified.split(".", 1)[1], getattr(config, field_name))
