"""Replicas at scale: 10,000 feeds, one PostgreSQL database, one replica and then two.

Everything is real and local: a feed server (its own process, a raw asyncio protocol with
ETag/304) serves 10,000 RSS feeds on 127.0.0.1-50 (50 loopback addresses: real feeds live
on many hosts, and the daemon limits requests per host); an alert receiver (its own process)
takes the Apprise `json://` posts; each replica is a `news-monitor run -c FILE` subprocess;
each run gets a fresh PostgreSQL database (from NEWS_MONITOR_TEST_PG, dropped afterwards).
One replica, then two, with the same 10,000 sources, go through:

- warm-up: launch until every feed has been polled once (200, parse, record every item).
  Each feed holds 3 items (--items): the warm-up and the memory grow with that number.
  poll.concurrency is 50 (--concurrency): what 167 polls/s need with real-world fetches of
  about 0.3 s. Loopback answers in a millisecond, so more slots do not add capacity here;
  they only queue more work inside a replica, which delays its deliveries.
- throughput: every source is due every second, so the replicas are saturated; polls/s are
  the requests counted at the feed server over a 15 s window. Most answers are 304, as for
  real feeds; a few feeds gain an item the rule matches ("alerts while saturated").
- delay: a hot reload (SIGHUP) sets a realistic interval, the shortest of 20/30/45/60 s that
  needs at most half the one-replica capacity; then 500 matching items ("Airstrike in Aleppo
  #id", rule: places Aleppo + keywords airstrike) appear in random feeds at random times over
  one interval. An item's delay runs from the moment the feed server serves it to the
  arrival of its alert at the receiver; it is split into the wait for a poll to fetch it
  (the first 200 carrying it) and what the daemon took from there (record, deliver).

How to read the output: `polls/s` is capacity; `2 replicas / 1 replica` is what a second
replica adds on this machine, where the replicas, PostgreSQL and the feed server share the
cores (the CPU line of each run says who used them). "Polled again after" is the gap between
two polls of one feed in the delay phase: the interval plus the daemon's lag. Memory is VmHWM
(peak resident set) of each replica process. Targets, with PASS/MISS: peak memory <= 200 MB
per replica; alert delay p99 <= interval + 2 s; every expected alert received exactly once.
A replica that dies at start is reported and restarted, as a supervisor would. --logs DIR
keeps the replicas' logs and one line per item (id, feed, appeared, alert arrivals).

Run: make bench   (or: . scripts/test-postgres.sh && python bench/scale.py [--feeds N])
Without NEWS_MONITOR_TEST_PG it says so and exits 0. About 6 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
THROUGHPUT_INTERVAL = 1.0  # seconds: every source is due again at once (saturation)
INTERVALS = (20, 30, 45, 60)  # delay-phase candidates, shortest first
TARGET_LOAD = 0.5  # the delay-phase pace needs at most this share of the measured capacity
MEMORY_TARGET_MB = 200.0
DELAY_SLACK = 2.0  # p99 target: interval + this
STOP_GRACE = 15.0  # seconds between SIGTERM and SIGKILL
ITEM_ID = re.compile(r"Aleppo #(\d+)")
SYLLABLES = ("ka", "lo", "mi", "ru", "te", "san", "dor", "vel", "pa", "qui", "zen", "bra",
             "no", "fi", "gu", "har", "mes", "tol", "wen", "yas", "ub", "ex", "ci", "lan")


# -- the feed server (a process of its own: `scale.py --serve-feeds N ITEMS HOSTS`) -------

def words(rng: random.Random, count: int) -> str:
    """Made-up words from a large vocabulary: headlines that share few words, like real
    ones (the story index groups headlines by shared words; identical templates would make
    every item look like one story)."""
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
                    for _ in range(count))


def rss_item(feed: int, key: str, title: str, text: str, when: float) -> str:
    link = f"https://feed{feed}.example.org/news/{key}"
    return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{formatdate(when, usegmt=True)}</pubDate>"
            f"<description>{text}</description></item>")


def baseline_items(feed: int, count: int, now: float) -> list[str]:
    """The items a feed already has: no rule matches them."""
    rng = random.Random(feed)
    return [rss_item(feed, f"{feed}-{k}", words(rng, 7).capitalize(),
                     words(rng, 30).capitalize() + ".", now - 3600 * (k + 1))
            for k in range(count)]


def alert_item(feed: int, ident: int, when: float) -> str:
    """A new item the watch rule (Aleppo and airstrike) matches; its id is in the title."""
    return rss_item(feed, f"a{ident}", f"Airstrike in Aleppo #{ident}",
                    "Warplanes struck a market district on the western edge of the city, "
                    "residents said; rescue teams were searching the rubble.", when)


@dataclass
class FeedState:
    """One feed: its standing items, the matching items made visible, what is to come."""

    items: list[str]
    fresh: list[str] = field(default_factory=list)  # newest first
    pending: list[tuple[float, int]] = field(default_factory=list)  # (appears at, id)
    unserved: list[int] = field(default_factory=list)  # visible, not fetched yet
    body: bytes | None = None

    @property
    def etag(self) -> bytes:
        return b'"v%d"' % len(self.fresh)


class Feeds:
    """All feeds and the counters the bench reads (requests, 200s, 304s, per second)."""

    def __init__(self, count: int, items: int):
        now = time.time()
        self.items = items
        self.feeds = [FeedState(baseline_items(n, items, now)) for n in range(count)]
        self.polled = bytearray(count)
        self.counts = {"requests": 0, "ok": 0, "not_modified": 0, "feeds_seen": 0,
                       "unconditional": 0}
        self.per_second: dict[int, int] = {}
        self.served: dict[int, float] = {}  # item id -> first 200 that carried it
        self.last = [0.0] * count  # each feed's last request
        self.track_from = float("inf")  # gaps between polls of a feed are kept from then
        self.gaps: list[float] = []

    def reset(self) -> None:
        """A new run: the feeds as they were at the start, no items to come, and
        first polls counted again."""
        for state in self.feeds:
            state.fresh.clear()
            state.pending.clear()
            state.unserved.clear()
            state.body = None
        self.polled = bytearray(len(self.feeds))
        self.counts["feeds_seen"] = 0
        self.last = [0.0] * len(self.feeds)
        self.track_from, self.gaps = float("inf"), []

    def schedule(self, plan: list[list[float]]) -> None:
        """Items to make visible later: [appears at (epoch s), feed, id]."""
        for when, feed, ident in plan:
            self.feeds[int(feed)].pending.append((when, int(ident)))
        for state in self.feeds:
            state.pending.sort()

    def answer(self, feed: int, etag: bytes | None) -> bytes:
        """200 with the feed, or 304 when the client already has this version. An item is
        served from the moment it is due: the first request after that time sees it."""
        state, now = self.feeds[feed], time.time()
        self._count(feed, now)
        while state.pending and state.pending[0][0] <= now:
            when, ident = state.pending.pop(0)
            state.fresh.insert(0, alert_item(feed, ident, when))
            state.unserved.append(ident)
            state.body = None
        if etag == state.etag:
            self.counts["not_modified"] += 1
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + state.etag + b"\r\n\r\n"
        self.counts["ok"] += 1
        for ident in state.unserved:  # the poll that fetches it: the rest is the daemon's
            self.served[ident] = now
        state.unserved.clear()
        if etag is None and self.polled[feed] > 1:  # polled before, yet no If-None-Match
            self.counts["unconditional"] += 1
        if state.body is None:
            state.body = self._render(feed, state)
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                b"ETag: " + state.etag + b"\r\nContent-Length: %d\r\n\r\n" % len(state.body)
                + state.body)

    def _count(self, feed: int, now: float) -> None:
        if self.last[feed] >= self.track_from:
            self.gaps.append(now - self.last[feed])
        self.last[feed] = now
        self.counts["requests"] += 1
        second = int(now)
        self.per_second[second] = self.per_second.get(second, 0) + 1
        if not self.polled[feed]:
            self.counts["feeds_seen"] += 1
        self.polled[feed] = min(255, self.polled[feed] + 1)

    def _render(self, feed: int, state: FeedState) -> bytes:
        items = (state.fresh + state.items)[:self.items]  # a feed keeps its newest items
        return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Feed {feed}</title><link>https://feed{feed}.example.org/</link>"
                f"<description>Bench feed {feed}</description>{''.join(items)}"
                "</channel></rss>").encode()

    def stats(self, since: float) -> dict[str, Any]:
        seconds = {s: n for s, n in self.per_second.items() if s >= since}
        return {**self.counts, "per_second": seconds, "time": time.time()}


class FeedProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 server: raw protocol callbacks, no framework, so one process
    serves thousands of polls a second and is not what the bench measures."""

    def __init__(self, feeds: Feeds):
        self.feeds = feeds
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end]
            length = int(_header(head, b"content-length") or 0)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            self.transport.write(self.respond(head, body))

    def respond(self, head: bytes, body: bytes) -> bytes:
        path = head.split(b" ", 2)[1]
        if path.startswith(b"/feed/"):
            return self.feeds.answer(int(path[6:].split(b".")[0]),
                                     _header(head, b"if-none-match"))
        if path.startswith(b"/_reset"):
            self.feeds.reset()
            return _json_response({"ok": True})
        if path.startswith(b"/_schedule"):
            self.feeds.schedule(json.loads(body))
            return _json_response({"ok": True})
        if path.startswith(b"/_track"):  # ?from=T: keep the gaps between polls from T
            self.feeds.track_from = float(path.partition(b"from=")[2])
            self.feeds.gaps = []
            return _json_response({"ok": True})
        if path.startswith(b"/_gaps"):
            return _json_response(self.feeds.gaps)
        if path.startswith(b"/_served"):
            return _json_response(self.feeds.served)
        if path.startswith(b"/_stats"):
            since = float(path.partition(b"since=")[2] or 0)
            return _json_response(self.feeds.stats(since))
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def _header(head: bytes, name: bytes) -> bytes | None:
    at = head.lower().find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start:end if end >= 0 else len(head)].strip()


