"""Coverage-guided fuzzing (atheris) of gridenv's config layer: YAML and JSON config files, dotted overrides, nested
keyword overrides, and the boundary between pydantic's validation and the engine's own (docs/fuzzing.md).

An input is text; its first line picks what the rest is:

    file yaml | file json      the rest, as bytes, is a config file: EnvConfig.load
    overrides NAME             one dotted override a line, on a registered env: apply_overrides (the CLI's path)
    kwargs NAME                a YAML mapping of nested overrides: gridenv.parallel_env(NAME, **mapping)
    boundary NAME              lines PATH=VALUE (a YAML scalar): the differential check below

Every config the Python layer accepts is made into an env (when it is small enough to be quick), reset, stepped,
saved and loaded. ValueError (pydantic's ValidationError is one) is a refusal; any other exception is a finding, and
so is an engine that refuses a config pydantic accepted with something other than ValueError.

`boundary` sets one field of a registered env's config (the first line that names one) WITHOUT pydantic (model_copy
does not validate), then compares: if pydantic refuses the config but the engine (_core.World, which gridenv._core users reach
directly) accepts the rules made from it, the engine's validation has a gap. The gaps already reported are listed
in KNOWN_GAPS (each also in docs/fuzzing.md); any other is a finding. GRIDENV_FUZZ_STRICT=1 makes the known ones
(KNOWN_GAPS, KNOWN_FINDINGS) fail too: run it on tests/fuzz/crashes/ to check a fix.

    python tests/fuzz/fuzz_config.py -max_total_time=60 tests/fuzz/corpus-config    # (.ci/sanitizers runs it)
    python tests/fuzz/fuzz_config.py --write-seeds tests/fuzz/corpus-config         # rewrite the seed inputs
    python tests/fuzz/fuzz_config.py --survey      # every field of every registered env x edge values: list gaps
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris
import warnings

with atheris.instrument_imports(include=["gridenv"]):
    import numpy as np
    from pydantic import BaseModel

    import gridenv
    import gridenv.vector
    from gridenv import _core
    from gridenv.config import EnvConfig
    from gridenv.envs import resolve_config
    from gridenv.overrides import apply_overrides, load_yaml, parse_value
    from gridenv.parallel_env import GridParallelEnv

warnings.filterwarnings("ignore", module="pydantic")  # model_dump of unvalidated values warns; that is the point
NAMES = gridenv.list_envs()
MAX_CELLS = 64 * 64  # envs larger than this are validated but not made (the point is the config layer, not big maps)
MAX_AGENTS = 64

# Fields pydantic checks that the engine never sees (names, the version, renderer settings): no gap possible.
NOT_ENGINE_FIELDS = {"name", "version"}

# Python refuses, the engine accepts: reported gaps (docs/fuzzing.md, "Findings"), matched by the changed path with
# list indices and dict keys replaced by '*'. Remove an entry once the engine refuses it too.
KNOWN_GAPS: dict[str, str] = {}  # none open: rewards, duplicate actions and goal amount 0 were fixed in d54aeed
# Not gaps: parameters of another generator than the map's (the engine checks them where they are read: the survey
# finds no gap for the rooms, maze and cave envs), and stealable lists, which the translation turns into 0/1 flags
# whatever they hold.
INERT_UNLESS = {"map.rooms.rows": "rooms", "map.rooms.cols": "rooms", "map.maze.corridor_width": "maze",
                "map.maze.algorithm": "maze", "map.cave.fill": "cave", "map.cave.steps": "cave"}
TRANSLATED = {"game.combat.stealable", "game.combat.stealable.*"}


# Findings in the Python layer that are reported (docs/fuzzing.md) but not fixed yet; the harness lets them pass so
# that it keeps looking for others. Delete an entry once it is fixed, and the code that lets it pass.
KNOWN_FINDINGS: dict[str, str] = {}  # none open: overrides after a replaced parent were fixed in d54aeed


class Finding(Exception):
    """A broken promise, raised to stop atheris with the input saved."""


def cells(map_config: Any) -> int:
    if map_config.generator == "ascii":
        return len(map_config.ascii or "")
    if map_config.generator == "composite":
        return len(map_config.parts) * max((cells(part) for part in map_config.parts), default=0)
    return map_config.width * map_config.height


def exercise(config: EnvConfig) -> None:
    """Make the env (if small), reset, step, save and load: a config pydantic accepted must work or raise
    ValueError from the engine."""
    if cells(config.map) > MAX_CELLS or (config.game.num_agents or 0) > MAX_AGENTS:
        return
    try:
        env = GridParallelEnv(config, render_mode="ansi")
    except ValueError:
        return  # the engine refused (e.g. objects that do not fit the map): a refusal with a message
    observations, _ = env.reset(seed=0)
    state = env.save_state()
    rng = np.random.default_rng(0)
    for _ in range(3):
        if not env.agents:
            break
        env.step({agent: int(rng.integers(env.action_space(agent).n)) for agent in env.agents})
    env.render()
    env.load_state(state)
    with gridenv.vector.VecEnv(config, num_envs=2, num_threads=1, action_mask=True) as vec:
        vec.reset(seed=0)
        vec.step(np.zeros(vec.num_envs * vec.agents_per_env, dtype=np.int32))
        vec.load_state(vec.save_state())


def load_file(suffix: str, body: bytes) -> None:
    path = Path(WORK) / f"config.{suffix}"
    path.write_bytes(body)
    exercise(EnvConfig.load(path))


def overrides(name: str, lines: list[str]) -> None:
    exercise(apply_overrides(resolve_config(name), [line for line in lines if line]))


def kwargs(name: str, text: str) -> None:
    mapping = load_yaml(text, "<kwargs>") if text.strip() else {}  # a refusal raises ValueError
    if not isinstance(mapping, dict) or not all(isinstance(key, str) for key in mapping):
        return
    mapping.pop("name_or_config", None)  # would be Python's own TypeError (the argument twice), not the library's
    env = gridenv.parallel_env(name, **mapping)  # small or not: the engine has accepted it already
    env.reset(seed=1)


# --- the pydantic/engine boundary -------------------------------------------------------------------------------
def set_unvalidated(model: BaseModel, path: list[str], value: Any) -> BaseModel:
    """A copy of `model` with `value` at `path`, with no validation anywhere (model_copy)."""
    head, rest = path[0], path[1:]
    if head not in type(model).model_fields:
        raise LookupError(head)
    child = getattr(model, head)
    if not rest:
        return model.model_copy(update={head: value})
    if isinstance(child, BaseModel):
        return model.model_copy(update={head: set_unvalidated(child, rest, value)})
    if isinstance(child, dict):
        key, inner = rest[0], rest[1:]
        new = dict(child)
        if inner:
            if not isinstance(new.get(key), BaseModel):
                raise LookupError(key)
            new[key] = set_unvalidated(new[key], inner, value)
        else:
            new[key] = value
        return model.model_copy(update={head: new})
    if isinstance(child, list):
        index, inner = int(rest[0]), rest[1:]
        new = list(child)
        if not 0 <= index < len(new):
            raise LookupError(index)
        if inner:
            if not isinstance(new[index], BaseModel):
                raise LookupError(index)
            new[index] = set_unvalidated(new[index], inner, value)
        else:
            new[index] = value
        return model.model_copy(update={head: new})
    raise LookupError(head)


def pattern(config: EnvConfig, path: list[str]) -> str:
    """The path with list indices and dict keys as '*' (what KNOWN_GAPS is keyed by)."""
    out, node = [], config
    for part in path:
        if isinstance(node, BaseModel):
            out.append(part)
            node = getattr(node, part, None)
        elif isinstance(node, dict):
            out.append("*")
            node = node.get(part)
        else:
            out.append("*")
            node = node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node) else None
    return ".".join(out)


def same_rules(a: Any, b: Any) -> bool:
    """Equal engine rules, told by what a world saves: its state carries a digest of every rule (cpp/rules.hpp)."""
    states = []
    for rules in (a, b):
        world = _core.World(rules)
        n, c = world.num_agents, world.num_channels
        buffers = [np.zeros((n, c, rules.obs_height, rules.obs_width), np.uint8), np.zeros(n, np.int32),
                   np.zeros(n, np.float32), np.zeros(n, bool), np.zeros(n, bool)]
        world.bind_buffers(*buffers)
        world.reset(0)
        states.append(world.save_state())
    return states[0] == states[1]


def boundary(name: str, lines: list[str]) -> None:
    """The first line PATH=VALUE that names a field: set it without pydantic and compare the two validations."""
    original = resolve_config(name)
    for line in lines[:4]:
        key, sep, text = line.partition("=")
        path = [part for part in key.strip().split(".") if part]
        if not sep or not path or path[-1] in NOT_ENGINE_FIELDS or ("groups" in path and path[-1] == "name"):
            continue
        try:
            config = set_unvalidated(original, path, parse_value(text))
            break
        except (LookupError, ValueError):
            continue
    else:
        return
    try:
        EnvConfig.model_validate(config.model_dump(warnings=False))
        return  # pydantic accepts: nothing to compare (the other modes make such envs)
    except ValueError as error:
        refusal = " / ".join(str(error).splitlines()[1:3])
    except Exception:  # pydantic cannot even dump the unvalidated value (a str where a model belongs): no config
        return
    try:
        rules = config.to_rules()
        _core.World(rules)
    except Exception:  # the translation needs what pydantic checks (a known name, an int), or the engine refuses
        return
    if cells(original.map) <= MAX_CELLS and same_rules(rules, original.to_rules()):
        return  # the change never reaches the engine (a name pydantic checks, a value the translation drops)
    gap = pattern(original, path)
    if (gap in KNOWN_GAPS and not STRICT) or gap in TRANSLATED or INERT_UNLESS.get(gap, original.map.generator) != original.map.generator:
        return
    if SURVEY:  # list every kind of gap instead of stopping at the first
        if gap not in SURVEYED:
            print(f"GAP {gap}: {name} {'.'.join(path)}={text.strip()} :: pydantic: {refusal}", file=sys.stderr)
        SURVEYED.setdefault(gap, set()).add(f"{name}:{text.strip()}")
        return
    raise Finding(f"pydantic refuses but the engine accepts {gap}: {name} with {'.'.join(path)}={text.strip()}; "
                  f"pydantic: {refusal}")


EDGE_VALUES = ["-1", "0", "1", "2", "3", "255", "256", "4096", "4097", "65535", "65536", "1000001", "1e7", "-1e7",
               "0.5", "-0.5", "1.5", "nan", "inf", "-inf", "''", "'#'", "'.'", "'0'", "'ab'", "'\\x7f'", "true",
               "null", "energy", "[]", "[energy, energy]", "[diamond]", "[noop, noop]", "[glyph_9]"]


def leaf_paths(node: Any, prefix: list[str]) -> list[list[str]]:
    """Every field path of a config down to its leaves (dict entries and list items included)."""
    if isinstance(node, BaseModel):
        return [p for field in type(node).model_fields for p in leaf_paths(getattr(node, field), [*prefix, field])]
    if isinstance(node, dict) and node:
        return [prefix] + [p for key, value in node.items() for p in leaf_paths(value, [*prefix, str(key)])]
    if isinstance(node, list) and node:
        return [prefix] + [p for i, value in enumerate(node) for p in leaf_paths(value, [*prefix, str(i)])]
    return [prefix]


def survey() -> None:
    """Every leaf of every registered env's config, set to every edge value: print each kind of gap once."""
    global SURVEY
    SURVEY = True
    tried = 0
    for name in NAMES:
        for path in leaf_paths(resolve_config(name), []):
            for value in EDGE_VALUES:
                tried += 1
                try:
                    boundary(name, [f"{'.'.join(path)}={value}"])
                except Exception as error:  # noqa: BLE001  (a survey lists, it does not stop)
                    print(f"ERROR {name} {'.'.join(path)}={value}: {type(error).__name__}: {error}", file=sys.stderr)
    for gap, cases in sorted(SURVEYED.items()):
        print(f"{gap}: {' '.join(sorted(cases))}", file=sys.stderr)
    print(f"survey: {tried} single-field changes, {len(SURVEYED)} kinds of gap", file=sys.stderr)


