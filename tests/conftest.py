"""Shared fixtures: real local servers and real databases, nothing mocked that can run here."""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "config" / "samples"


@pytest.fixture(scope="session", autouse=True)
def catalog_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The catalog's disk cache in a folder of the test session (the tests and the commands
    they start share it), never the user's own cache."""
    from monitor.catalog.diskcache import CACHE_ENV

    folder = tmp_path_factory.mktemp("catalog-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def pg_admin_url() -> str | None:
    return os.environ.get("NEWS_MONITOR_TEST_PG")


@pytest.fixture
def pg_url(pg_admin_url: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    if not pg_admin_url:
        pytest.skip("no PostgreSQL: run the suite with `make test`, which starts one")
    import psycopg

    name = f"nm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'monitor.db'}"
    return request.getfixturevalue("pg_url")


DEFAULT_RULES = [
    {"name": "Fighting in Aleppo", "places": ["Aleppo"],
     "keywords": ["airstrike", "counterattack", "shelling"], "priority": "high"},
    {"name": "ISIS claims an attack", "groups": ["ISIS", "Daesh"],
     "keywords": ["suicide bombing", "claimed responsibility"]},
]


def write_config(folder: Path, *, sources: list[dict[str, Any]],
                 channels: dict[str, str | dict[str, Any]] | None = None,
                 rules: list[dict[str, Any]] | None = None, state: str | None = None,
                 **settings: Any) -> Path:
    """Write monitor.yaml and one watchlist into `folder`; return the monitor.yaml path.

    A channel given as a bare URL sends each alert at once (group_wait 0), so tests can
    count messages; give a mapping to test grouping, digests and limits."""
    (folder / "watchlists").mkdir(parents=True, exist_ok=True)
    channels = channels if channels is not None else {"console": "console://"}
    watchlist = {"name": "test-watch", "rules": rules or DEFAULT_RULES}
    (folder / "watchlists" / "test.yaml").write_text(
        yaml.safe_dump(watchlist, allow_unicode=True, sort_keys=False), encoding="utf-8")
    data: dict[str, Any] = {
        "state": state or "sqlite:///state/monitor.db",
        "health": {"listen": "127.0.0.1:0"},  # a free port: tests may run daemons side by side
        "sources": sources,
        "channels": {name: ({"url": spec, "group_wait": 0} if isinstance(spec, str) else spec)
                     for name, spec in channels.items()},
        "watchlists": ["watchlists/*.yaml"],
        **settings,
    }
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 300, env: dict[str, str] | None = None,
            cwd: Path | None = None, input_text: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run `news-monitor ARGS` in a fresh process, as an operator would."""
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or ROOT, input=input_text,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def bundled_config(tmp_path: Path) -> Path:
    """A copy of the shipped config/ folder, so runs do not touch the working tree's state."""
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("state"))
    return target / "monitor.yaml"


class Site:
    """A threaded HTTP server on 127.0.0.1 serving feeds that tests change between polls,
    and receiving webhook posts. Each path maps to a werkzeug handler."""

    def __init__(self) -> None:
        from pytest_httpserver import HTTPServer

        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.feeds: dict[str, bytes] = {}
        self.posts: dict[str, list[bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.times: list[tuple[str, float]] = []  # (path, time.monotonic()) of each request
        self.handlers: dict[str, Any] = {}  # path -> werkzeug handler, for special answers
        self.server.expect_request(re_any()).respond_with_handler(self._handle)
        self.server.start()

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    @property
    def port(self) -> int:
        return self.server.port

    def _handle(self, request):
        from werkzeug import Response

        self.requests.append((request.path, dict(request.headers)))
        self.times.append((request.path, time.monotonic()))
        handler = self.handlers.get(request.path)
        if handler:
            return handler(request)
        if request.method == "POST":
            self.posts.setdefault(request.path, []).append(request.get_data())
            return Response("ok")
        body = self.feeds.get(request.path)
        if body is None:
            return Response("not found", status=404)
        return Response(body, content_type="application/rss+xml; charset=utf-8")

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


def re_any():
    import re

    return re.compile(".*")


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    try:
        yield s
    finally:
        s.stop()


def rss_feed(*items: dict[str, str]) -> bytes:
    """An RSS 2.0 feed of items given as {title, link, description, pubDate}. Items are
    dated now unless they say otherwise (pubDate "" for none): a first poll alerts only on
    recent, dated items."""
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    now = format_datetime(datetime.now(UTC))
    dates = [i.get("pubDate", now) for i in items]
    parts = [f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
             f"<guid>{escape(i.get('guid', i['link']))}</guid>"
             + (f"<pubDate>{escape(when)}</pubDate>" if when else "") +
             f"<description>{escape(i.get('description', ''))}</description></item>"
             for i, when in zip(items, dates, strict=True)]
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>Test feed</title><link>https://news.example.org/</link>"
            + "".join(parts) + "</channel></rss>").encode("utf-8")


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class Mailbox(Inbox):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self, **extra: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"from": "monitor@example.org",
                                                  "to": "desk@example.org", **extra}.items())
        return f"mailto://127.0.0.1:{self.port}?{query}"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server as (inbox, port), for tests that build their own mailto URLs."""
    box = Mailbox()
    try:
        yield box, box.port
    finally:
        box.controller.stop()


@contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[HTTPServer]:
    """A pytest-httpserver on `host` (any 127.0.0.x), stopped afterwards."""
    server = HTTPServer(host=host, port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    """One receiver per module: stopping one takes half a second."""
    with serving() as server:
        yield server


@pytest.fixture
def receiver(http_server: HTTPServer) -> Iterator[HTTPServer]:
    """The shared receiver with no handlers and an empty log."""
    http_server.clear()
    yield http_server
    http_server.clear()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    try:
        yield box
    finally:
        box.controller.stop()


class Daemon:
    """`news-monitor run` in a process, its stdout and stderr collected as they come."""

    def __init__(self, config: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "-c", str(config)], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.out, self.err = b"", b""
        for stream in (self.proc.stdout, self.proc.stderr):
            os.set_blocking(stream.fileno(), False)

    def _read(self) -> None:
        for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr)):
            chunk = stream.read()
            if chunk:
                setattr(self, name, getattr(self, name) + chunk)

    def wait_for(self, pattern: str, seconds: float, where: str = "err") -> float | None:
        """Seconds until `pattern` shows up in stdout/stderr, or None."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            self._read()
            if re.search(pattern, getattr(self, where).decode(errors="replace")):
                return time.monotonic() - start
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        finally:
            self.proc.kill()
            self._read()


