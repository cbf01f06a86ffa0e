"""The viewer in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Locally these tests skip, saying why, when Chromium, its driver or Selenium is missing; in CI (the CI environment
variable set, as .ci/run sets it) a missing browser is a failure, never a skip. Nothing here downloads a browser or a
driver: Selenium gets the system chromedriver's path and its selenium-manager is never asked.

Screenshots for docs/replays.md: GRIDENV_SCREENSHOTS=docs/images python -m pytest tests/test_viewer_browser.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import gridenv
from gridenv.replay import RandomPolicy, load_replay, record_episode

CHROMIUM = next((p for p in (os.environ.get("GRIDENV_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and Path(p).exists()), None)
CHROMEDRIVER = next((p for p in (os.environ.get("GRIDENV_CHROMEDRIVER"), shutil.which("chromedriver"),
                                 "/usr/bin/chromedriver") if p and Path(p).exists()), None)
IN_CI = bool(os.environ.get("CI"))


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed (pip install selenium)"
    try:
        import websockets  # noqa: F401
    except ImportError:
        return "websockets is not installed (pip install websockets)"
    if CHROMIUM is None:
        return "no Chromium found (apt-get install chromium chromium-driver)"
    if CHROMEDRIVER is None:
        return "no chromedriver found (apt-get install chromium-driver)"
    return None


MISSING = _missing()
if MISSING and IN_CI:
    raise RuntimeError(f"browser tests must run in CI, but {MISSING}")  # a skip in CI is a failure
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"browser tests skipped: {MISSING}")

SCREENSHOTS = os.environ.get("GRIDENV_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must never fetch a driver
    profile = tempfile.mkdtemp(prefix="gridenv-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--window-size=1280,800",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, script: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.02)
    status = driver.execute_script("return document.getElementById('status').textContent")
    raise AssertionError(f"timed out waiting for {script!r}; page status: {status!r}")


def screenshot(driver, name: str, tmp_path: Path) -> Path:
    target = Path(SCREENSHOTS) / name if SCREENSHOTS else tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(target))
    return target


@pytest.fixture(scope="module")
def small_replay(tmp_path_factory):
    path = tmp_path_factory.mktemp("replays") / "arena-small.json.z"
    env = gridenv.parallel_env("arena-small")
    record_episode(env, RandomPolicy(env.world.num_actions, 5), path, seed=5, policy_name="random?seed=5")
    return path


def open_replay(browser, path: Path):
    from gridenv.server import ReplayServer

    server = ReplayServer(path).start()
    browser.get(server.url)
    wait_for(browser, "return window.gridenvViewer && window.gridenvViewer.ready")
    return server


def test_the_page_loads_a_replay_and_draws_the_first_frame(browser, small_replay, tmp_path):
    replay = load_replay(small_replay)
    server = open_replay(browser, small_replay)
    try:
        assert browser.execute_script("return window.gridenvViewer.lastError") is None
        assert browser.execute_script("return window.gridenvViewer.frame") == 0
        first = replay.frame(0)
        for agent in range(replay.num_agents):  # the pixel at each agent's cell centre is its group's colour
            row, col, _ = first.positions[agent]
            pixel = browser.execute_script(f"return window.gridenvViewer.pixel({row}, {col})")
            colour = browser.execute_script(f"return window.gridenvViewer.agentColour({agent})")
            assert pixel[:3] == colour, (agent, pixel, colour)
        # A cell without an agent is not drawn in an agent's colour: the floor of the first empty cell.
        empty = np.argwhere((first.tiles == 0) & (first.markers == 0))
        occupied = {tuple(p[:2]) for p in first.positions.tolist()}
        row, col = next(tuple(cell) for cell in empty.tolist() if tuple(cell) not in occupied)
        assert browser.execute_script(f"return window.gridenvViewer.pixel({row}, {col})")[:3] == [235, 235, 228]
        # The side panel shows a clicked agent as text.
        browser.execute_script("window.gridenvViewer.select(1); window.gridenvViewer.seek(37)")
        info = browser.find_element("id", "agentInfo").text
        assert "agent_1" in info and "energy" in info and "last action" in info
        screenshot(browser, "replay-viewer.png", tmp_path)
    finally:
        server.stop()


def test_scrubbing_shows_the_positions_stored_for_each_step(browser, small_replay):
    replay = load_replay(small_replay)
    frames = list(replay.iter_frames())
    server = open_replay(browser, small_replay)
    try:
        timeline = browser.find_element("id", "timeline")
        for t in (0, 1, 2, 63, 64, 65, 129, 150, replay.num_steps, 3, 100):
            # Scrub as a person does: set the slider and fire its input event.
            browser.execute_script("arguments[0].value = arguments[1];"
                                   "arguments[0].dispatchEvent(new Event('input'));", timeline, t)
            assert browser.execute_script("return window.gridenvViewer.frame") == t
            shown = browser.execute_script("return window.gridenvViewer.positions()")
            assert shown == frames[t].positions.tolist(), f"step {t}"
            on_grid = frames[t].on_grid
            for agent in np.nonzero(on_grid)[0][:2]:  # and the canvas shows them there
                row, col, _ = frames[t].positions[agent]
                pixel = browser.execute_script(f"return window.gridenvViewer.pixel({row}, {col})")
                colour = browser.execute_script(f"return window.gridenvViewer.agentColour({int(agent)})")
                frozen = frames[t].frozen[agent] > 0
                assert frozen or pixel[:3] == colour, (t, int(agent), pixel, colour)
        assert browser.find_element("id", "stepLabel").text == f"step 100 / {replay.num_steps}"
    finally:
        server.stop()


def test_a_damaged_replay_is_refused_by_name_and_strings_stay_text(browser, small_replay, tmp_path):
    from gridenv.replay import decode_replay, write_replay

    document = decode_replay(small_replay.read_bytes())
    document["names"]["agents"][0] = "<img src=x onerror=window.pwned=1>"
    document["env"] = "<b>bold</b>"
    hostile = write_replay(document, tmp_path / "hostile.json.z")
    server = open_replay(browser, hostile)
    try:
        browser.execute_script("window.gridenvViewer.select(0)")
        assert "<img src=x" in browser.find_element("id", "agentInfo").text
        assert "<b>bold</b>" in browser.find_element("id", "aboutList").text
        assert browser.execute_script("return window.pwned === undefined && document.querySelector('#side img, "
                                      "#side b') === null")
        # A damaged file dropped on the page (through the Open... input) is refused, naming it.
        broken = tmp_path / "broken.json.z"
        broken.write_bytes(small_replay.read_bytes()[:300])
        browser.find_element("id", "file").send_keys(str(broken))
        wait_for(browser, "return window.gridenvViewer.lastError")
        assert "broken.json.z" in browser.execute_script("return window.gridenvViewer.lastError")
    finally:
        server.stop()


def test_a_10000_step_24_agent_replay_loads_and_scrubs_in_under_5_s(browser, tmp_path):
    config = gridenv.resolve_config("arena", game={"max_steps": 10_000})
    env = gridenv.GridParallelEnv(config)
    start = time.perf_counter()
    recorder, _ = record_episode(env, RandomPolicy(env.world.num_actions, 0), None, seed=0)
    recorded = time.perf_counter() - start
    start = time.perf_counter()
    path = recorder.write(tmp_path / "arena-10k.json.z")
    written = time.perf_counter() - start
    size = path.stat().st_size
    from gridenv.server import ReplayServer

    server = ReplayServer(path).start()
    try:
        start = time.perf_counter()
        browser.get(server.url)
        wait_for(browser, "return window.gridenvViewer && window.gridenvViewer.ready", timeout=60)
        loaded = time.perf_counter() - start
        scrub_ms = browser.execute_script("return window.gridenvViewer.scrubBenchmark(200)")
        timeline = browser.find_element("id", "timeline")
        start = time.perf_counter()
        replay = load_replay(path)
        for t in (9_999, 5_000, 64 * 77 + 13, 1):
            browser.execute_script("arguments[0].value = arguments[1];"
                                   "arguments[0].dispatchEvent(new Event('input'));", timeline, t)
            assert browser.execute_script("return window.gridenvViewer.positions()") == \
                replay.frame(t).positions.tolist()
        timings = browser.execute_script("return window.gridenvViewer.timings")
    finally:
        server.stop()
    figures = {"steps": 10_000, "agents": 24, "record_s": round(recorded, 3), "write_s": round(written, 3),
               "size_mb": round(size / 1e6, 3), "browser_load_s": round(loaded, 3),
               "browser_scrub_200_frames_ms": round(scrub_ms, 1),
               "page_timings_ms": {k: round(v, 1) for k, v in timings.items()},
               "load_average": os.getloadavg()[0]}
    print("replay benchmark:", json.dumps(figures), file=sys.stderr)
    report = os.environ.get("GRIDENV_REPLAY_BENCH")
    if report:
        Path(report).write_text(json.dumps(figures, indent=2) + "\n")
    assert written < 2.0, figures
    assert size < 5e6, figures
    assert loaded + scrub_ms / 1000 < 5.0, figures


def test_in_play_mode_a_key_press_moves_the_persons_agent(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    from gridenv.server import PlaySession, PlayServer

    # A tiny room: agent 0 (group 0) with space to its east; agent 1 follows the policy.
    config = gridenv.resolve_config({"game": {"num_agents": None, "max_steps": 50},
                                     "map": {"ascii": "#######\n#0....#\n#.....#\n#....0#\n#######"}})
    session = PlaySession(config, agent=0, policy="random?seed=1", seed=0, out=tmp_path / "play.json.z")
    server = PlayServer(session).start()
    try:
        browser.get(server.url)
        wait_for(browser, "return window.gridenvViewer && window.gridenvViewer.ready")
        assert browser.find_element("id", "keysBox").is_displayed()
        before = session.env.world.agent_positions()[0].tolist()
        canvas = browser.find_element("id", "map")
        canvas.click()
        canvas.send_keys(Keys.ARROW_RIGHT)   # move_east
        wait_for(browser, "return window.gridenvViewer.liveSteps >= 1")
        after = session.env.world.agent_positions()[0].tolist()
        assert (after[0], after[1], after[2]) == (before[0], before[1] + 1, 3), (before, after)
        assert browser.execute_script("return window.gridenvViewer.positions()")[0] == after
        canvas.send_keys("s")                # move_south
        wait_for(browser, "return window.gridenvViewer.liveSteps >= 2")
        assert session.env.world.agent_positions()[0][:2].tolist() == [after[0] + 1, after[1]]
        # A malformed message gets an error reply; the world goes on.
        browser.execute_script("window.gridenvViewer.send({type: 'teleport'})")
        wait_for(browser, "return window.gridenvViewer.lastError")
        assert "unknown message type" in browser.execute_script("return window.gridenvViewer.lastError")
        canvas.send_keys("e")
        wait_for(browser, "return window.gridenvViewer.liveSteps >= 3")
        screenshot(browser, "play-mode.png", tmp_path)
    finally:
        server.stop()
    saved = session.save()
    replay = load_replay(saved)
    assert replay.num_steps == 3 and replay.actions[:, 0].tolist() == [4, 2, 5]
