"""One source of truth for the rules (issue 15): the engine's schema (cpp/schema.hpp) builds the Python config.

The engine declares every tunable scalar once; gridenv.schema.engine_field builds the pydantic fields from those rows,
EnvConfig asks the engine to validate a whole config, and gridenv.Game derives spaces and names without an env.
These tests fail on drift: a row no config field uses, a field whose default, bounds or description differ from its
row, a number in a Python bound that is not an engine limit, and (slow) a C++ default changed on its own that the
Python config does not follow.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import annotated_types
import numpy as np
import pytest

import gridenv
from gridenv import _core
from gridenv.config import (BodyConfig, BuildConfig, CombatConfig, ConverterConfig, GameConfig, GoalConfig,
                            KinshipConfig, ShareConfig, ShieldConfig)
from gridenv.map_gen import CaveConfig, MapConfig, MazeConfig, RoomsConfig
from gridenv.schema import LIMITS, SCHEMA, engine_fields

ROOT = Path(__file__).resolve().parents[1]
MODELS = (ConverterConfig, BodyConfig, CombatConfig, ShieldConfig, ShareConfig, BuildConfig, GoalConfig,
          KinshipConfig, GameConfig, MapConfig, RoomsConfig, MazeConfig, CaveConfig)
ENGINE_STRUCTS = {"converter": _core.ConverterRules, "body": _core.BodyRules, "combat": _core.CombatRules,
                  "shield": _core.ShieldRules, "share": _core.ShareRules, "build": _core.BuildRules,
                  "kinship": _core.KinshipRules, "game": _core.GameRules, "map": _core.MapRules}


def _bounds(info) -> dict[str, float]:
    found = {}
    for item in info.metadata:
        for kind in (annotated_types.Ge, annotated_types.Gt, annotated_types.Le, annotated_types.Lt):
            if isinstance(item, kind):
                name = kind.__name__.lower()
                found[name] = getattr(item, name)
    return found


def test_every_schema_row_is_one_config_field_with_its_default_bounds_and_description():
    used: dict[str, list[str]] = {}
    for model in MODELS:
        for field_name, qualified in engine_fields(model).items():
            used.setdefault(qualified, []).append(f"{model.__name__}.{field_name}")
            concept, name = qualified.split(".")
            row, info = SCHEMA[concept][name], model.model_fields[field_name]
            assert info.default == row["default"] and type(info.default).__name__ == row["type"], qualified
            assert info.annotation.__name__ == row["type"], (qualified, info.annotation)
            assert info.description == row["doc"], qualified
            expected = {} if row["type"] == "bool" else {
                "gt" if row["bounds"] == "low_open" else "ge": row["low"],
                "lt" if row["bounds"] == "high_open" else "le": row["high"]}
            assert _bounds(info) == expected, qualified
    rows = {f"{concept}.{name}" for concept, table in SCHEMA.items() for name in table}
    assert set(used) == rows, f"schema rows no config field is built from: {sorted(rows - set(used))}"
    assert all(len(fields) == 1 for fields in used.values()), {q: f for q, f in used.items() if len(f) > 1}


def test_the_engine_structs_start_at_the_schema_defaults():
    # The C++ members are declared by the same X-macro rows (GRIDENV_DECLARE_FIELD): a default-made struct holds them.
    for concept, table in SCHEMA.items():
        made = ENGINE_STRUCTS[concept]()
        for name, row in table.items():
            assert getattr(made, name) == pytest.approx(row["default"]), f"{concept}.{name}"


def test_python_bounds_that_are_not_schema_rows_are_the_engines_limits():
    # Any other number in a bound (a hand-written 255 or 4096) would be a rule stated a second time.
    allowed = set(LIMITS.values()) | {0, 1}  # (0.0 == 0 and 1.0 == 1 in a set)
    for model in MODELS:
        for field_name, info in model.model_fields.items():
            if field_name in engine_fields(model):
                continue
            for kind, value in _bounds(info).items():
                assert value in allowed, f"{model.__name__}.{field_name}: {kind}={value} is no engine limit"
    # and the resource amounts inside dicts (Amount) use the engine's max_amount
    with pytest.raises(ValueError, match=rf"less than or equal to {LIMITS['max_amount']}"):
        ConverterConfig(symbol="m", outputs={"diamond": LIMITS["max_amount"] + 1})


def test_the_action_table_and_its_default_costs_come_from_the_engine():
    assert gridenv.ACTION_KINDS == tuple(action["name"] for action in _core.ACTIONS)
    assert BodyConfig().action_costs == {action["name"]: action["default_cost"] for action in _core.ACTIONS}
    assert GameConfig(actions=["noop", "glyph_3"], glyphs=4).actions == ["noop", "glyph_3"]
    with pytest.raises(ValueError, match=r"unknown action 'jump'; allowed: noop, .*glyph_<k>, marker_<k>"):
        GameConfig(actions=["jump"])


def test_checks_the_engine_owns_are_made_once_by_the_engine_and_named_by_yaml_path():
    # Each of these was checked in Python and in C++ before; now only validate_rules checks it.
    cases = [
        ({"game": {"obs_width": 8}}, r"game\.obs_width: must be odd so the agent sits at the centre, got 8"),
        ({"game": {"converters": {"mine": {"symbol": "7"}}}},
         r"game\.converters\.mine\.symbol: must be one printable character other than"),
        ({"game": {"converters": {"charger": {"symbol": "m"}}}},
         r"game\.converters\.charger\.symbol: 'm' is already used by mine"),
        ({"game": {"actions": ["noop", "noop"]}}, r"game\.actions: entries 0 and 1 are the same action"),
        ({"game": {"actions": ["glyph_5"], "glyphs": 4}}, r"game\.actions: 'glyph_5' needs glyphs > 5, but glyphs is 4"),
        ({"game": {"resources": ["energy", "diamond", "diamond", "heart"]}},
         r"game\.resources: names must be unique, 'diamond' appears twice"),
        ({"map": {"generator": "rooms", "width": 7, "height": 7, "rooms": {"rows": 4, "cols": 4}}},
         r"map\.rooms\.rows, map\.rooms\.cols: 4x4 rooms do not fit in 7x7"),
    ]
    for overrides, message in cases:
        with pytest.raises(ValueError, match=message):
            gridenv.resolve_config("arena-small", **overrides)


def test_a_game_gives_spaces_and_names_without_making_a_world(monkeypatch):
    config = gridenv.resolve_config("arena-small")
    game = gridenv.Game(config)
    env = gridenv.parallel_env(config)
    agent = env.possible_agents[0]
    assert game.observation_space == env.observation_space(agent) and game.action_space == env.action_space(agent)
    assert (game.action_names, game.channel_names, game.stat_names) == \
        (env.action_names, env.channel_names, env.stat_names)
    assert np.array_equal(game.observation_high(), env.observation_space(agent).high)
    # one table of (name, upper bound): the Box's planes are those bounds (raised to 1, the self plane per feature)
    high = env.observation_space(agent).high
    for c, (name, bound) in enumerate(game.channels[:-1]):
        assert (high[c] == max(bound, 1)).all(), name
    self_plane = high[-1].ravel()
    assert [int(v) for v in self_plane[:len(game.self_features)]] == [max(b, 1) for _, b in game.self_features]

    # Trainers and evaluators read shapes from a Game: none of them makes a world to look at.
    def no_world(*args, **kwargs):
        raise AssertionError("a world was made only to read spaces or names")

    monkeypatch.setattr(_core, "World", no_world)
    monkeypatch.setattr(_core, "VecWorld", no_world)
    from gridenv_evals.runner import task_spec
    from gridenv_evals.suites import get_suite
    from gridenv_train.policy import make_policy

    make_policy(gridenv.Game(gridenv.resolve_config("navigation")), hidden_size=8)
    task_spec(get_suite("navigation").tasks[0])


def test_envs_use_the_game_they_are_given_and_refuse_another_configs():
    config = gridenv.resolve_config("arena-small")
    game = gridenv.Game(config)
    assert gridenv.vector.VecEnv(config, num_envs=2, game=game).game is game
    assert gridenv.GridParallelEnv(config, game=game).game is game
    with pytest.raises(ValueError, match="game: made from another config"):
        gridenv.vector.VecEnv(gridenv.resolve_config("arena"), num_envs=1, game=game)
    with pytest.raises(ValueError, match="game: made from another config"):
        gridenv.GridParallelEnv(gridenv.resolve_config("arena"), game=game)


def test_a_rules_file_round_trips_and_damage_is_refused_by_name(tmp_path):
    rules = gridenv.resolve_config("arena").to_rules()
    data = _core.encode_rules(rules)
    assert _core.Game(_core.decode_rules(data)).digest == _core.Game(rules).digest
    damaged = bytearray(data)
    damaged[40] ^= 1
    with pytest.raises(ValueError, match=r"rules file: the state is damaged \(checksum mismatch\)"):
        _core.decode_rules(bytes(damaged))
    with pytest.raises(ValueError, match="rules file: the state is truncated"):
        _core.decode_rules(data[:5])
    with pytest.raises(ValueError, match="not a gridenv rules file"):
        _core.decode_rules(_sealed(b"GRIDENV\x02" + data[8:-8]))  # a saved state's magic, checksum made good
    with pytest.raises(ValueError, match="format version 9, this engine reads version 1"):
        _core.decode_rules(_sealed(data[:8] + b"\x09" + data[9:-8]))
    out = tmp_path / "arena.rules"
    from gridenv.cli import main

    assert main(["show", "arena", "--format", "rules", "--out", str(out)]) == 0
    assert out.read_bytes() == data


def _sealed(payload: bytes) -> bytes:
    """payload + the FNV-1a checksum the engine's archives end with (cpp/state_archive.hpp)."""
    value = 0xcbf29ce484222325
    for byte in payload:
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return payload + value.to_bytes(8, "little")


