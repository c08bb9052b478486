"""Break things on purpose: kill -9 at random points, a channel that is down for a while,
PostgreSQL restarted under the daemon, two replicas with one killed mid-run.

Each test runs the real daemon (`news-monitor run`) in its own process against feeds on a
local HTTP server that keep publishing, and a local receiver standing in for the channel.
After each, what the receiver got must equal what the rules call for: no alert lost, at
most one duplicate per crash and none otherwise.

The tests assert behaviour, never speed. Every wait is for the event it needs (a log line,
an alert arriving, the outbox empty), under a ceiling generous enough for a machine several
times slower than a developer's; a wait that reaches its ceiling fails with what it saw.
Feeds keep every item they published, so each one stays there for some daemon to see: an
alert missing at the end is one the daemon lost, not one that no daemon could have seen.

NEWS_MONITOR_CRASHES sets the number of kills (50 by default); NEWS_MONITOR_FAULT_SEED
replays a run (each test prints its seed).
"""

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
import urllib.request
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

CRASHES = int(os.environ.get("NEWS_MONITOR_CRASHES", "50"))
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


def new_desk(site: Site, **options) -> Desk:
    seed = int(os.environ.get("NEWS_MONITOR_FAULT_SEED", random.randrange(1 << 30)))
    print(f"fault seed: {seed}")
    return Desk(site, seed=seed, **options)


@pytest.fixture
def desk(site: Site) -> Desk:
    return new_desk(site)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Every daemon a test starts; none outlives it."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.kill()


# Where the kills land. "start-up" kills come 0-1.5 s after the process starts, without
# waiting for anything: inside the interpreter's start, the config load, the gazetteer,
# the migrations or the first claims (on a busy machine nearly always before the daemon
# runs, on an idle one sometimes just after). The others wait for the daemon to say it is
# running, then: "first second" kills come within its first second of work (the first
# claims, polls, records, sends), "working" ones 1-3 s in, and "delivering" ones once the
# receiver has had 1-20 alerts from it (plus up to 50 ms: before, during or after a send
# is recorded), so on any machine at least 40% of the crashes hit a daemon mid-delivery.
KILLS = {"start-up": 0.2, "first second": 0.2, "working": 0.2, "delivering": 0.4}


def kill_plan(rng: random.Random, crashes: int) -> list[str]:
    """Each crash's kind, in a random order, in the proportions of KILLS (rounded so that
    "delivering" gets its share in full)."""
    counts = {kind: int(crashes * share) for kind, share in KILLS.items()}
    counts["delivering"] = crashes - sum(n for k, n in counts.items() if k != "delivering")
    plan = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(plan)
    return plan


