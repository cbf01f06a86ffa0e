"""docs/game.md documents every action, channel, self feature and stat family the engine exposes."""

from pathlib import Path

import gridenv

GAME_DOC = (Path(__file__).resolve().parents[1] / "docs" / "game.md").read_text()


def test_every_action_channel_and_feature_is_documented():
    env = gridenv.parallel_env("arena")
    for name in env.action_names:
        assert f"`{name}`" in GAME_DOC, name
    for name in env.channel_names:
        documented = f"`{name}`" in GAME_DOC or (name.startswith("converter_") and "`converter_<name>`" in GAME_DOC)
        assert documented, name
    for name in env.self_feature_names:
        assert f"`{name}`" in GAME_DOC or (name.startswith("inventory_") and "`inventory_<resource>`" in GAME_DOC)
    assert f"C = {len(env.channel_names)} channels" in GAME_DOC


def test_documented_defaults_match_the_config():
    config = gridenv.resolve_config("arena")
    body = config.game.groups[0].body
    assert f"| `energy_cap` | {body.energy_cap} |" in GAME_DOC
    assert f"| `initial_energy` | {body.initial_energy} |" in GAME_DOC
    assert f"| `energy_regen` | {body.energy_regen} |" in GAME_DOC
    for index, name in enumerate(config.game.actions):
        assert f"| {index} | `{name}` |" in GAME_DOC and f"| {body.action_costs[name]} |" in GAME_DOC
    converters = config.game.converters
    assert f"| mine | `m` | — | 1 diamond | {converters['mine'].cooldown} steps |" in GAME_DOC
    assert f"{converters['charger'].outputs['energy']} energy" in GAME_DOC
    assert f"| altar | `a` | {converters['altar'].inputs['energy']} energy | 1 heart | {converters['altar'].cooldown}" \
        in GAME_DOC
