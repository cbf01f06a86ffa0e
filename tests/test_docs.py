"""docs/ documents every action, channel, self feature and default the engine and configs expose."""

from pathlib import Path

import gridenv
from gridenv.config import ACTION_KINDS, KinshipConfig

DOCS = Path(__file__).resolve().parents[1] / "docs"
GAME_DOC = (DOCS / "game.md").read_text()
SOCIAL_DOC = (DOCS / "social.md").read_text()


def doc_row(text: str, key: str) -> str:
    rows = [line for line in text.splitlines() if line.startswith("|") and f"`{key}`" in line]
    assert rows, f"no table row for `{key}`"
    return rows[0]


def test_every_action_channel_and_feature_is_documented():
    env = gridenv.parallel_env("arena")
    for name in env.channel_names:
        key = "converter_<name>" if name.startswith("converter_") and name != "converter_cooldown" else name
        doc_row(GAME_DOC, key)
    for name in env.self_feature_names:
        doc_row(GAME_DOC, "inventory_<resource>" if name.startswith("inventory_") else name)
    assert f"C = {len(env.channel_names)} channels" in GAME_DOC


def test_documented_defaults_match_the_config():
    config = gridenv.resolve_config("arena")
    game, body = config.game, config.game.groups[0].body
    assert f"| `energy_cap` | {body.energy_cap} |" in GAME_DOC
    assert f"| `initial_energy` | {body.initial_energy} |" in GAME_DOC
    assert f"| `energy_regen` | {body.energy_regen} |" in GAME_DOC
    for kind in ACTION_KINDS:  # every action kind, with its default cost in the last column
        row = doc_row(GAME_DOC, f"{kind}_<k>" if kind in ("glyph", "marker") else kind)
        assert row.endswith(f"| {body.action_costs[kind]} |"), row
        assert f"(cost {body.action_costs[kind]})" in SOCIAL_DOC or kind in ("noop", "use") or kind.startswith("move")
    for index, name in enumerate(game.actions[:9]):
        assert doc_row(GAME_DOC, name).startswith(f"| {index} |")
    converters = game.converters
    assert f"| mine | `m` | — | 1 diamond | {converters['mine'].cooldown} steps |" in GAME_DOC
    assert f"{converters['charger'].outputs['energy']} energy" in GAME_DOC
    assert f"| altar | `a` | {converters['altar'].inputs['energy']} energy | 1 heart | {converters['altar'].cooldown}" \
        in GAME_DOC
    for text in (f"`game.combat.freeze_steps` ({game.combat.freeze_steps})",
                 f"({game.combat.steal_fraction:g})", f"`game.shield.absorb_cost` ({game.shield.absorb_cost})",
                 f"`game.shield.upkeep` ({game.shield.upkeep})", f"`game.share.amount` ({game.share.amount})",
                 f"`game.glyphs`, {game.glyphs}", f"`game.markers`, {game.markers}",
                 f"`game.marker_duration` ({game.marker_duration})",
                 f"`game.build.max_walls_per_agent` ({game.build.max_walls_per_agent};"):
        assert text in SOCIAL_DOC, text
    kin = KinshipConfig()
    assert f"`kin_weight` {kin.kin_weight}" in SOCIAL_DOC
    assert f"`bond_window` {kin.bond_window}, `bond_weight` {kin.bond_weight}, `bond_cost` {kin.bond_cost}" \
        in SOCIAL_DOC


def read_png(path: Path):
    """Decode a PNG written by gridenv.render.write_png (8-bit RGB, one IDAT, filter 0 on every row)."""
    import struct
    import zlib

    import numpy as np

    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    idat_length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    rows = np.frombuffer(zlib.decompress(data[41:41 + idat_length]), np.uint8).reshape(height, 1 + 3 * width)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


def test_the_map_pictures_show_what_the_generators_draw_today():
    # A changed generator (or renderer) leaves stale pictures in docs/maps.md: rerun `python docs/make_images.py`.
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("make_images", DOCS / "make_images.py")
    make_images = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_images)
    maps_doc = (DOCS / "maps.md").read_text()
    for name in make_images.PICTURES:
        assert f"(images/{name}.png)" in maps_doc
        np.testing.assert_array_equal(read_png(DOCS / "images" / f"{name}.png"), make_images.picture(name),
                                      err_msg=f"docs/images/{name}.png is stale")
