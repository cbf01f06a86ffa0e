"""Dotted overrides from the command line: ``game.num_agents=12 map.width=40 kinship.scheme=clans``.

Values are read as YAML scalars, the seed runner's convention: only lowercase ``true``/``false`` are booleans (YAML
1.1's ``yes``/``no``/``on``/``off``/``True`` stay strings), numbers are numbers (``1e-3`` too), ``null`` is None, and
quoted strings stay strings (``name='42'``). A path through a model must name one of its fields (an unknown key
raises an error suggesting the closest field of that model); a path through a dict (``game.rewards.diamond``) may
add a key, but a dict of models (``game.converters``) only takes a new key with a whole value
(``game.converters.gem={symbol: g, outputs: {heart: 1}}``), so ``game.converters.mien.cooldown=3`` is a typo, not a
new converter; a path through a list takes an index (``game.groups.0.body.energy_cap=50``).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml
from pydantic import BaseModel


MAX_CONFIG_BYTES = 16 << 20  # a config file or override larger than this is refused before parsing


class ConfigLoader(yaml.SafeLoader):
    """YAML as gridenv reads configs: safe types only, and no aliases. Configs never need ``*alias``, and a few
    nested aliases ("billion laughs") expand to a tree that took 107 s to validate before it was refused."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"YAML aliases (*{event.anchor}) are not allowed in "
                                              f"gridenv configs; write the value out", event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str, source: str) -> Any:
    """Parse a YAML config text with ConfigLoader; ValueError naming ``source`` if it is too large or malformed."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ValueError(f"{source}: {len(text):,} characters; configs are limited to {MAX_CONFIG_BYTES:,}")
    try:
        return yaml.load(text, Loader=ConfigLoader)
    except yaml.YAMLError as error:
        raise ValueError(f"{source}: not valid YAML: {error}") from None
    except RecursionError:
        raise ValueError(f"{source}: nested too deeply") from None


class _OverrideLoader(ConfigLoader):
    """YAML with the seed runner's booleans: only ``true`` and ``false``."""


_OverrideLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_OverrideLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_value(text: str) -> Any:
    """A command-line value as a YAML scalar (or flow list/dict); unquoted ``1e-3`` is a float too (YAML 1.1 would
    keep it a string)."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ValueError(f"override value of {len(text):,} characters; the limit is {MAX_CONFIG_BYTES:,}")
    try:
        value = yaml.load(text, Loader=_OverrideLoader) if text != "" else ""
    except yaml.composer.ComposerError as error:  # an alias: refused, not read as a string
        raise ValueError(f"override value {text[:40]!r}: {error.problem}") from None
    except (yaml.YAMLError, RecursionError):
        return text
    if isinstance(value, str) and _NUMBER.fullmatch(text.strip()):
        return float(text)
    return value


def split_override(item: str) -> tuple[str, Any]:
    """``"a.b=3"`` -> (``"a.b"``, 3); raises ValueError without ``=``."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError(f"override {item!r}: expected key=value, e.g. game.num_agents=12")
    return key.strip(), parse_value(value)


def _unknown_key(full_key: str, walked: list[str], head: str, choices: list[str], what: str) -> ValueError:
    close = difflib.get_close_matches(head, choices, n=1, cutoff=0.5)
    hint = f"; did you mean {'.'.join([*walked, close[0]])!r}?" if close else ""
    return ValueError(f"unknown key {full_key!r}: {head!r} is not one of {', '.join(choices)} ({what}){hint}")


def set_path(data: Any, model: Any, path: list[str], value: Any, full_key: str, walked: list[str]) -> None:
    """Set `value` at `path` in `data` (the model's dump), checking each step against `model`; `walked` is the path
    so far (for the messages)."""
    head, rest = path[0], path[1:]
    if isinstance(model, BaseModel):
        if head not in type(model).model_fields:
            raise _unknown_key(full_key, walked, head, list(type(model).model_fields),
                               f"the fields of {'.'.join(walked) or 'the config'}")
        child_model = getattr(model, head)
    elif isinstance(model, dict):
        child_model = model.get(head)
        holds_models = any(isinstance(v, BaseModel) for v in model.values())
        if child_model is None and rest and holds_models:
            raise _unknown_key(full_key, walked, head, list(model),
                               f"the entries of {'.'.join(walked)}; add a new one with a whole value, "
                               f"{'.'.join([*walked, head])}={{...}}")
    elif isinstance(model, list):
        if not head.isdigit() or int(head) >= len(model):
            raise ValueError(f"{full_key!r}: {head!r} is not an index of a list of {len(model)}")
        head = int(head)
        child_model = model[head]
    else:
        raise ValueError(f"{full_key!r}: cannot go into a {type(model).__name__} value")
    # `data` is what earlier overrides left, which may no longer match the model (``game={}`` or
    # ``game.rewards=5`` before ``game.rewards.heart=1``): each step checks it too, so no KeyError or TypeError escapes.
    here = ".".join([*walked, str(head)])
    if not isinstance(data, (dict, list)):
        raise ValueError(f"{full_key!r}: {'.'.join(walked)} is a {type(data).__name__} (an earlier override set it "
                         f"whole); override its fields first, or set it whole")
    if isinstance(data, list) and head >= len(data):
        raise ValueError(f"{full_key!r}: {here} is past the end of a list of {len(data)} (an earlier override)")
    if not rest:
        data[head] = value
        return
    if child_model is None and isinstance(model, dict):
        data[head] = {}
        child_model = {}
    if isinstance(data, dict) and head not in data:  # an earlier override replaced the parent without this field
        data[head] = {}
    set_path(data[head], child_model, rest, value, full_key, [*walked, str(head)])


def apply_overrides(config: BaseModel, items: list[str]) -> BaseModel:
    """A copy of `config` with dotted ``key=value`` overrides applied and validated again."""
    data = config.model_dump(mode="json")
    for item in items:
        key, value = split_override(item)
        set_path(data, config, key.split("."), value, key, [])
    return type(config).model_validate(data)
