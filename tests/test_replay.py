"""Replays (gridenv.replay): re-simulation from config + seed + actions, every field; the recording wrapper; the
reader's refusals of damaged files; `gridenv record`; the replay server's allow-list; the play protocol.
The viewer itself is tested in a real browser in tests/test_viewer_browser.py."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import zlib

import numpy as np
import pytest

import gridenv
from gridenv import replay as R
from gridenv.cli import main as cli


def social_config(max_steps: int = 300):
    base = gridenv.resolve_config("arena-small")
    actions = list(base.game.actions) + ["build", "destroy", "bond"]
    return gridenv.resolve_config("arena-small", game={"actions": actions, "max_steps": max_steps})


def play(config, actions_per_step, seed=0, path=None):
    """Step an env through fixed per-agent action lists, recording; returns (env, recorder)."""
    env = gridenv.GridParallelEnv(config)
    env.reset(seed=seed)
    recorder = R.ReplayRecorder(env, seed=seed)
    for row in actions_per_step:
        actions = {agent: row[i] for i, agent in enumerate(env.possible_agents) if agent in env.agents}
        env.step(actions)
        recorder.record_step(actions)
        if not env.agents:
            break
    if path is not None:
        recorder.write(path)
    return env, recorder


def test_a_replay_re_simulates_exactly_from_its_seed_and_actions(tmp_path):
    env = gridenv.GridParallelEnv(social_config())
    _, path = R.record_episode(env, R.RandomPolicy(env.world.num_actions, 11), tmp_path / "r.json.z", seed=7)
    replay = R.load_replay(path)
    assert replay.seed == 7 and replay.num_steps == 300 and replay.header["episode_over"]
    assert replay.header["engine"]["gridenv_version"] == gridenv.__version__
    assert len(replay.header["engine"]["rules_digest"]) == 16
    assert replay.config == social_config()
    # Every kind of change happened in this episode (walls built/destroyed, markers, converters, rewards).
    counts = {name: int(replay.offsets[name][-1]) for name in R.STREAMS}
    assert all(counts[name] > 0 for name in ("agent_changes", "converter_changes", "tile_changes", "marker_changes",
                                             "rewards")), counts
    # Re-run the config from the seed with the stored actions; every stored field matches at every frame.
    assert R.check_resimulation(replay) == 301
    # Random access agrees with the sequential frames.
    frames = list(replay.iter_frames())
    for t in (0, 1, 150, 300):
        one = replay.frame(t)
        for field in ("positions", "inventories", "converters", "tiles", "markers", "frozen", "glyph", "shield"):
            np.testing.assert_array_equal(getattr(one, field), getattr(frames[t], field), err_msg=f"{field} at {t}")
    # The returns add up to the engine's own episode stats.
    returns = sum(frame.rewards.astype(np.float64) for frame in frames[1:])
    stats = replay.document["episode_stats"]
    reward_column = replay.document["names"]["stats"].index("reward")
    np.testing.assert_allclose(returns, [row[reward_column] for row in stats], rtol=1e-5, atol=1e-5)


def test_a_changed_action_is_caught_by_the_re_simulation(tmp_path):
    env = gridenv.GridParallelEnv(social_config(60))
    _, path = R.record_episode(env, R.RandomPolicy(env.world.num_actions, 3), tmp_path / "r.json.z", seed=1)
    document = R.decode_replay(path.read_bytes())
    steps = document["steps"]["actions"]
    steps[4] = 4 if steps[4] != 4 else 3  # one action of agent 0 at step 2, changed
    replay = R.validate_replay(document, "edited.json.z")
    with pytest.raises(R.ReplayError, match=r"edited.json.z: frame \d+: .* differs from the re-simulation"):
        R.check_resimulation(replay)


def test_markers_derived_by_the_recorder_match_what_agents_see():
    # The engine has no marker accessor: the recorder keeps the marker layer as the engine does. Every agent's
    # observation window shows the marker channel of its part of the map; they must agree everywhere, every step.
    env = gridenv.GridParallelEnv(gridenv.resolve_config("arena-small", game={"marker_duration": 5}))
    env.reset(seed=2)
    recorder = R.ReplayRecorder(env, seed=2)
    rng = np.random.default_rng(0)
    marker_channel = env.channel_names.index("marker")
    oh, ow = env.config.game.obs_height, env.config.game.obs_width
    seen = 0
    for _ in range(200):
        actions = {a: int(rng.choice([13, 14, 1, 2, 3, 4, 0])) for a in env.agents}
        observations, *_ = env.step(actions)
        recorder.record_step(actions)
        padded = np.pad(recorder.markers(), ((oh // 2, oh // 2), (ow // 2, ow // 2)))
        for i, agent in enumerate(env.possible_agents):
            row, col, _ = env.world.agent_positions()[i]
            window = padded[row:row + oh, col:col + ow]
            np.testing.assert_array_equal(observations[agent][marker_channel], window)
            seen += int(window.sum() > 0)
    assert seen > 100


def test_bonds_change_kinship_and_the_replay_stores_it(tmp_path):
    # 0 faces east, 1 faces west; both bond in the same step:  #01#  ->  K[0][1] = bond_weight
    base = gridenv.resolve_config("arena-small")
    data = base.to_dict()
    data["game"].update(num_agents=None, actions=list(base.game.actions) + ["bond"])
    data["map"] = {"ascii": "######\n#.01.#\n######"}
    data["kinship"] = {"scheme": "bonds"}
    config = gridenv.EnvConfig.model_validate(data)
    bond = config.game.actions.index("bond")
    env, recorder = play(config, [[4, 3], [bond, bond], [0, 0]], path=tmp_path / "bond.json.z")
    replay = R.load_replay(tmp_path / "bond.json.z")
    assert replay.frame(1).kinship[0, 1] == 0
    assert replay.frame(2).kinship[0, 1] == pytest.approx(config.kinship.bond_weight)
    assert R.check_resimulation(replay) == 4


def test_agents_that_reach_the_goal_leave_the_grid_in_the_replay(tmp_path):
    # navigation: the altar pays a heart for nothing, and a heart ends the agent's episode:  #0a#  -> use
    data = gridenv.resolve_config("navigation").to_dict()
    data["game"]["num_agents"] = None
    data["map"] = {"ascii": "#####\n#0a.#\n#####"}
    config = gridenv.EnvConfig.model_validate(data)
    use = config.game.actions.index("use")
    move_east = config.game.actions.index("move_east")
    _, recorder = play(config, [[move_east], [use]], path=tmp_path / "goal.json.z")
    replay = R.load_replay(tmp_path / "goal.json.z")
    assert replay.num_steps == 2 and replay.header["episode_over"]
    assert replay.frame(1).on_grid.tolist() == [True] and replay.frame(2).on_grid.tolist() == [False]
    assert replay.frame(2).raw_rewards[0] > 0
    assert R.check_resimulation(replay) == 3


def test_the_recording_wrapper_writes_one_replay_per_episode(tmp_path):
    env = R.RecordReplay(gridenv.parallel_env("arena-small", game={"max_steps": 15}),
                         tmp_path / "ep-{episode}.json.z", policy="random")
    for episode in range(3):
        env.reset(seed=100 if episode == 0 else None)  # later resets draw their seeds from the first one
        while env.agents:
            env.step({agent: env.action_space(agent).sample() for agent in env.agents})
    env.close()
    assert [p.name for p in env.written] == ["ep-0.json.z", "ep-1.json.z", "ep-2.json.z"]
    seeds = []
    for path in env.written:
        replay = R.load_replay(path)
        assert replay.num_steps == 15 and replay.header["recorded_by"] == "gridenv.replay.RecordReplay"
        assert R.check_resimulation(replay) == 16
        seeds.append(replay.seed)
    assert seeds[0] == 100 and len(set(seeds)) == 3
    # The AEC env and the Gymnasium env are wrappers around the same engine env: the recorder finds it inside.
    for wrapped in (gridenv.env("arena-small"), gridenv.SingleAgentEnv("navigation")):
        assert isinstance(R._unwrap_grid_env(wrapped), gridenv.GridParallelEnv)
    with pytest.raises(ValueError, match="expected a gridenv env"):
        R.RecordReplay(object(), tmp_path / "x.json.z")


def test_a_recorder_needs_the_seed_and_a_fresh_episode():
    env = gridenv.parallel_env("arena-small")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="must be the int given to env.reset"):
        R.ReplayRecorder(env, seed=None)
    env.step({agent: 0 for agent in env.agents})
    with pytest.raises(ValueError, match="right after env.reset"):
        R.ReplayRecorder(env, seed=0)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.json.z"
    env = gridenv.GridParallelEnv(social_config(40))
    R.record_episode(env, R.RandomPolicy(env.world.num_actions, 0), path, seed=0)
    return path


def edited(good, tmp_path, edit, name="damaged.json.z"):
    document = R.decode_replay(good.read_bytes())
    edit(document)
    path = tmp_path / name
    path.write_bytes(zlib.compress(json.dumps(document).encode()))
    return path


def _set(path, value):
    def edit(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set(["format"], "something-else"), "format: expected 'gridenv-replay'"),
    (_set(["version"], 2), "version 2, this gridenv reads version 1 .written by a newer gridenv"),
    (_set(["num_agents"], 5), r"names.agents: 4 entries, expected 5"),
    (_set(["num_steps"], 41), r"steps.actions: 160 values, expected 41 x 4"),
    (_set(["height"], "12"), r"height: expected an int in \[1, 4096\]"),
    (_set(["seed"], 1.5), r"seed: expected an int"),
    (_set(["names", "actions"], [1, 2]), "names.actions: expected a list of strings"),
    (_set(["initial", "tiles"], [0] * 10), "initial.tiles: 10 numbers, not a multiple of the record size 12"),
    (lambda d: d["initial"]["agents"][0].__setitem__(0, 99), r"initial.agents row: a value outside \[0, 11\]"),
    (lambda d: d["steps"]["actions"].__setitem__(0, 99), r"steps.actions: an action outside \[-1, 17\]"),
    (lambda d: d["steps"]["actions"].__setitem__(0, "use"), "steps.actions: expected a flat list of ints"),
    (lambda d: d["steps"]["agent_changes"]["agent"].__setitem__(0, 4),
     r"steps.agent_changes.agent: a value outside \[0, 3\]"),
    (lambda d: d["steps"]["agent_changes"]["per_step"].__setitem__(0, 10**6),
     "steps.agent_changes.agent: .* values, per_step counts"),
    (lambda d: d["steps"]["marker_changes"]["row"].__setitem__(0, -1), r"steps.marker_changes.row: a value outside"),
    (lambda d: d["steps"]["rewards"]["raw"].__setitem__(0, 1e300), r"steps.rewards.raw: a value outside"),
    (lambda d: d["steps"].pop("tile_changes"), "steps.tile_changes: expected an object"),
    (lambda d: d["initial"]["kinship"][0].__setitem__(0, 2.0), r"initial.kinship: a weight outside \[0, 1\]"),
])
def test_damaged_replays_are_refused_naming_the_file(good, tmp_path, edit, message):
    path = edited(good, tmp_path, edit)
    with pytest.raises(R.ReplayError, match=f"damaged.json.z: not a valid gridenv replay: {message}"):
        R.load_replay(path)


def test_bytes_that_are_not_a_replay_are_refused(good, tmp_path, monkeypatch):
    data = good.read_bytes()
    cases = {
        "truncated.json.z": (data[:len(data) // 2], "the compressed data is truncated"),
        "plain.json.z": (b'{"format": "gridenv-replay"}', "not zlib-compressed data"),
        "trailing.json.z": (data + b"junk", "4 bytes of trailing data"),
        "list.json.z": (zlib.compress(b"[1, 2]"), "the document is a list, expected an object"),
        "nan.json.z": (zlib.compress(b'{"a": NaN}'), "NaN in JSON"),
        "latin1.json.z": (zlib.compress('{"a": "\u00e9"}'.encode("latin-1")), "damaged JSON"),
        "old.npz": (b"PK\x03\x04" + b"\0" * 100, "not zlib-compressed data"),
    }
    for name, (payload, message) in cases.items():
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(R.ReplayError, match=f"{name}: not a valid gridenv replay: {message}"):
            R.load_replay(tmp_path / name)
    with pytest.raises(R.ReplayError, match="missing.json.z: cannot read the replay"):
        R.load_replay(tmp_path / "missing.json.z")
    # A small file that inflates beyond the limit (a "zip bomb") is refused without inflating it all.
    monkeypatch.setattr(R, "MAX_JSON_BYTES", 1000)
    (tmp_path / "bomb.json.z").write_bytes(zlib.compress(b" " * 10**6))
    with pytest.raises(R.ReplayError, match="bomb.json.z: .* decompresses to more than 1000 bytes"):
        R.load_replay(tmp_path / "bomb.json.z")


def test_gridenv_record_writes_a_replay_of_the_asked_length(tmp_path, capsys):
    out = tmp_path / "rec.json.z"
    assert cli(["record", "arena-small", "game.marker_duration=7", "--steps", "30", "--out", str(out), "--seed", "3",
                "--policy", "random?seed=9"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    replay = R.load_replay(out)
    assert (replay.num_steps, replay.seed, replay.header["policy"]) == (30, 3, "random?seed=9")
    assert replay.config.game.max_steps == 30 and replay.config.game.marker_duration == 7
    assert replay.header["recorded_by"] == "gridenv record"
    assert R.check_resimulation(replay) == 31
    assert cli(["record", "arena-small", "--out", str(out), "--policy", "random?seed=x"]) == 2
    assert "expected random or random?seed=INT" in capsys.readouterr().err
    assert cli(["record", "arena-small", "--out", str(out), "--steps", "0"]) == 2
    assert cli(["replay", str(tmp_path / "nothing.json.z"), "--no-browser"]) == 2
    assert "nothing.json.z: cannot read the replay" in capsys.readouterr().err


def test_the_replay_server_prints_the_url_and_serves_only_the_viewer_and_the_replay(good):
    process = subprocess.Popen([sys.executable, "-m", "gridenv", "replay", str(good), "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, line + process.stderr.read()
        base = line.split(" at ")[1].split()[0].split("?")[0]
        for path in ("", "index.html", "viewer.js", "viewer.css", "replay.json.z"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200
                assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert urllib.request.urlopen(base + "replay.json.z", timeout=10).read() == good.read_bytes()
        for path in ("../README.md", "viewer/../server.py", "%2e%2e/server.py", "etc/passwd", "replay.py",
                     "viewer/index.html", "server.py"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)
            assert refused.value.code == 404, path
        foreign = urllib.request.Request(base, headers={"Host": "evil.example"})  # DNS rebinding
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(foreign, timeout=10)
        assert refused.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(base, data=b"x", method="POST"), timeout=10)
        assert refused.value.code == 405
    finally:
        process.terminate()
        process.wait(10)


def test_the_play_session_answers_bad_messages_with_errors_and_goes_on(tmp_path):
    from gridenv.server import PlaySession

    config = gridenv.resolve_config("arena-small", game={"max_steps": 3})
    session = PlaySession(config, agent=1, policy=None, seed=4, out=tmp_path / "p.json.z")
    assert {k["action"] for k in session.keys} >= {"move_north", "use", "attack", "toggle_shield", "share",
                                                   "glyph_0", "marker_0", "noop"}
    for message, error in [("{", "malformed JSON"), ("[1]", "expected a JSON object"),
                           ('{"type": "fly"}', "unknown message type 'fly'"),
                           ('{"type": "action", "action": "fly"}', "action: expected an action name"),
                           ('{"type": "action", "action": 99}', r"or an index in \[0, 14\], got 99"),
                           ('{"type": "action", "action": true}', "got True"),
                           ("x" * 5000, "at most 4096"), (b"bytes", "expected a JSON text message")]:
        (reply,) = session.handle(message)
        assert reply["type"] == "error" and __import__("re").search(error, reply["message"]), (message, reply)
    assert session.env.world.step_count == 0  # nothing moved
    (reply,) = session.handle('{"type": "action", "action": "move_north"}')
    assert reply["type"] == "step" and reply["step"]["actions"][1] == 1
    session.handle('{"type": "action", "action": 0}')
    replies = session.handle('{"type": "action", "action": "use"}')
    assert [r["type"] for r in replies] == ["step", "episode_over"]
    assert replies[1]["saved"] == str(tmp_path / "p.json.z")
    (reply,) = session.handle('{"type": "action", "action": "use"}')
    assert "the episode is over" in reply["message"]
    (reply,) = session.handle('{"type": "reset"}')
    assert reply["type"] == "init" and reply["replay"]["seed"] == 5
    session.handle('{"type": "action", "action": "noop"}')
    assert session.save() == tmp_path / "p-2.json.z"
    first = R.load_replay(tmp_path / "p.json.z")
    assert first.actions[:, 1].tolist() == [1, 0, 5] and R.check_resimulation(first) == 4
    assert R.load_replay(tmp_path / "p-2.json.z").num_steps == 1


def test_the_play_websocket_streams_steps_and_refuses_other_origins(tmp_path):
    pytest.importorskip("websockets")
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    from gridenv.server import PlayServer, PlaySession

    session = PlaySession(gridenv.resolve_config("arena-small"), agent=0, out=tmp_path / "ws.json.z")
    server = PlayServer(session).start()
    try:
        url = f"ws://127.0.0.1:{server.port}/ws"
        with connect(url) as socket:
            init = json.loads(socket.recv(timeout=10))
            assert init["type"] == "init" and init["agent"] == 0 and init["replay"]["num_steps"] == 0
            socket.send("not json")
            assert json.loads(socket.recv(timeout=10))["type"] == "error"
            socket.send(json.dumps({"type": "action", "action": "move_south"}))
            step = json.loads(socket.recv(timeout=10))
            assert step["type"] == "step" and step["step"]["actions"][0] == 2
        assert session.env.world.step_count == 1
        with pytest.raises(InvalidStatus):
            connect(url, origin="http://evil.example").close()
        with pytest.raises(InvalidStatus):
            connect(url, additional_headers={"Host": "evil.example"}).close()
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/viewer.js", timeout=10) as response:
            assert response.status == 200
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/replay.py", timeout=10)
    finally:
        server.stop()