def _json_response(data: Any) -> bytes:
    body = json.dumps(data).encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def serve_feeds(count: int, items: int, hosts: int) -> None:
    """Serve on 127.0.0.1 .. 127.0.0.<hosts>, one port: the daemon limits requests per host
    (poll.per_host), and real feeds are spread over many hosts."""
    loop = asyncio.get_running_loop()
    feeds = Feeds(count, items)
    servers = await listen(loop, lambda: FeedProtocol(feeds), hosts)
    print(servers[0].sockets[0].getsockname()[1], flush=True)
    gone = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read() or gone.set())
    await gone.wait()  # stdin closes when the bench ends, however it ends


async def listen(loop: asyncio.AbstractEventLoop, factory: Any, hosts: int
                 ) -> list[asyncio.Server]:
    """The same free port on every loopback address (tried again if one is taken)."""
    for _ in range(20):
        first = await loop.create_server(factory, "127.0.0.1", 0, backlog=4096)
        port, servers = first.sockets[0].getsockname()[1], [first]
        try:
            for n in range(2, hosts + 1):
                servers.append(await loop.create_server(factory, f"127.0.0.{n}", port,
                                                        backlog=4096))
            return servers
        except OSError:
            for server in servers:
                server.close()
    raise RuntimeError("no port free on every loopback address")


