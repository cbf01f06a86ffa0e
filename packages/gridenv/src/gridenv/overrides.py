"""Dotted overrides from the command line: ``game.num_agents=12 map.width=40 kinship.scheme=clans``.

Values are read as YAML scalars, the seed runner's convention: ``true``/``false`` are booleans, numbers are numbers,
``null`` is None, and quoted strings stay strings (``name='42'``). A path through a model must name one of its
fields (an unknown key raises an error suggesting the closest); a path through a dict (``game.rewards.diamond``) may
add a key; a path through a list takes an index (``game.groups.0.body.energy_cap=50``).
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml
from pydantic import BaseModel


def parse_value(text: str) -> Any:
    """A command-line value as a YAML scalar (or flow list/dict); unquoted ``1e-3`` is a float too (YAML 1.1 would
    keep it a string)."""
    try:
        value = yaml.safe_load(text) if text != "" else ""
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and not text.strip().startswith(("'", '"')):
        try:
            return float(text)
        except ValueError:
            pass
    return value


def split_override(item: str) -> tuple[str, Any]:
    """``"a.b=3"`` -> (``"a.b"``, 3); raises ValueError without ``=``."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError(f"override {item!r}: expected key=value, e.g. game.num_agents=12")
    return key.strip(), parse_value(value)


def valid_keys(model: BaseModel, prefix: str = "") -> list[str]:
    """Every dotted key reachable through models (not through dicts or lists)."""
    keys = []
    for name in type(model).model_fields:
        key = f"{prefix}{name}"
        keys.append(key)
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            keys.extend(valid_keys(value, key + "."))
    return keys


def set_path(data: Any, model: Any, path: list[str], value: Any, full_key: str, root: BaseModel) -> None:
    """Set `value` at `path` in `data` (the model's dump), checking each step against `model`."""
    head, rest = path[0], path[1:]
    if isinstance(model, BaseModel):
        if head not in type(model).model_fields:
            close = difflib.get_close_matches(full_key, valid_keys(root), n=1, cutoff=0.5)
            fields = ", ".join(type(model).model_fields)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown key {full_key!r}: {head!r} is not one of {fields}{hint}")
        child_model = getattr(model, head)
    elif isinstance(model, dict):
        child_model = model.get(head)
    elif isinstance(model, list):
        if not head.isdigit() or int(head) >= len(model):
            raise ValueError(f"{full_key!r}: {head!r} is not an index of a list of {len(model)}")
        head = int(head)
        child_model = model[head]
    else:
        raise ValueError(f"{full_key!r}: cannot go into a {type(model).__name__} value")
    if not rest:
        data[head] = value
        return
    if child_model is None and isinstance(model, dict):
        data[head] = {}
        child_model = {}
    set_path(data[head], child_model, rest, value, full_key, root)


def apply_overrides(config: BaseModel, items: list[str]) -> BaseModel:
    """A copy of `config` with dotted ``key=value`` overrides applied and validated again."""
    data = config.model_dump(mode="json")
    for item in items:
        key, value = split_override(item)
        set_path(data, config, key.split("."), value, key, config)
    return type(config).model_validate(data)
