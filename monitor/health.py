"""Health and metrics: /healthz, /readyz and Prometheus /metrics on one small HTTP listener,
which also serves the alert feeds under /feeds/ (Atom, GeoJSON and CAP 1.2: alertfeed.py)
when the daemon gives it a handler for them.

The listener is a few lines of asyncio rather than a web framework: a handful of fixed GET
routes, bound to 127.0.0.1 unless the operator says otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from array import array
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily

from monitor.database import Availability

log = logging.getLogger("monitor")

STALE_AFTER = 30.0  # seconds without a scheduler tick before /healthz says unhealthy


@dataclass
class Metrics:
    """The daemon's Prometheus series, in a registry of its own (one per Monitor)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.sources = SourceCounts()
        r.register(self.sources)
        self.matches = Counter("news_monitor_matches", "Rules fired, by rule",
                               ["watchlist", "rule"], registry=r)
        self.alerts = Counter("news_monitor_alerts", "Alert deliveries by what became of "
                              "them: sent, retried, failed, held for a digest", ["state"],
                              registry=r)
        self.pending = Gauge("news_monitor_outbox_pending", "Alerts waiting to be sent",
                             registry=r)
        self.oldest = Gauge("news_monitor_outbox_oldest_age_seconds",
                            "Age of the oldest alert waiting to be sent", registry=r)
        self.poll_seconds = Histogram("news_monitor_poll_seconds", "Fetch and parse time",
                                      registry=r)
        self.match_seconds = Histogram("news_monitor_match_seconds",
                                       "Matching time per entry",
                                       buckets=(.0001, .0003, .001, .003, .01, .03, .1, .3, 1),
                                       registry=r)
        self.reload_ok = Gauge("news_monitor_config_reload_ok",
                               "1 if the last config reload succeeded", registry=r)
        self.reloads = Counter("news_monitor_config_reloads", "Config reloads by result",
                               ["result"], registry=r)
        self.health_notices = Counter(
            "news_monitor_health_notices", "Source-health changes announced: failing, "
            "recovered, silent, active", ["event"], registry=r)
        self.reload_ok.set(1)


POLL_OUTCOMES = ("ok", "unchanged", "error")


class SourceCounts:
    """Polls by source and outcome, new entries and problems by source: Prometheus counters
    built at scrape time from plain counts. A labelled prometheus_client Counter keeps a
    child per label set (value objects, a lock, a creation time): at 10,000 sources that was
    ~15 MB of every replica; an array of five counts per source is about a tenth of it."""

    _ENTRIES, _PROBLEMS = len(POLL_OUTCOMES), len(POLL_OUTCOMES) + 1

    def __init__(self) -> None:
        # source -> polls per POLL_OUTCOMES, then entries, then problems
        self._counts: dict[str, array] = {}

    def _of(self, source: str) -> array:
        counts = self._counts.get(source)
        if counts is None:
            counts = self._counts[source] = array("Q", bytes(8 * (len(POLL_OUTCOMES) + 2)))
        return counts

    def polled(self, source: str, outcome: str, problems: int = 0) -> None:
        counts = self._of(source)
        counts[POLL_OUTCOMES.index(outcome)] += 1
        counts[self._PROBLEMS] += problems

    def found(self, source: str, entries: int) -> None:
        self._of(source)[self._ENTRIES] += entries

    def collect(self) -> Iterator[CounterMetricFamily]:
        polls = CounterMetricFamily("news_monitor_polls", "Polls by source and outcome",
                                    labels=["source", "outcome"])
        entries = CounterMetricFamily("news_monitor_entries", "New entries by source",
                                      labels=["source"])
        problems = CounterMetricFamily(
            "news_monitor_poll_problems", "What successful polls refused or dropped (links "
            "refused by the address guard, article pages over the cap…), by source",
            labels=["source"])
        for source, counts in list(self._counts.items()):
            for outcome, n in zip(POLL_OUTCOMES, counts, strict=False):
                if n:
                    polls.add_metric([source, outcome], n)
            if counts[self._ENTRIES]:
                entries.add_metric([source], counts[self._ENTRIES])
            if counts[self._PROBLEMS]:
                problems.add_metric([source], counts[self._PROBLEMS])
        yield polls
        yield entries
        yield problems


