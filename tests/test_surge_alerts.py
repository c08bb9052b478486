"""Surges through the store: 14 days of ordinary Aleppo stories (Poisson arrivals, about one
an hour, on a diurnal rhythm), then a burst of 15 in an hour, recorded poll by poll as the
daemon records them. The burst gives one surge alert per channel within its hour, and the
ordinary days give at most one false surge a week; the state survives a restart."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta

from monitor.config import load_config
from monitor.pipeline import examine
from monitor.records import Entry, Poll, Seen, Topic
from monitor.store import Store
from monitor.topics import topics_of
from tests.conftest import run_cli, write_config

START = datetime(2026, 11, 1, tzinfo=UTC)
ALEPPO = Topic("place:Aleppo", "Aleppo", "syria", ("desk", "ops"))


def ordinary_days(days: int, seed: int) -> list[datetime]:
    """Story times at ~1/h on average, busier by day (0.4/h at night, 1.6/h at 14:00)."""
    rng, times, t = random.Random(seed), [], START
    end = START + timedelta(days=days)
    peak = 1.6
    while t < end:
        t += timedelta(hours=rng.expovariate(peak))
        rate = 1.0 + 0.6 * math.cos((t.hour - 14) / 24 * 2 * math.pi)
        if rng.random() < rate / peak:
            times.append(t)
    return [x for x in times if x < end]


def record(store: Store, when: datetime, n: int) -> None:
    entry = Entry(source="Wire", key=f"k{n}", url=f"https://wire.example/{n}",
                  title=f"Story {n} about Aleppo", summary="Aleppo")
    store.record_poll(Poll("Wire", when, entries=(entry,)),
                      [Seen(entry, f"story-{n}", "Aleppo", topics=(ALEPPO,))],
                      when + timedelta(minutes=5))


def opened(state_url: str) -> Store:
    store = Store.open(state_url)
    store.sync_sources([("Wire", "feed", "https://wire.example/feed")], START)
    return store


def surge_alerts(store: Store) -> list[tuple[str, str]]:
    return sorted((r.channel, r.rule) for r in store.alert_rows(limit=10_000)
                  if r.rule.startswith("Surge:"))


def test_a_burst_of_15_stories_in_an_hour_gives_one_surge_alert_within_the_hour(state_url):
    times = ordinary_days(14, seed=3)
    store = opened(state_url)
    try:
        for n, when in enumerate(times):
            record(store, when, n)
        false = len(store.surge_rows())
        assert false <= 2, [r.line for r in store.surge_rows()]  # at most 1 a week
        before = surge_alerts(store)
        burst_start = START + timedelta(days=14, hours=10)
        for i in range(15):
            when = burst_start + timedelta(minutes=4 * i)
            record(store, when, 10_000 + i)
            store.tick_surges(when)
        [surge] = [r for r in store.surge_rows() if r.started_at >= burst_start]
        assert surge.started_at < burst_start + timedelta(hours=1)
        assert surge.line.startswith("Aleppo: ") and "in the last hour; usually" in surge.line
        assert len(surge_alerts(store)) - len(before) == 2  # one per channel
    finally:
        store.close()
    store = opened(state_url)  # a restart: the surge is still on, no second alert
    try:
        later = burst_start + timedelta(hours=1, minutes=5)
        record(store, later, 20_000)
        store.tick_surges(later)
        assert len(surge_alerts(store)) - len(before) == 2
        store.tick_surges(later + timedelta(hours=3))  # quiet again: calm ...
        store.tick_surges(later + timedelta(hours=3, minutes=31))  # ... for 30 min: it ends
        [surge] = [r for r in store.surge_rows() if r.started_at >= burst_start]
        assert surge.ended_at is not None and surge.peak >= 15
    finally:
        store.close()


def test_a_quiet_topic_going_from_none_to_two_stories_is_no_surge(state_url):
    store = opened(state_url)
    try:
        for day in range(14):
            record(store, START + timedelta(days=day, hours=9), day)  # one a day
        for i in range(2):
            record(store, START + timedelta(days=14, hours=9, minutes=10 * i), 100 + i)
        assert store.surge_rows() == []
    finally:
        store.close()


def test_surge_topics_are_read_from_rules_and_watchlists(tmp_path):
    rules = [{"name": "Fighting", "places": ["Aleppo", "Manbij"], "keywords": ["airstrike"],
              "surge": {"by": "place", "window": "2h"}},
             {"name": "ISIS", "groups": ["ISIS"], "surge": True}]
    config = write_config(tmp_path, sources=[{"name": "W", "feed": "https://w.example/f"}],
                          rules=rules)
    assert run_cli("check", "-c", str(config)).returncode == 0
    loaded = load_config(config)
    entry = Entry(source="W", key="1", url="https://w.example/1",
                  title="Airstrike on Aleppo and Manbij", summary="ISIS claimed it.")
    surges = {(r.watchlist, r.name): r.surges for r in loaded.rules if r.surges}
    found = examine(entry, loaded.matcher)
    keys = {(t.key, t.window) for t in topics_of(found, surges)}
    assert keys == {("place:Aleppo", 7200.0), ("place:Manbij", 7200.0),
                    ("rule:test-watch/ISIS", 3600.0)}
    listed = run_cli("surges", "-c", str(config))
    assert listed.returncode == 0 and "no surges in the last 7d" in listed.stdout


def test_backtest_replays_the_surges_the_rules_would_raise(tmp_path):
    rules = [{"name": "Aleppo", "places": ["Aleppo"], "surge": {"by": "place"}}]
    config = write_config(tmp_path, sources=[{"name": "Wire", "feed": "https://wire.example/f"}],
                          rules=rules)
    loaded = load_config(config)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=15)
    store = Store.open(loaded.state_url)
    try:
        store.sync_sources([("Wire", "feed", "https://wire.example/f")], start)
        shift = start - START
        for n, when in enumerate(ordinary_days(14, seed=5)):
            record_plain(store, when + shift, n)
        burst = start + timedelta(days=14, hours=10)
        for i in range(15):
            record_plain(store, burst + timedelta(minutes=4 * i), 10_000 + i)
    finally:
        store.close()
    result = run_cli("backtest", "-c", str(config), "--since", "20d", "--json")
    assert result.returncode == 0, result.stderr
    surges = json.loads(result.stdout)["surges"]
    in_burst = [s for s in surges if s["started"] >= burst.isoformat()[:16]]
    assert len(in_burst) == 1 and in_burst[0]["line"].startswith("Aleppo: ")
    assert len(surges) - 1 <= 2  # at most one false surge a week
    assert all(s["topic"] == "place:Aleppo" for s in surges)


def record_plain(store: Store, when: datetime, n: int) -> None:
    """An entry as the daemon records it, for backtest to replay (no topics: it finds them
    from the rules as they are now)."""
    entry = Entry(source="Wire", key=f"k{n}", url=f"https://wire.example/{n}",
                  title=f"Shelling reported in Aleppo ({n})", summary="In Aleppo.",
                  published=when)
    store.record_poll(Poll("Wire", when, entries=(entry,)),
                      [Seen(entry, f"story-{n}", "Shelling in Aleppo.")],
                      when + timedelta(minutes=5))


def test_remembered_baselines_give_the_surges_a_fresh_reading_gives(tmp_path):
    """A topic's baseline is computed once an hour and remembered; reading the 15 days of
    history again for every story must decide exactly the same surges."""
    times = ordinary_days(14, seed=5)
    burst = START + timedelta(days=14, hours=15)
    times += [burst + timedelta(minutes=3 * i) for i in range(15)]
    found = []
    for forget in (False, True):
        store = opened(f"sqlite:///{tmp_path}/{forget}.db")
        try:
            for n, when in enumerate(times):
                if forget:
                    store._baselines.clear()
                record(store, when, n)
                store.tick_surges(when + timedelta(minutes=1))
            found.append([(r.started_at, r.ended_at, r.count, r.expected, r.line)
                          for r in store.surge_rows()])
        finally:
            store.close()
    assert found[0] == found[1]
    assert any(start >= burst for start, *_ in found[0])
