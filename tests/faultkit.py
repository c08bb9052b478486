"""The fault tests' parts: feeds that keep publishing and the receiver that counts what
arrived (Desk), the daemon in its own process (Daemon), waits for events under ceilings,
and a throwaway PostgreSQL cluster a test may stop and start (PrivatePostgres)."""

from __future__ import annotations

import json
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
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug import Response

from monitor.sources.feeds import MAX_ENTRIES
from tests.conftest import ROOT, Site, free_port, rss_feed, run_cli, write_config

RULES = [{"name": "Airstrikes", "keywords": ["airstrike"]}]

# Ceilings, in seconds, for waits that normally end far sooner. Reaching one fails the test.
START_CEILING = 120.0  # a daemon's start-up, to "news-monitor running" (~1.5 s unloaded)
EVENT_CEILING = 120.0  # a running daemon doing what it does within a second or two
SETTLE_CEILING = 600.0  # every alert called for delivered (a few seconds to half a minute)

RUNNING = "news-monitor running"  # the daemon's line once its jobs are scheduled
UNAVAILABLE = "state database unavailable"  # its line while the database is down


def wait_for(what: str, ready: Callable[[], object], ceiling: float,
             progress: Callable[[], str] = lambda: "", every: float = 0.05,
             running: Sequence[Daemon] = ()) -> float:
    """Wait until `ready()` is true; the seconds it took. Past `ceiling`, fail saying what
    was awaited and what `progress()` shows; fail at once if a daemon in `running` exits."""
    start = time.monotonic()
    while True:
        for daemon in running:
            assert daemon.process.poll() is None, (
                f"a daemon exited ({daemon.process.returncode}) while waiting for {what}\n"
                f"{daemon.tail()}")
        if ready():
            return time.monotonic() - start
        if time.monotonic() - start > ceiling:
            raise AssertionError(f"waited {ceiling:g}s for {what}, in vain\n{progress()}")
        time.sleep(every)


