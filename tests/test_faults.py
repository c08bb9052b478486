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

import os
import random
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Site, free_port
from tests.faultkit import (
    EVENT_CEILING,
    SETTLE_CEILING,
    START_CEILING,
    UNAVAILABLE,
    Daemon,
    Desk,
    PrivatePostgres,
    status,
    wait_for,
)

CRASHES = int(os.environ.get("NEWS_MONITOR_CRASHES", "50"))

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
    # A stop cancels the polls in flight, unrecorded, and gives back their leases: the other
    # replica then polls those sources at once, as designed (a cancelled poll is redone).
    # Only the polls before the first stop say whether leases kept a source to one replica.
    stopping = time.monotonic()
    for daemon in started:
        assert daemon.stop() == 0, daemon.tail()
    smallest = interval
    for path in desk.paths:
        times = sorted(t for p, t in site.times if p == path and t < stopping)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= interval * 0.9, f"{path} polled twice within an interval: {gaps}"
        smallest = min(smallest, *gaps)
    assert all(n > 0 for n in polled), f"both replicas should share the polls: {polled}"
    print(f"polls by replica: {polled}; smallest gap between two polls of a source: "
          f"{smallest:.2f}s (interval {interval:g}s)")