# -- the alert receiver (a process of its own: `scale.py --receive-alerts`) ---------------

class AlertHandler(BaseHTTPRequestHandler):
    """Apprise json:// posts {title, message}; record each item id with its arrival time.
    GET returns everything received so far."""

    arrivals: list[tuple[int, float]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        at = time.time()
        data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        text = f"{data.get('title', '')}\n{data.get('message', '')}"
        with self.lock:
            self.arrivals.extend((int(i), at) for i in set(ITEM_ID.findall(text)))
        self._reply(b"{}")

    def do_GET(self) -> None:  # noqa: N802
        with self.lock:
            self._reply(json.dumps(self.arrivals).encode())

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def receive_alerts() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), AlertHandler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns when the bench ends, however it ends


# -- the bench's side ---------------------------------------------------------------------

def _die_with_parent() -> None:
    """In a child before exec: SIGTERM it if the bench dies (even by SIGKILL), so no
    replica or server outlives the bench. Linux prctl(PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def spawn(args: list[str], **kw: Any) -> subprocess.Popen:
    """A child process that dies with the bench; stdin is a pipe the helpers watch."""
    return subprocess.Popen(args, stdin=subprocess.PIPE, preexec_fn=_die_with_parent, **kw)


def stop(processes: list[subprocess.Popen]) -> list[float]:
    """SIGTERM all, wait up to STOP_GRACE, SIGKILL what is left. Seconds each took."""
    started = time.monotonic()
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        if p.stdin:
            with contextlib.suppress(OSError):
                p.stdin.close()
    took = []
    for p in processes:
        try:
            p.wait(timeout=max(0.1, STOP_GRACE - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        took.append(time.monotonic() - started)
    return took


def helper(flag: str, *args: str) -> tuple[subprocess.Popen, int]:
    """Start the feed server or the receiver; return it and the port it listens on."""
    proc = spawn([sys.executable, str(HERE), flag, *args], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        stop([proc])
        raise RuntimeError(f"{flag} did not start")
    return proc, int(line)


def http_json(url: str, data: Any = None) -> Any:
    body = None if data is None else json.dumps(data).encode()
    with urllib.request.urlopen(url, data=body, timeout=30) as resp:
        return json.loads(resp.read())


def proc_status(pid: int, key: str) -> float:
    """A /proc/PID/status figure in MB (VmHWM: the peak resident set)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores: their deltas say how saturated the machine was."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new, empty database for one run, dropped afterwards (even after errors)."""
    import psycopg

    name = f"nm_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Setup:
    """What every run shares."""

    feeds: int
    items: int
    hosts: int
    concurrency: int
    alerts_per_interval: int
    feed_port: int
    alert_port: int
    workdir: Path
    logs: Path | None = None  # where replica logs are copied, if anywhere


