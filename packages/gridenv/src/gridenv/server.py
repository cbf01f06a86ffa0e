"""The viewer's servers: ``gridenv replay FILE`` (a replay in the browser) and ``gridenv play ENV`` (a person drives one
agent of a live world over a websocket; the other agents follow a policy).

Both bind to 127.0.0.1 by default and serve nothing but the viewer's own files (an allow-list: the page, its script
and its style sheet) and the one named replay (``/replay.json.z``) or the play websocket (``/ws``). Requests whose
``Host`` header names another host are refused (a web page elsewhere cannot reach them through DNS rebinding), and
the play websocket refuses browser connections from another origin.

Play protocol (JSON text messages, docs/replays.md):
  server -> page: {"type": "init", "replay": <a replay document with no steps yet>, "agent": N, "keys": [...]}
                  {"type": "step", "step": <one step in the layout of the document's "steps">}
                  {"type": "episode_over", "saved": PATH}   {"type": "saved", "path": PATH}
                  {"type": "error", "message": TEXT}        (a malformed or unknown message; the world goes on)
  page -> server: {"type": "action", "action": NAME or INDEX}   one step: the person's agent does this, the others
                  {"type": "reset"}                              follow the policy; a new episode (the last is saved)
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from gridenv.replay import ReplayRecorder, load_policy_uri, load_replay

VIEWER_DIR = Path(__file__).resolve().parent / "viewer"
STATIC_FILES = {  # URL path -> (file in VIEWER_DIR, content type): everything the servers will ever send from disk
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/viewer.js": ("viewer.js", "text/javascript; charset=utf-8"),
    "/viewer.css": ("viewer.css", "text/css; charset=utf-8"),
}
REPLAY_PATH = "/replay.json.z"
WEBSOCKET_PATH = "/ws"
MAX_MESSAGE_BYTES = 4096

# Play keys: key (KeyboardEvent.key, case-insensitive for letters) -> action name. Only actions in the env's table are
# offered; glyph_<k> on the digits 1-9 (k = digit - 1), marker_<k> on Z X C V (k = 0 ... 3).
PLAY_KEYS = [
    ("ArrowUp", "move_north"), ("w", "move_north"), ("ArrowDown", "move_south"), ("s", "move_south"),
    ("ArrowLeft", "move_west"), ("a", "move_west"), ("ArrowRight", "move_east"), ("d", "move_east"),
    ("e", "use"), ("f", "attack"), ("q", "toggle_shield"), ("r", "share"), (" ", "noop"), (".", "noop"),
    ("b", "build"), ("x", "destroy"), ("n", "bond"), ("t", "switch_body"),
] + [(str(k + 1), f"glyph_{k}") for k in range(9)] + [(key, f"marker_{k}") for k, key in enumerate("zcvg")]


def security_headers(extra_connect: str = "") -> list[tuple[str, str]]:
    connect = "'self'" + (f" {extra_connect}" if extra_connect else "")
    return [("Content-Security-Policy", f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "
                                        f"data: blob:; connect-src {connect}; base-uri 'none'; form-action 'none'; "
                                        f"frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store")]


def allowed_hosts(host: str, port: int) -> set[str]:
    names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
    if host in ("::1", "[::1]"):
        names = {"[::1]", "localhost"}
    return {f"{name}:{port}" for name in names}


def static_file(path: str) -> tuple[bytes, str] | None:
    entry = STATIC_FILES.get(path)
    if entry is None:
        return None
    return (VIEWER_DIR / entry[0]).read_bytes(), entry[1]


def url_for(host: str, port: int, query: str = "") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/{query}"


# --------------------------------------------------------------------------------------------------------------------
# gridenv replay FILE
# --------------------------------------------------------------------------------------------------------------------

class ReplayServer:
    """Serves the viewer and one replay over HTTP (http.server, threads). ``port=0`` picks a free port."""

    def __init__(self, replay_path: str | Path, host: str = "127.0.0.1", port: int = 0):
        self.replay_path = Path(replay_path)
        load_replay(self.replay_path)  # refuse a damaged file here, not in the browser
        self.replay_bytes = self.replay_path.read_bytes()
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "gridenv"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints the URL only
                pass

            def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in security_headers():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                if self.headers.get("Host", "") not in server.hosts:
                    return self._send(HTTPStatus.FORBIDDEN, b"forbidden: unexpected Host header\n")
                path = urlsplit(self.path).path
                if path == REPLAY_PATH:
                    return self._send(HTTPStatus.OK, server.replay_bytes, "application/octet-stream")
                found = static_file(path)
                if found is None:
                    return self._send(HTTPStatus.NOT_FOUND, b"not found\n")
                self._send(HTTPStatus.OK, *found)

            do_HEAD = do_GET

            def _refuse(self) -> None:
                self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"method not allowed\n")

            do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_address[1]
        self.hosts = allowed_hosts(host, self.port)
        self.url = url_for(host, self.port, f"?replay={REPLAY_PATH[1:]}")
        self._thread: threading.Thread | None = None

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="gridenv-replay", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_replay(path: str | Path, host: str = "127.0.0.1", port: int = 0, open_browser: bool = True) -> int:
    server = ReplayServer(path, host, port)
    print(f"gridenv replay: serving {path} at {server.url}  (Ctrl-C stops)", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


# --------------------------------------------------------------------------------------------------------------------
# gridenv play ENV
# --------------------------------------------------------------------------------------------------------------------

class PlaySession:
    """The live world: one episode at a time, recorded; the person's agent acts on request, the rest by policy."""

    def __init__(self, config, agent: int = 0, policy: str | None = None, seed: int = 0,
                 out: str | Path = "play.json.z"):
        from gridenv.parallel_env import GridParallelEnv

        self.env = GridParallelEnv(config)
        if isinstance(agent, bool) or not isinstance(agent, int) or not 0 <= agent < self.env.world.num_agents:
            raise ValueError(f"--agent: expected an agent index in [0, {self.env.world.num_agents - 1}], got {agent}")
        self.agent = agent
        self.policy_uri = policy or "random"
        self.policy = load_policy_uri(policy, self.env, seed=seed)
        self.seed = seed
        self.out = Path(out)
        self.episode = 0
        self.saved: list[Path] = []
        self.lock = threading.Lock()
        index = {name: i for i, name in enumerate(self.env.action_names)}
        self.keys = [{"key": key, "action": name, "index": index[name]} for key, name in PLAY_KEYS if name in index]
        self._start_episode()

    def _start_episode(self) -> None:
        env = self.env
        observations, _ = env.reset(seed=self.seed + self.episode)
        self.recorder = ReplayRecorder(env, seed=self.seed + self.episode, recorded_by="gridenv play",
                                       policy=f"agent {self.agent}: person; others: {self.policy_uri}")
        self.latest = dict(observations)
        self.state = self.policy.initial_state(len(env.possible_agents))
        self.episode_saved: Path | None = None

    def path_for_episode(self) -> Path:
        if self.episode == 0:
            return self.out
        name = self.out.name
        stem, suffix = (name[:-len(".json.z")], ".json.z") if name.endswith(".json.z") else (self.out.stem,
                                                                                            self.out.suffix)
        return self.out.with_name(f"{stem}-{self.episode + 1}{suffix}")

    @property
    def over(self) -> bool:
        return not self.env.agents

    def init_message(self) -> dict[str, Any]:
        """The episode so far as a replay document (a page that connects mid-episode sees all of it)."""
        return {"type": "init", "replay": self.recorder.document(), "agent": self.agent, "keys": self.keys,
                "over": self.over}

    def parse_action(self, value: Any) -> int:
        names = self.env.action_names
        if isinstance(value, str) and value in names:
            return names.index(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
            return value
        raise ValueError(f"action: expected an action name ({', '.join(names)}) or an index in "
                         f"[0, {len(names) - 1}], got {repr(value)[:40]}")

    def step(self, action: int) -> dict[str, Any]:
        """One world step: the person's action for their agent, the policy's for the rest."""
        env = self.env
        if self.over:
            raise ValueError("the episode is over: send {\"type\": \"reset\"} (the Enter key) for a new one")
        agents = env.possible_agents
        actions, self.state = self.policy.act(np.stack([self.latest[a] for a in agents]), self.state,
                                              np.zeros(len(agents), bool))
        actions = np.asarray(actions, np.int64).copy()
        actions[self.agent] = action
        step_actions = {a: int(actions[i]) for i, a in enumerate(agents) if a in env.agents}
        observations, *_ = env.step(step_actions)
        self.latest.update(observations)
        self.recorder.record_step(step_actions)
        return {"type": "step", "step": self.recorder.last_step(), "over": self.over}

    def save(self) -> Path | None:
        """Write the episode in progress (once; nothing if it has no steps)."""
        if self.recorder.num_steps == 0 or self.episode_saved is not None:
            return self.episode_saved
        self.episode_saved = self.recorder.write(self.path_for_episode())
        self.saved.append(self.episode_saved)
        return self.episode_saved

    def reset(self) -> None:
        self.save()
        self.episode += 1
        self._start_episode()

    def handle(self, text: Any) -> list[dict[str, Any]]:
        """The replies to one message from a page (errors are replies too: the world goes on)."""
        try:
            if not isinstance(text, str):
                raise ValueError("expected a JSON text message")
            if len(text) > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {len(text)} characters, at most {MAX_MESSAGE_BYTES}")
            try:
                message = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as error:
                raise ValueError(f"malformed JSON ({error})") from None
            if not isinstance(message, dict):
                raise ValueError("expected a JSON object with a \"type\"")
            kind = message.get("type")
            with self.lock:
                if kind == "action":
                    reply = self.step(self.parse_action(message.get("action")))
                    if self.over:
                        saved = self.save()
                        return [reply, {"type": "episode_over", "saved": str(saved)}]
                    return [reply]
                if kind == "reset":
                    self.reset()
                    return [self.init_message()]
            raise ValueError(f"unknown message type {str(kind)[:40]!r}; expected action or reset")
        except ValueError as error:
            return [{"type": "error", "message": str(error)}]


class PlayServer:
    """Serves the viewer over HTTP and the live world over a websocket (the ``websockets`` library), on one port."""

    def __init__(self, session: PlaySession, host: str = "127.0.0.1", port: int = 0):
        self.session = session
        self.host, self.requested_port = host, port
        self.port = 0
        self.url = ""
        self.clients: set = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def _process_request(self, connection, request):
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        def respond(status: HTTPStatus, body: bytes, content_type: str = "text/plain; charset=utf-8"):
            headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body)))]
                              + security_headers(f"ws://{request.headers.get('Host', '')}"))
            return Response(status.value, status.phrase, headers, body)

        if request.headers.get("Host", "") not in self.hosts:
            return respond(HTTPStatus.FORBIDDEN, b"forbidden: unexpected Host header\n")
        path = urlsplit(request.path).path
        if path == WEBSOCKET_PATH:
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc not in self.hosts:
                return respond(HTTPStatus.FORBIDDEN, b"forbidden: websocket from another origin\n")
            return None  # the websocket handshake goes on
        found = static_file(path)
        if found is None:
            return respond(HTTPStatus.NOT_FOUND, b"not found\n")
        return respond(HTTPStatus.OK, *found)

    async def _handler(self, websocket) -> None:
        self.clients.add(websocket)
        try:
            with self.session.lock:
                init = self.session.init_message()
            await websocket.send(json.dumps(init, allow_nan=False))
            async for text in websocket:
                replies = self.session.handle(text)
                for reply in replies:
                    data = json.dumps(reply, allow_nan=False)
                    if reply["type"] == "error":
                        await websocket.send(data)
                    else:  # the world changed: every page watching sees it
                        for client in list(self.clients):
                            try:
                                await client.send(data)
                            except Exception:  # a page that went away
                                self.clients.discard(client)
        finally:
            self.clients.discard(websocket)

    async def _main(self) -> None:
        from websockets.asyncio.server import serve

        self._stop = asyncio.Event()
        async with serve(self._handler, self.host, self.requested_port, process_request=self._process_request,
                         max_size=MAX_MESSAGE_BYTES, compression=None) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self.hosts = allowed_hosts(self.host, self.port)
            self.url = url_for(self.host, self.port, "?play=1")
            self._ready.set()
            await self._stop.wait()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
        finally:
            self._loop.close()

    def start(self) -> PlayServer:
        self._thread = threading.Thread(target=self._run, name="gridenv-play", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve_play(config, agent: int = 0, policy: str | None = None, seed: int = 0, out: str | Path | None = None,
               host: str = "127.0.0.1", port: int = 0, open_browser: bool = True) -> int:
    try:
        import websockets  # noqa: F401
    except ImportError:
        raise ValueError("gridenv play needs the websockets package: pip install websockets") from None
    out = out or f"play-{config.full_name}-{time.strftime('%Y%m%d-%H%M%S')}.json.z"
    session = PlaySession(config, agent=agent, policy=policy, seed=seed, out=out)
    server = PlayServer(session, host, port).start()
    print(f"gridenv play: {config.full_name}, you drive agent_{agent} (others: {session.policy_uri}) at "
          f"{server.url}  (Ctrl-C stops and saves the replay)", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated session is saved too
    try:
        while server._thread is not None and server._thread.is_alive():
            server._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        with session.lock:
            session.save()
        for path in session.saved:
            print(f"gridenv play: saved {path}", flush=True)
    return 0