@pytest.mark.slow
def test_a_default_changed_only_in_cpp_changes_the_python_config(tmp_path):
    """Build the extension from a copy of the sources in which one C++ default differs, and import the Python package
    beside it: its config follows (nothing in Python states the default)."""
    import nanobind  # in the test extra

    assert shutil.which("cmake"), "cmake is needed to build the extension (it built this one)"
    source = tmp_path / "src"
    shutil.copytree(ROOT / "cpp", source / "cpp", ignore=shutil.ignore_patterns("fuzz"))
    shutil.copy(ROOT / "CMakeLists.txt", source / "CMakeLists.txt")
    schema = source / "cpp" / "schema.hpp"
    text = schema.read_text()
    assert "X(int32_t, bond_cost, 5, 0, 255, kClosed," in text
    schema.write_text(text.replace("X(int32_t, bond_cost, 5, 0, 255, kClosed,",
                                   "X(int32_t, bond_cost, 7, 0, 255, kClosed,"))
    build = tmp_path / "build"
    configure = ["cmake", "-S", str(source), "-B", str(build), "-DSKBUILD=ON", "-DCMAKE_BUILD_TYPE=Debug",
                 f"-Dnanobind_DIR={nanobind.cmake_dir()}", f"-DPython_EXECUTABLE={sys.executable}"]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    subprocess.run(configure, check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "--target", "_core", "-j", "2"], check=True, capture_output=True)
    package = tmp_path / "py" / "gridenv"
    shutil.copytree(Path(gridenv.__file__).parent, package,
                    ignore=shutil.ignore_patterns("_core*", "__pycache__"))
    (built,) = build.glob("_core*.so")
    shutil.copy(built, package / built.name)
    probe = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(package.parent)!r})
        # an editable install's finder would import the installed package instead of this copy
        sys.meta_path = [f for f in sys.meta_path if "editable" not in type(f).__module__]
        import gridenv
        assert gridenv.__file__.startswith({str(package)!r}), gridenv.__file__
        print(gridenv.KinshipConfig().bond_cost, gridenv.resolve_config("arena").kinship.bond_cost,
              gridenv.resolve_config("arena").to_rules().kinship.bond_cost)
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["7", "7", "7"]