def write_config(setup: Setup, folder: Path, state: str, interval: float) -> Path:
    """monitor.yaml and its watchlist. Feed n is on loopback address n % hosts: per_host
    keeps its default, as for real feeds spread over many hosts."""
    import yaml

    (folder / "watchlists").mkdir(parents=True, exist_ok=True)
    (folder / "watchlists" / "bench.yaml").write_text(yaml.safe_dump({  # as the shipped one:
        "name": "bench", "rules": [{"name": "Fighting in Aleppo", "places": ["Aleppo"],
                                    "keywords": ["airstrike"]}]}))  # (loads the gazetteer)
    config = {
        "state": state,
        "health": {"enabled": False},
        "poll": {"interval": interval, "concurrency": setup.concurrency},
        "channels": {"bench": {"url": f"json://127.0.0.1:{setup.alert_port}/alerts",
                               "group_wait": 0}},
        "watchlists": ["watchlists/*.yaml"],
        "sources": [{"name": f"feed {n}",
                     "feed": f"http://127.0.0.{1 + n % setup.hosts}:{setup.feed_port}"
                             f"/feed/{n}.xml"}
                    for n in range(setup.feeds)],
    }
    path = folder / "monitor.yaml"
    spare = folder / "monitor.yaml.new"  # written whole, then renamed: a reload never
    spare.write_text(yaml.safe_dump(config, sort_keys=False))  # reads half a file
    spare.replace(path)
    return path