@dataclass
class Health:
    """What /healthz and /readyz report: the scheduler runs and ticks (alive); it has
    ticked, and the state database answers (ready); the config is valid.

    While the daemon waits for its database at start it is alive but not ready: a
    liveness probe must not restart a process that is only waiting for its database."""

    last_tick: float = 0.0
    running: Callable[[], bool] = lambda: False
    ready: bool = False
    config_error: str | None = None
    database: Availability = field(default_factory=Availability)
    waiting: bool = False  # for the state database, before the scheduler starts

    def tick(self) -> None:
        self.last_tick = time.monotonic()
        self.ready = True

    def healthy(self) -> bool:
        if self.waiting:
            return True
        return self.running() and time.monotonic() - self.last_tick < STALE_AFTER

    def unready(self) -> str | None:
        """Why the daemon is not ready, or None when it is."""
        if self.database.describe():
            return self.database.describe()
        if self.waiting:
            return "waiting for the state database"
        if not self.healthy():
            return "scheduler not running" if not self.running() else "stalled"
        return None if self.ready else "starting"


REQUEST_TIMEOUT = 5.0  # seconds a client may take to send its request line and headers


@dataclass(frozen=True, slots=True)
class Request:
    """What the routes read of a request: the path, the query string, the headers (names in
    lower case) and the address the client reached (for links back to the listener)."""

    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    local: str = ""  # host:port of the listener's socket


@dataclass(frozen=True, slots=True)
class Reply:
    status: str
    kind: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


Feeds = Callable[[Request], Awaitable[Reply]]
TEXT = "text/plain; charset=utf-8"


def parse_request(head: bytes, local: str = "") -> Request:
    """The request line and headers, read leniently: the routes only read, and anything
    unreadable becomes a path no route has. Raises IndexError when there is no target."""
    lines = head.decode("latin-1").split("\r\n")
    target = lines[0].split(" ", 2)[1]
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.setdefault(name.strip().lower(), value.strip())
    return Request(path, query, headers, local)


async def serve(listen: str, health: Health, metrics: Metrics,
                refresh: Callable[[], object], feeds: Feeds | None = None) -> asyncio.Server:
    """Start the listener on "host:port"; `refresh` updates scrape-time gauges; `feeds`
    answers /feeds/… (404 without it)."""
    host, _, port = listen.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            local = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
            request = parse_request(head, f"{local[0]}:{local[1]}")
            if request.path.startswith("/feeds/") and feeds is not None:
                reply = await feeds(request)
            else:
                reply = await _answer(request.path, health, metrics, refresh)
            extra = "".join(f"{name}: {value}\r\n" for name, value in reply.headers)
            writer.write(f"HTTP/1.1 {reply.status}\r\nContent-Type: {reply.kind}\r\n"
                         f"Content-Length: {len(reply.body)}\r\n{extra}Connection: close"
                         "\r\n\r\n".encode("latin-1") + reply.body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host or "127.0.0.1", int(port))
    bound = server.sockets[0].getsockname()
    log.info("health and metrics on http://%s:%d/ (healthz, readyz, metrics)", *bound[:2])
    return server


async def _answer(path: str, health: Health, metrics: Metrics,
                  refresh: Callable[[], object]) -> Reply:
    if path == "/healthz":
        ok = health.healthy()
        detail = ("ok; waiting for the state database" if ok and health.waiting else "ok" if ok
                  else "scheduler not running" if not health.running() else "stalled")
        return Reply("200 OK" if ok else "503 Service Unavailable", TEXT,
                     detail.encode() + b"\n")
    if path == "/readyz":
        why = health.unready()
        ok = why is None
        detail = "ready" if ok else f"not ready: {why}"
        if health.config_error:
            detail += (f"; config reload refused: {health.config_error} (still running the "
                       "previous configuration)")
        return Reply("200 OK" if ok else "503 Service Unavailable", TEXT,
                     detail.encode() + b"\n")
    if path == "/metrics":
        try:
            await asyncio.to_thread(refresh)
        except Exception as err:  # the database is down: the gauges keep their last values
            log.debug("metrics gauges not refreshed: %s", err)
        return Reply("200 OK", CONTENT_TYPE_LATEST, generate_latest(metrics.registry))
    return Reply("404 Not Found", TEXT, b"not found\n")