class Silent:
    """A TCP server that accepts connections and never answers: a channel that hangs."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent_server() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


def once_under_probe(config: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """`news-monitor once` in a child process; its output and its peak RSS in MB."""
    probe = ("import resource, subprocess, sys;"
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
             "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr);"
             "sys.stderr.write(f'\\nEXIT {r.returncode} PEAK "
             "{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')")
    result = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "monitor",
                             "once", "-c", str(config)], capture_output=True, text=True,
                            timeout=600, cwd=ROOT)
    tail = result.stderr.rsplit("\nEXIT ", 1)[1].split()
    assert tail[0] == "0", result.stderr
    return result, int(tail[2]) / 1024


def errors_of(config: Path) -> dict[str, str | None]:
    """Each source's last error, as `status --json` shows it."""
    status = json.loads(run_cli("status", "--json", "-c", str(config)).stdout)
    return {s["source"]: s["last_error"] for s in status["sources"]}


# --- waiting for events ---------------------------------------------------------------------

EVENT_CEILING = 60.0  # seconds a test waits for an event before it says the event never came


def wait_until(check: Callable[[], object], ceiling: float = EVENT_CEILING,
               every: float = 0.05) -> bool:
    """Whether check() came true within `ceiling` seconds (polled every `every` seconds).
    The ceiling only tells an event that never comes from one that is late: a busy machine
    makes events late, never missing."""
    deadline = time.monotonic() + ceiling
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


def edit_until_logged(daemon: Daemon, edit: Callable[[], None], line: str,
                      ceiling: float = EVENT_CEILING, again_after: float = 5.0) -> bool:
    """Make an edit and wait until the daemon logs `line` once more than before, making the
    edit again every `again_after` seconds until then (within `ceiling`). The file watcher
    starts a moment after the daemon says it runs, and an edit made before it watches is
    never seen; making it again is harmless, as a reload reads the files as they are."""
    daemon.wait_for("never", 0)  # read what is there
    seen = daemon.err.decode(errors="replace").count(line)
    pattern = f"(?s){'.*'.join([re.escape(line)] * (seen + 1))}"
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        edit()
        if daemon.wait_for(pattern, min(again_after, deadline - time.monotonic())) is not None:
            return True
    return False