def test_one_input(data: bytes) -> None:
    head, _, body = data.partition(b"\n")
    words = head.decode("utf-8", "replace").split()
    if not words:
        return
    name = words[1] if len(words) > 1 and words[1] in NAMES else NAMES[len(words[0]) % len(NAMES)]
    text = body.decode("utf-8", "replace")
    try:
        if words[0] == "file" and len(words) > 1 and words[1] in ("yaml", "json"):
            load_file(words[1], body)
        elif words[0] == "overrides":
            overrides(name, text.splitlines()[:8])
        elif words[0] == "kwargs":
            kwargs(name, text)
        elif words[0] == "boundary":
            boundary(name, text.splitlines())
    except ValueError:
        pass  # a refusal, with a message (pydantic's ValidationError is a ValueError)
    except RecursionError as error:  # deep YAML/JSON must be refused by name, not by the interpreter
        raise Finding(f"RecursionError escaped the config layer: {error}") from None


def write_seeds(folder: Path) -> None:
    """Seed inputs: every registered env as a YAML and a JSON file, a few overrides, kwargs and boundary lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        config = resolve_config(name)
        (folder / f"file-yaml-{name}").write_text("file yaml\n" + config.to_yaml())
        (folder / f"file-json-{name}").write_text("file json\n" + config.to_json())
    (folder / "overrides").write_text("overrides arena-small\ngame.num_agents=6\nmap.width=10\nkinship.scheme=clans\n"
                                      "game.groups.0.body.energy_cap=50\ngame.converters.gem={symbol: g, outputs: "
                                      "{heart: 1}}\n")
    (folder / "kwargs").write_text("kwargs maze-small\ngame: {max_steps: 30}\nmap: {maze: {algorithm: kruskal}}\n")
    (folder / "boundary").write_text("boundary arena-small\ngame.rewards.heart=2e6\n")
    (folder / "boundary-kinship").write_text("boundary cooperation\nkinship.self_weight=0\n")
    (folder / "boundary-converter").write_text("boundary in-context\ngame.converters.mine.users_required=5\n")


WORK = tempfile.mkdtemp(prefix="gridenv-fuzz-config-")
STRICT = os.environ.get("GRIDENV_FUZZ_STRICT") == "1"  # known gaps and findings fail too (checks a fix: crashes/)
SURVEY = os.environ.get("GRIDENV_FUZZ_SURVEY") == "1"  # print each new kind of boundary gap, do not stop
SURVEYED: dict[str, set[str]] = {}

if __name__ == "__main__":
    if sys.argv[1:2] == ["--survey"]:
        survey()
        sys.exit(0)
    if sys.argv[1:2] == ["--write-seeds"]:
        write_seeds(Path(sys.argv[2]))
        sys.exit(0)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