def status(config: Path) -> dict:
    """`news-monitor status --json`: the sources' last polls, the outbox, the replicas."""
    result = run_cli("status", "--json", "-c", str(config), timeout=START_CEILING)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class Desk:
    """Feeds that keep publishing items the rules match, and the channel's receiver:
    what the rules call for (`published`) against what arrived (`received`).

    A feed keeps every item it published (unless `keep` says otherwise), so nothing
    scrolls off before a daemon could see it, however slowly the daemons start; a test
    keeps its feeds under the MAX_ENTRIES a daemon reads of each (`check_feed_sizes`)."""

    def __init__(self, site: Site, feeds: int = 5, keep: int | None = None, seed: int = 0,
                 feed_delay: float = 0.0):
        self.site = site
        self.rng = random.Random(seed)
        self.paths = [f"/feed/{i}.xml" for i in range(feeds)]
        self.items: dict[str, list[dict[str, str]]] = {p: [] for p in self.paths}
        self.keep = keep
        self.published: set[int] = set()
        self.last_published = datetime.now(UTC)  # when the feeds last changed
        self.received: list[int] = []
        self.epoch = 0  # which daemon process is running: the test counts them
        self.arrivals: dict[int, list[int]] = {}  # item -> the epoch that sent each copy
        self.by_epoch: Counter[int] = Counter()  # copies each epoch's daemon sent
        self.late = 0  # copies that arrived after the daemon that sent them was gone
        self.refused = 0
        self.down_until = 0.0  # time.monotonic() until which the channel answers 503
        self.slow = 0.02  # the receiver holds each message this long before answering
        self._lock = threading.Lock()
        self._held = threading.Event()  # set: `publishing` publishes nothing for now
        for path in self.paths:
            site.feeds[path] = rss_feed()
            if feed_delay:
                site.handlers[path] = self._slowly(path, feed_delay)

    def _slowly(self, path: str, delay: float):
        def answer(_request) -> Response:
            time.sleep(delay)
            return Response(self.site.feeds[path], content_type="application/rss+xml")
        return answer

    def channel(self, epoch: int) -> str:
        """The receiver's URL for the daemon of this epoch. Each daemon posts to its own
        path, so each copy is counted against the process that sent it: a request a
        killed process wrote just before it died may be read after its successor started."""
        path = f"/alerts/{epoch}"
        self.site.handlers[path] = lambda request: self._receive(request, epoch)
        return f"json://127.0.0.1:{self.site.port}{path}"

    def sources(self) -> list[dict[str, str]]:
        return [{"name": f"feed {i}", "feed": self.site.url(p)} for i, p in enumerate(self.paths)]

    def publish(self) -> None:
        """One new item in a random feed. Titles share no words but the keyword, so each
        is its own story (and its own alert)."""
        with self._lock:
            ident = len(self.published)
            words = " ".join(f"{self.rng.getrandbits(40):x}" for _ in range(3))
            item = {"title": f"Airstrike report {ident} {words}",
                    "link": f"https://news.example.org/{ident}"}
            path = self.rng.choice(self.paths)
            self.items[path].insert(0, item)
            if self.keep is not None:
                del self.items[path][self.keep:]
            self.site.feeds[path] = rss_feed(*self.items[path])
            self.published.add(ident)
            self.last_published = datetime.now(UTC)

    @contextmanager
    def publishing(self, every: float = 0.1) -> Iterator[None]:
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(every):
                if not self._held.is_set():
                    self.publish()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Publish nothing meanwhile (while a daemon starts, say: how many items a run
        publishes then does not depend on how fast the machine starts processes)."""
        self._held.set()
        try:
            yield
        finally:
            self._held.clear()

    def check_feed_sizes(self) -> None:
        longest = max(len(items) for items in self.items.values())
        assert longest <= MAX_ENTRIES, (
            f"a feed grew to {longest} items, past the {MAX_ENTRIES} a daemon reads: "
            "give the test more feeds")

    def _receive(self, request, sender: int) -> Response:
        if time.monotonic() < self.down_until:
            with self._lock:
                self.refused += 1
            return Response("down for maintenance", status=503)
        found = {int(n) for n in re.findall(r"report (\d+)", request.get_data(as_text=True))}
        with self._lock:
            self.received.extend(found)
            for ident in found:
                self.arrivals.setdefault(ident, []).append(sender)
            self.by_epoch[sender] += len(found)
            self.late += len(found) if sender != self.epoch else 0
        time.sleep(self.slow)  # a crash now leaves a sent alert unrecorded: a duplicate
        return Response("ok")

    def got_any_from(self, first: int) -> bool:
        """Whether an item published as number `first` or later has arrived."""
        with self._lock:
            return any(ident >= first for ident in self.received)

    def lost(self) -> set[int]:
        with self._lock:
            return self.published - set(self.received)

    def duplicates(self) -> int:
        with self._lock:
            return len(self.received) - len(set(self.received))

    def duplicates_by_epoch(self) -> Counter[int]:
        """Each repeated copy counted against the process that sent the copy before it:
        the one whose crash left that copy sent but unrecorded. (An alert sent just before
        one crash and again just before the next is one duplicate for each crash.)"""
        with self._lock:
            return Counter(epoch for epochs in self.arrivals.values() for epoch in epochs[:-1])

    def progress(self) -> str:
        with self._lock:
            got = set(self.received)
            missing = sorted(self.published - got)
            return (f"received {len(got)} of {len(self.published)} published alerts "
                    f"({len(self.received) - len(got)} duplicates, {self.refused} refused); "
                    f"missing {len(missing)}: {missing[:20]}{' …' if len(missing) > 20 else ''}")

    def settle(self, config: Path, daemon: Daemon, ceiling: float = SETTLE_CEILING) -> str:
        """Wait, publishing over, until nothing more can arrive: the outbox holds nothing
        pending and either every published alert arrived or every source was polled after
        the last publication (so every item was recorded, and its alert queued with it).
        Returns what it saw, for the assertions' messages. The outbox is looked at when the
        receiver is complete or has been quiet for two seconds, at most once a second:
        each look is a `news-monitor status` process."""
        start = time.monotonic()
        seen, changed, looked = -1, start, 0.0
        shown: dict = {}

        def summary() -> str:
            outbox = shown.get("alerts", "not looked at yet")
            recorded = sum(s["entries_seen"] for s in shown.get("sources", []))
            return (f"{self.progress()}\noutbox: {outbox}; {recorded} entries recorded"
                    f"\n--- daemon log ---\n{daemon.tail()}")

        while True:
            now = time.monotonic()
            assert daemon.process.poll() is None, f"the daemon exited\n{summary()}"
            with self._lock:
                count = len(self.received)
                complete = self.published <= set(self.received)
            if count != seen:
                seen, changed = count, now
            if (complete or now - changed >= 2) and now - looked >= 1:
                shown, looked = status(config), time.monotonic()
                pending = sum(shown["alerts"].get(s, 0) for s in ("pending", "digest"))
                polled_after = all(  # last_success is shown to the second, rounded down
                    s["last_success"] and datetime.fromisoformat(s["last_success"])
                    > self.last_published for s in shown["sources"])
                if pending == 0 and (complete or polled_after):
                    return summary()
            if now - start > ceiling:
                return f"still not settled after {ceiling:g}s\n{summary()}"
            time.sleep(0.1)

    def config(self, folder: Path, state: str, epoch: int = 0, **settings) -> Path:
        """A daemon that polls every half second and retries a channel quickly; leases
        of 1 s, so a killed process's work is taken over soon. `epoch` names the daemon
        (see `channel`)."""
        options = {
            "poll": {"interval": 0.5, "min_interval": 0.5, "max_interval": 1, "timeout": 5},
            "delivery": {"check_every": 0.2, "retry_base": 0.3, "retry_max": 1},
            "lease": 1, "health": {"enabled": False}, **settings}
        return write_config(folder, sources=self.sources(),
                            channels={"desk": self.channel(epoch)}, rules=RULES, state=state,
                            **options)


@dataclass
class Daemon:
    """`news-monitor run` in its own process, its log kept in a file (appended to, so
    several daemons may share one: each reads its own part from `offset`)."""

    process: subprocess.Popen
    log: Path
    offset: int = 0
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, config: Path, log: Path) -> Daemon:
        offset = log.stat().st_size if log.exists() else 0
        out = log.open("ab")
        process = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        out.close()
        return cls(process, log, offset)

    def output(self) -> str:
        """What this daemon has logged so far."""
        with self.log.open("rb") as f:
            f.seek(self.offset)
            return f.read().decode(errors="replace")

    def wait_for_line(self, text: str, ceiling: float = EVENT_CEILING) -> float:
        """Seconds since the start until the daemon logged `text`; fails if it exits or
        the ceiling passes first."""
        def logged() -> bool:
            if text in self.output():
                return True
            assert self.process.poll() is None, (
                f"the daemon exited ({self.process.returncode}) before logging {text!r}:\n"
                f"{self.tail()}")
            return False
        wait_for(f"the daemon to log {text!r}", logged, ceiling, self.tail)
        return time.monotonic() - self.started

    def wait_up(self) -> float:
        """Seconds the daemon took to start running its jobs."""
        return self.wait_for_line(RUNNING, START_CEILING)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def tail(self, lines: int = 40) -> str:
        text = self.output().splitlines()
        return "\n".join(text[-lines:])



class PrivatePostgres:
    """A throwaway PostgreSQL cluster of our own, so a test may restart it at will."""

    def __init__(self) -> None:
        bindir = _postgres_bindir()
        if bindir is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="nm-pg-"))
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser: cannot start PostgreSQL")
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_owner, str(self.bin / tool), *args], check=True,
                       capture_output=True, timeout=START_CEILING)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
                   "-c fsync=off")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"),
                  "-o", options, "-t", str(int(START_CEILING)), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode,
                  "-t", str(int(START_CEILING)), "-w", "stop")

    def remove(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def _postgres_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return versions[-1].parent if versions else None