class Replica:
    """One `news-monitor run` subprocess, its log file and its /proc figures."""

    def __init__(self, config: Path, index: int):
        self.config, self.index = config, index
        self.log = config.parent / f"replica-{index + 1}.log"
        self.log.write_bytes(b"")
        self.proc = self._start()

    def _start(self) -> subprocess.Popen:
        binary = Path(sys.executable).with_name("news-monitor")
        command = [str(binary) if binary.exists() else shutil.which("news-monitor") or
                   "news-monitor", "run", "-c", str(self.config)]
        with self.log.open("ab") as log:
            return spawn(command, stdout=subprocess.DEVNULL, stderr=log,
                         cwd=self.config.parent)

    def started(self, timeout: float = 120) -> str | None:
        """Wait for the daemon's 'running' line; None once it runs, else why it exited.
        A replica that dies at start is restarted, as a supervisor (systemd, Kubernetes)
        would, and the failure is reported."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if "news-monitor running" in self.log_text():
                return None
            if self.proc.poll() is not None:
                why = f"exited ({self.proc.returncode}) at start: {last_error(self.log_text())}"
                self.proc = self._start()
                return why
            time.sleep(0.2)
        raise RuntimeError(f"replica {self.index + 1} did not start in {timeout:g} s")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, needle: str) -> int:
        return self.log_text().count(needle)

    @property
    def peak_mb(self) -> float:
        return proc_status(self.proc.pid, "VmHWM")


def last_error(log: str) -> str:
    """The exception line a crashed daemon logged last (or its last line)."""
    lines = [ln for ln in log.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception)\b", ln)]
    return (errors or lines or ["(no log)"])[-1][:220]


@dataclass
class Outcome:
    """What became of planned items: per item, seconds from appearing to its alert (None:
    no alert), split into the wait for a poll to fetch it and what the daemon took after."""

    delays: list[float | None] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # appeared -> fetched by a poll
    after_fetch: list[float] = field(default_factory=list)  # fetched -> alert arrived
    duplicates: int = 0

    @property
    def received(self) -> list[float]:
        return [d for d in self.delays if d is not None]

    def line(self) -> str:
        got = self.received
        return (f"p50 {percentile(got, 50):.1f} s, p99 {percentile(got, 99):.1f} s, max "
                f"{max(got, default=float('nan')):.1f} s (wait for a poll p99 "
                f"{percentile(self.waits, 99):.1f} s; fetched -> alert p50 "
                f"{percentile(self.after_fetch, 50):.1f} s, p99 "
                f"{percentile(self.after_fetch, 99):.1f} s)")


@dataclass
class Run:
    """What one run (1 or 2 replicas) measured."""

    replicas: int
    startup: float = 0.0  # launch until every replica logged that it runs
    warmup: float = 0.0  # launch until every feed was polled once
    warmup_peaks: list[float] = field(default_factory=list)
    polls_per_s: float = 0.0
    share_304: float = 0.0
    unconditional: int = 0  # 200s to a repeat poll that sent no If-None-Match
    cpu: dict[str, float] = field(default_factory=dict)  # % of one core, over the window
    interval: float = 0.0
    gaps: list[float] = field(default_factory=list)  # between polls of a feed (delay phase)
    busiest_second: int = 0
    saturated: Outcome = field(default_factory=Outcome)
    delayed: Outcome = field(default_factory=Outcome)
    peaks: list[float] = field(default_factory=list)
    stops: list[float] = field(default_factory=list)
    start_failures: list[str] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)


class Bench:
    """Drives the runs against the shared feed server and receiver."""

    def __init__(self, setup: Setup, server: subprocess.Popen, admin_url: str):
        self.setup, self.server, self.admin_url = setup, server, admin_url
        self.next_id = 100_000
        self.feed_of: dict[int, int] = {}  # item id -> its feed
        self.rng = random.Random(7)

    def stats(self, since: float = 0) -> dict[str, Any]:
        return http_json(f"http://127.0.0.1:{self.setup.feed_port}/_stats?since={since}")

    def arrivals(self) -> list[tuple[int, float]]:
        return [tuple(a) for a in http_json(f"http://127.0.0.1:{self.setup.alert_port}/")]

    def plan(self, count: int, start: float, span: float) -> dict[int, float]:
        """`count` matching items in distinct random feeds at random times in [start,
        start + span]; tell the server; return {id: time it appears}."""
        feeds = self.rng.sample(range(self.setup.feeds), count)
        plan = {}
        for feed in feeds:
            plan[self.next_id] = (start + self.rng.random() * span, feed)
            self.feed_of[self.next_id] = feed
            self.next_id += 1
        http_json(f"http://127.0.0.1:{self.setup.feed_port}/_schedule",
                  [[when, feed, ident] for ident, (when, feed) in plan.items()])
        return {ident: when for ident, (when, _) in plan.items()}

    def run(self, replicas: int, interval: float | None) -> Run:
        """One run on a fresh database; `interval` None: choose it from this run's
        capacity."""
        result = Run(replicas)
        folder = Path(tempfile.mkdtemp(prefix=f"r{replicas}-", dir=self.setup.workdir))
        http_json(f"http://127.0.0.1:{self.setup.feed_port}/_reset", {})
        with fresh_database(self.admin_url) as state:
            config = write_config(self.setup, folder, state, THROUGHPUT_INTERVAL)
            launched = time.time()
            running = [Replica(config, i) for i in range(replicas)]
            try:
                self.start(running, result)
                result.startup = time.time() - launched
                self.warm_up(running, launched, result)
                self.measure(running, config, state, result, interval)
                result.peaks = [r.peak_mb for r in running]
            finally:
                result.stops = stop([r.proc for r in running])
                self.keep_logs(running)
            result.log_problems = problems_in([r.log_text() for r in running])
        return result

    def keep_logs(self, running: list[Replica]) -> None:
        if self.setup.logs is not None:
            self.setup.logs.mkdir(parents=True, exist_ok=True)
            for r in running:
                shutil.copy(r.log, self.setup.logs / f"{len(running)}-{r.log.name}")

    def start(self, running: list[Replica], result: Run) -> None:
        """All replicas start together, as a deployment starts them; each failed start is
        recorded and the replica restarted (at most twice)."""
        for r in running:
            for _ in range(3):
                why = r.started()
                if why is None:
                    break
                result.start_failures.append(f"replica {r.index + 1} {why}")
            else:
                raise RuntimeError(f"replica {r.index + 1} failed to start three times; "
                                   f"last: {result.start_failures[-1]}")

    def measure(self, running: list[Replica], config: Path, state: str, result: Run,
                interval: float | None) -> None:
        saturated = self.plan(self.setup.alerts_per_interval // 5, time.time() + 1, 10)
        self.throughput(running, result, window=15.0)
        result.interval = interval or choose_interval(self.setup.feeds, result.polls_per_s)
        self.reload(running, config, state, result.interval)
        start = time.time() + 2  # polls begun before the reload end on the old pace
        planned = self.plan(self.setup.alerts_per_interval, start, result.interval)
        http_json(f"http://127.0.0.1:{self.setup.feed_port}/_track?from={start}", {})
        deadline = start + 2 * result.interval + DELAY_SLACK + 10
        result.delayed = self.collect(planned, deadline)
        result.gaps = http_json(f"http://127.0.0.1:{self.setup.feed_port}/_gaps")
        result.busiest_second = max(self.stats(int(start))["per_second"].values(), default=0)
        result.saturated = self.collect(saturated, time.time())

    def warm_up(self, running: list[Replica], launched: float, result: Run) -> None:
        """Until every feed has been polled once, from the launch: the first polls parse
        and record every item, the steady state after them does not."""
        while self.stats()["feeds_seen"] < self.setup.feeds:
            self.check_alive(running)
            if time.time() - launched > 300:
                raise RuntimeError("warm-up did not finish within 300 s")
            time.sleep(0.5)
        result.warmup = time.time() - launched
        result.warmup_peaks = [r.peak_mb for r in running]
        time.sleep(3)  # the last first polls are recorded; rounds of 304s from here on

    def throughput(self, running: list[Replica], result: Run, window: float) -> None:
        pids = {f"replica {i + 1}": r.proc.pid for i, r in enumerate(running)}
        pids["feed server"] = self.server.pid
        cpu_before = {k: cpu_seconds(p) for k, p in pids.items()}
        busy_before, before = machine_busy(), self.stats()
        time.sleep(window)
        busy_after, after = machine_busy(), self.stats()
        self.check_alive(running)
        elapsed = after["time"] - before["time"]
        result.polls_per_s = (after["requests"] - before["requests"]) / elapsed
        result.share_304 = ((after["not_modified"] - before["not_modified"])
                            / max(1, after["requests"] - before["requests"]))
        result.unconditional = after["unconditional"] - before["unconditional"]
        result.cpu = {k: 100 * (cpu_seconds(p) - cpu_before[k]) / elapsed
                      for k, p in pids.items()}
        result.cpu["machine (all cores)"] = 100 * os.cpu_count() * (
            (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]))

    def reload(self, running: list[Replica], config: Path, state: str,
               interval: float) -> None:
        """Switch every replica to the realistic interval (hot reload). No settling time
        is needed after it: every source is due at once then, and the replicas work
        through them at capacity, in the same order and at the same pace as in each later
        interval (the daemon adds no jitter, so sources started together stay bunched)."""
        seen = [r.count("configuration reloaded") for r in running]
        write_config(self.setup, config.parent, state, interval)
        for r in running:
            r.proc.send_signal(signal.SIGHUP)
        started = time.time()
        while any(r.count("configuration reloaded") <= n for r, n in zip(running, seen,
                                                                          strict=True)):
            self.check_alive(running)
            if time.time() - started > 60:
                raise RuntimeError("a replica did not reload its configuration in 60 s")
            time.sleep(0.2)

    def collect(self, planned: dict[int, float], deadline: float) -> Outcome:
        """Wait until every planned item has alerted or the deadline passed."""
        while True:
            arrived: dict[int, list[float]] = {}
            for ident, at in self.arrivals():
                if ident in planned:
                    arrived.setdefault(ident, []).append(at)
            if len(arrived) == len(planned) or time.time() >= deadline:
                break
            time.sleep(0.5)
        served = {int(i): t for i, t in
                  http_json(f"http://127.0.0.1:{self.setup.feed_port}/_served").items()}
        self.record_items(planned, arrived)
        outcome = Outcome(duplicates=sum(len(a) - 1 for a in arrived.values()))
        for ident, when in planned.items():
            first = min(arrived[ident]) if ident in arrived else None
            outcome.delays.append(None if first is None else first - when)
            if first is not None and ident in served:
                outcome.waits.append(served[ident] - when)
                outcome.after_fetch.append(first - served[ident])
        return outcome

    def record_items(self, planned: dict[int, float], arrived: dict[int, list[float]]
                     ) -> None:
        """With --logs: one line per item (id, feed, appeared, alerts' arrivals), to find
        in the replicas' logs what happened to a late one."""
        if self.setup.logs is None:
            return
        self.setup.logs.mkdir(parents=True, exist_ok=True)
        with (self.setup.logs / "items.csv").open("a") as out:
            for ident, when in planned.items():
                times = " ".join(f"{t:.3f}" for t in arrived.get(ident, []))
                out.write(f"{ident},{self.feed_of[ident]},{when:.3f},{times}\n")

    def check_alive(self, running: list[Replica]) -> None:
        for i, r in enumerate(running):
            if r.proc.poll() is not None:
                tail = "\n".join(r.log_text().splitlines()[-15:])
                raise RuntimeError(f"replica {i + 1} exited ({r.proc.returncode}):\n{tail}")


def problems_in(logs: list[str]) -> list[str]:
    """The warnings and errors the replicas logged, the three most frequent kinds of each
    (numbers masked so that one kind counts as one): evidence of trouble under load."""
    found = []
    for i, text in enumerate(logs):
        kinds: dict[str, int] = {}
        for line in text.splitlines():
            m = re.match(r"^\S+ (WARNING|ERROR)\s+(.*)$", line)
            if m:
                kind = re.sub(r"\d+", "N", f"{m.group(1)} {m.group(2)}")[:120]
                kinds[kind] = kinds.get(kind, 0) + 1
        for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:3]:
            found.append(f"replica {i + 1}: {n} x {kind}")
    return found


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def choose_interval(feeds: int, capacity: float) -> float:
    """The shortest candidate whose required rate is at most TARGET_LOAD of capacity (the
    longest candidate if none is: the load printed then says so)."""
    for interval in INTERVALS:
        if feeds / interval <= TARGET_LOAD * capacity:
            return float(interval)
    return float(INTERVALS[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_run(run: Run, setup: Setup) -> None:
    """One run's lines, as measured (printed as soon as the run ends)."""
    print(f"== {run.replicas} replica{'s' if run.replicas > 1 else ''}")
    print(f"start: {run.startup:.1f} s; warm-up (until every feed was polled once): "
          f"{run.warmup:.1f} s, {setup.feeds * setup.items / run.warmup:.0f} items "
          f"recorded/s; memory then " + ", ".join(f"{p:.0f} MB" for p in run.warmup_peaks))
    print(f"throughput (interval {THROUGHPUT_INTERVAL:g} s, saturated): "
          f"{run.polls_per_s:.0f} polls/s, {100 * run.share_304:.1f}% answered 304, "
          f"{run.unconditional} repeat polls without If-None-Match")
    print("  CPU (% of one core): " + ", ".join(f"{k} {v:.0f}%" for k, v in run.cpu.items()))
    sat = run.saturated
    print(f"  alerts while saturated: {len(sat.received)}/{len(sat.delays)} received, "
          f"{sat.duplicates} duplicates; delay {sat.line()}")
    if run.interval:
        need = setup.feeds / run.interval
        out = run.delayed
        print(f"delay phase (interval {run.interval:g} s, needs {need:.0f} polls/s on "
              f"average): a feed was polled again after p50 {percentile(run.gaps, 50):.1f} s,"
              f" p99 {percentile(run.gaps, 99):.1f} s, max {max(run.gaps, default=0):.1f} s; "
              f"busiest second {run.busiest_second} polls")
        print(f"  alerts: expected {len(out.delays)}, received {len(out.received)}, "
              f"missing {len(out.delays) - len(out.received)}, duplicates {out.duplicates}")
        print(f"  delay item -> alert: {out.line()}")
    print("peak memory (VmHWM) per replica: "
          + ", ".join(f"{p:.0f} MB" for p in run.peaks))
    print("stopped (SIGTERM) after: " + ", ".join(f"{s:.1f} s" for s in run.stops))
    for line in run.start_failures:
        print(f"  start: {line}; restarted")
    for line in run.log_problems:
        print(f"  log: {line}")


def report_summary(runs: list[Run]) -> None:
    """Targets, PASS/MISS, and what a second replica adds."""
    print("== summary")
    for run in runs:
        peak = max(run.peaks, default=float("nan"))
        out = run.delayed
        p99, limit = percentile(out.received, 99), run.interval + DELAY_SLACK
        complete = len(out.received) == len(out.delays) and out.duplicates == 0
        name = f"{run.replicas} replica{'s' if run.replicas > 1 else ''}"
        print(f"{name}: peak memory {peak:.0f} MB (target <= {MEMORY_TARGET_MB:.0f}) "
              f"{verdict(peak <= MEMORY_TARGET_MB)}; delay p99 {p99:.1f} s (target <= "
              f"{limit:g}) {verdict(p99 <= limit)}; alerts {len(out.received)}/"
              f"{len(out.delays)}, {out.duplicates} duplicates {verdict(complete)}")
    if len(runs) == 2 and runs[0].polls_per_s:
        print(f"polls/s, 2 replicas / 1 replica: {runs[1].polls_per_s:.0f} / "
              f"{runs[0].polls_per_s:.0f} = {runs[1].polls_per_s / runs[0].polls_per_s:.2f}x")


def daemon_source() -> str:
    """Which daemon code ran: the commit, and whether monitor/ had uncommitted edits."""
    root = HERE.parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                "monitor"], capture_output=True, text=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = len([line for line in dirty if line.strip()])
    return f"commit {commit}" + (f" + {changed} uncommitted file(s) in monitor/" if changed
                                 else "")


def bench(args: argparse.Namespace, admin_url: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="nm-scale-"))
    server, feed_port = helper("--serve-feeds", str(args.feeds), str(args.items),
                               str(args.hosts))
    receiver, alert_port = helper("--receive-alerts")
    try:
        setup = Setup(args.feeds, args.items, args.hosts, args.concurrency, args.alerts,
                      feed_port, alert_port, workdir, args.logs)
        print(f"{args.feeds:,} RSS feeds ({args.items} items each) on a local server at "
              f"127.0.0.1-{args.hosts}, {os.cpu_count()} cores; replicas: `news-monitor run`"
              f", poll.concurrency {args.concurrency}; a fresh PostgreSQL database per run")
        print(f"daemon code: {daemon_source()}")
        b = Bench(setup, server, admin_url)
        first = b.run(1, None)  # its capacity sets the delay-phase interval of both runs
        print(f"delay-phase interval: {first.interval:g} s ({args.feeds / first.interval:.0f}"
              f" polls/s = {100 * args.feeds / first.interval / max(first.polls_per_s, 1):.0f}%"
              f" of the one-replica capacity, {first.polls_per_s:.0f} polls/s)")
        report_run(first, setup)
        second = b.run(2, first.interval)
        report_run(second, setup)
        report_summary([first, second])
    finally:
        stop([server, receiver])
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=3, help="items in each feed")
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses used")
    parser.add_argument("--concurrency", type=int, default=50, help="poll.concurrency")
    parser.add_argument("--alerts", type=int, default=500,
                        help="matching items appearing over one delay-phase interval")
    parser.add_argument("--logs", type=Path, help="copy the replicas' logs to this folder")
    parser.add_argument("--serve-feeds", nargs=3, type=int,
                        help=argparse.SUPPRESS)
    parser.add_argument("--receive-alerts", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_feeds:
        asyncio.run(serve_feeds(*args.serve_feeds))
        return
    if args.receive_alerts:
        receive_alerts()
        return
    admin_url = os.environ.get("NEWS_MONITOR_TEST_PG")
    if not admin_url:
        print("skipped: NEWS_MONITOR_TEST_PG is not set (an admin URL of a PostgreSQL server "
              "with CREATEDB); `. scripts/test-postgres.sh` starts the local one")
        return
    sys.stdout.reconfigure(line_buffering=True)  # each run's lines as soon as it ends
    started = time.monotonic()
    bench(args, admin_url)
    print(f"wall time: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