def test_kill_9_at_random_points_loses_no_alert(state_url, site, daemons, tmp_path):
    # Every item stays in its feed (at ~13 items a crash over at least 5 feeds, none grows
    # past what a daemon reads), and nothing is published while a daemon starts, so the
    # run's size does not depend on the machine's speed.
    desk = new_desk(site, feeds=max(5, CRASHES // 10))
    log = tmp_path / "daemon.log"
    plan = kill_plan(desk.rng, CRASHES)
    busy: Counter[str] = Counter()  # crashes that hit a process while alerts were arriving
    starts: list[float] = []  # seconds each waited-for daemon took to start running
    with desk.publishing(every=0.1):
        for epoch, kind in enumerate(plan):
            desk.epoch = epoch
            config = desk.config(tmp_path, state_url, epoch)
            daemon = Daemon.start(config, log)
            daemons.append(daemon)
            if kind == "start-up":
                time.sleep(desk.rng.uniform(0, 1.5))
            else:
                with desk.held():
                    starts.append(daemon.wait_up())
                if kind == "first second":
                    time.sleep(desk.rng.uniform(0, 1))
                elif kind == "working":
                    time.sleep(desk.rng.uniform(1, 3))
                else:
                    wanted = desk.rng.randint(1, 20)
                    wait_for(f"daemon {epoch} to deliver {wanted} alerts",
                             lambda e=epoch, n=wanted: desk.by_epoch[e] >= n, EVENT_CEILING,
                             lambda d=daemon: f"{desk.progress()}\n{d.tail()}",
                             running=[daemon])
                    time.sleep(desk.rng.uniform(0, 0.05))
            assert daemon.process.poll() is None, daemon.tail()
            daemon.kill()
            busy[kind] += desk.by_epoch[epoch] > 0
    desk.check_feed_sizes()
    desk.epoch = CRASHES
    config = desk.config(tmp_path, state_url, CRASHES)
    last = Daemon.start(config, log)
    daemons.append(last)
    last.wait_up()
    outcome = desk.settle(config, last)
    assert last.stop() == 0, last.tail()
    assert not desk.lost(), outcome
    by_crash = desk.duplicates_by_epoch()
    repeated = {i: e for i, e in desk.arrivals.items() if len(e) > 1}
    assert max(by_crash.values(), default=0) <= 1, (
        f"duplicates per crash: {by_crash}; epochs that sent each copy: {repeated}")
    twice = {i: e for i, e in repeated.items() if len(set(e)) < len(e)}
    assert not twice, f"a process sent an alert twice (epochs that sent each copy): {twice}"
    assert by_crash[CRASHES] == 0  # the process that was not killed repeated nothing
    hits = sum(busy.values())
    assert hits >= CRASHES // 3, f"only {hits} of {CRASHES} crashes hit a working daemon"
    print(f"{CRASHES} crashes ({dict(busy)} while alerting, of {dict(Counter(plan))}): "
          f"{len(desk.published)} alerts, {desk.duplicates()} duplicates; start-up took "
          f"{min(starts, default=0):.1f}-{max(starts, default=0):.1f} s; {desk.late} copies "
          f"read after their sender died; epochs that sent each copy: {repeated}")


def test_a_channel_down_for_a_while_gets_every_alert_once_it_is_back(state_url, desk,
                                                                     daemons, tmp_path):
    config = desk.config(tmp_path, state_url)
    desk.down_until = float("inf")  # down from the start
    daemon = Daemon.start(config, tmp_path / "daemon.log")
    daemons.append(daemon)
    daemon.wait_up()
    with desk.publishing(every=0.1):
        # Eight refusals: down for a while, and still short of any alert's max_attempts
        # (12), however slowly they come.
        wait_for("the daemon to try the channel while it is down", lambda: desk.refused >= 8,
                 EVENT_CEILING, lambda: f"{desk.progress()}\n{daemon.tail()}",
                 running=[daemon])
        back = len(desk.published)
        desk.down_until = 0.0
        wait_for("an alert published after the channel came back",
                 lambda: desk.got_any_from(back), EVENT_CEILING,
                 lambda: f"{desk.progress()}\n{daemon.tail()}", running=[daemon])
    outcome = desk.settle(config, daemon)
    assert daemon.stop() == 0, daemon.tail()
    assert not desk.lost(), outcome
    assert desk.duplicates() == 0, outcome


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


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.remove()


def test_postgresql_restarted_under_the_daemon_loses_and_repeats_nothing(private_pg, desk,
                                                                         daemons, tmp_path):
    config = desk.config(tmp_path, private_pg.url)
    daemon = Daemon.start(config, tmp_path / "daemon.log")
    daemons.append(daemon)
    daemon.wait_up()

    def progress() -> str:
        return f"{desk.progress()}\n{daemon.tail()}"

    with desk.publishing(every=0.1):
        wait_for("a first alert delivered", lambda: desk.received, EVENT_CEILING, progress,
                 running=[daemon])
        private_pg.stop()  # polls cannot be recorded, sent alerts wait to be marked
        daemon.wait_for_line(UNAVAILABLE)
        private_pg.start()
        back = len(desk.published)
        wait_for("an alert published after the restart", lambda: desk.got_any_from(back),
                 EVENT_CEILING, progress, running=[daemon])
    outcome = desk.settle(config, daemon)
    assert daemon.process.poll() is None, daemon.tail()  # it rode out the outage
    assert daemon.stop() == 0, daemon.tail()
    assert not desk.lost(), outcome
    assert desk.duplicates() == 0, outcome


def metrics(port: int) -> dict[str, float]:
    """The daemon's /metrics, summed by series name."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    totals: Counter[str] = Counter()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            totals[name.split("{")[0]] += float(value)
    return totals


def replica_config(desk: Desk, folder: Path, state: str, port: int, **settings) -> Path:
    folder.mkdir()
    return desk.config(folder, state, health={"listen": f"127.0.0.1:{port}"}, **settings)


def wait_for_health(daemon: Daemon, port: int) -> None:
    """Wait until the daemon runs its jobs and its health endpoint answers."""
    def answers() -> bool:
        try:
            metrics(port)
        except OSError:
            return False
        return True
    daemon.wait_up()
    wait_for(f"the health endpoint on port {port}", answers, START_CEILING, daemon.tail,
             running=[daemon])


def polls(ports: list[int]) -> list[float]:
    return [metrics(port)["news_monitor_polls_total"] for port in ports]


def test_two_replicas_deliver_every_alert_once_and_losing_one_loses_nothing(pg_url, site,
                                                                             daemons,
                                                                             tmp_path):
    # Feeds that answer in 0.3 s, polled every 0.5 s: three polls in flight are needed and
    # each replica may have two, so both work (at low load one replica could do it all).
    desk = new_desk(site, feed_delay=0.3)
    poll = {"interval": 0.5, "min_interval": 0.5, "max_interval": 1, "timeout": 5,
            "concurrency": 2}
    ports = [free_port(), free_port()]
    configs = [replica_config(desk, tmp_path / name, pg_url, port, poll=poll)
               for name, port in zip(("a", "b"), ports, strict=True)]
    first, second = (Daemon.start(config, tmp_path / f"{name}.log")
                     for name, config in zip(("a", "b"), configs, strict=True))
    daemons.extend([first, second])
    for daemon, port in zip((first, second), ports, strict=True):
        wait_for_health(daemon, port)

    def progress() -> str:
        return (f"{desk.progress()}\n--- a ---\n{first.tail(20)}\n--- b ---\n"
                f"{second.tail(20)}")

    with desk.publishing(every=0.1):
        wait_for("both replicas to poll", lambda: all(n > 0 for n in polls(ports)),
                 EVENT_CEILING, progress, every=0.2, running=[first, second])
        wait_for("alerts delivered", lambda: len(desk.received) >= 10, EVENT_CEILING,
                 progress, running=[first, second])
        first.kill()  # mid-run: it holds leases on sources and maybe a channel
        after = len(desk.published)
        wait_for("the survivor to deliver an alert published after the kill",
                 lambda: desk.got_any_from(after), EVENT_CEILING, progress, running=[second])
    outcome = desk.settle(configs[1], second)
    assert second.stop() == 0, second.tail()
    assert not desk.lost(), outcome
    assert desk.duplicates() <= 1, outcome  # one crash: at most one alert sent twice


def test_two_replicas_poll_each_due_source_once_per_interval_between_them(pg_url, site,
                                                                           daemons,
                                                                           tmp_path):
    # 20 feeds every 2 s, each answering in 0.3 s: 10 polls a second. One replica with two
    # polls in flight manages ~6: both must work, and no source may be polled twice within
    # an interval, however slowly the polls come.
    desk = Desk(site, feeds=20, feed_delay=0.3)
    interval = 2.0
    rounds = 5  # polls of each source watched, at least
    poll = {"interval": interval, "min_interval": interval, "max_interval": interval,
            "timeout": 5, "concurrency": 2}
    ports = [free_port(), free_port()]
    configs = [replica_config(desk, tmp_path / name, pg_url, port, poll=poll)
               for name, port in zip(("a", "b"), ports, strict=True)]
    started = [Daemon.start(config, tmp_path / f"{name}.log")
               for name, config in zip(("a", "b"), configs, strict=True)]
    daemons.extend(started)
    for daemon, port in zip(started, ports, strict=True):
        wait_for_health(daemon, port)
    begin = time.monotonic()
    seen_polling: set[str] = set()  # replicas `status` showed holding sources

    def watched() -> bool:
        shown = status(configs[0])
        seen_polling.update(r["replica"] for r in shown["replicas"] if r["polling"])
        counts = Counter(p for p, t in site.times if t >= begin)
        return len(seen_polling) == 2 and min(counts[p] for p in desk.paths) >= rounds

    wait_for(f"both replicas polling and every source polled {rounds} times", watched,
             SETTLE_CEILING, lambda: f"replicas seen polling: {seen_polling}", every=0.5,
             running=started)
    polled = polls(ports)
    for daemon in started:
        assert daemon.stop() == 0, daemon.tail()
    smallest = interval
    for path in desk.paths:
        times = sorted(t for p, t in site.times if p == path)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= interval * 0.9, f"{path} polled twice within an interval: {gaps}"
        smallest = min(smallest, *gaps)
    assert all(n > 0 for n in polled), f"both replicas should share the polls: {polled}"
    print(f"polls by replica: {polled}; smallest gap between two polls of a source: "
          f"{smallest:.2f}s (interval {interval:g}s)")
