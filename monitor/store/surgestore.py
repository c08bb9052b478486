"""Surges in the store: the stories each topic matched, each topic's surge state, the surges.

A poll that records a new story for a topic (a watchlist, rule, place or group with
`surge:`) counts it and asks the detector (monitor/surges.py) about the topic, in the same
transaction; `tick_surges` asks again about the topics surging now, every delivery pass, so
a surge can end while no story comes. A start queues one surge alert per channel in the
outbox (its story key "surge:ID"), like any alert. The state changes by compare-and-set on
the topic's row, so two replicas or a restart start a surge once.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, select, update

from monitor.records import Alert, Snippet, Topic
from monitor.store.codec import alert_to_json
from monitor.store.schema import alerts, entries, surge_topics, surges, topic_stories
from monitor.store.sql import Tables, chunks, retried
from monitor.surges import Action, Baseline, SurgeSettings, SurgeState, baseline, decide

Insert = Callable[[Table], Any]
TOP_STORIES = 5  # named in a surge alert


class Baselines:
    """The baselines computed in this process, by topic and the hours they rest on.

    A baseline reads only whole hours before the window (surges.baseline), which no new story
    changes, so each topic's is computed once an hour from its 15 days of story times; every
    other story of the hour reads the window's times alone. Bounded; oldest dropped first."""

    def __init__(self, most: int = 4096) -> None:
        self._most = most
        self._memo: OrderedDict[tuple, Baseline] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Baseline | None:
        with self._lock:
            return self._memo.get(key)

    def put(self, key: tuple, value: Baseline) -> None:
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > self._most:
                self._memo.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class SurgeRow:
    """One surge, as `news-monitor surges` lists it."""

    id: int
    topic: str
    started_at: datetime
    ended_at: datetime | None
    count: int
    expected: float
    peak: int
    line: str


def count_topics(conn: Connection, insert: Insert, memo: Baselines,
                 recorded: Sequence[tuple[str, int, Sequence[Topic]]], now: datetime) -> int:
    """Count the poll's stories for their topics — (story, entry id, topics) — and decide on
    each topic that gained one. Returns the surges started."""
    gained: dict[str, tuple[Topic, int]] = {}
    rows = {(t.key, story): (t, entry_id) for story, entry_id, topics in recorded
            for t in topics}
    if not rows:
        return 0
    made = conn.execute(insert(topic_stories).on_conflict_do_nothing(
        index_elements=["topic", "story"]).returning(topic_stories.c.topic,
                                                     topic_stories.c.story),
        [{"topic": key, "story": story, "seen_at": now} for key, story in rows])
    for key, story in made:
        gained[key] = rows[key, story]
    started = 0
    for topic, entry_id in gained.values():
        _keep_topic(conn, insert, topic, now)
        started += _judge(conn, insert, memo, topic.key, now, entry_id)
    return started


def _keep_topic(conn: Connection, insert: Insert, topic: Topic, now: datetime) -> None:
    """The topic's row, with its settings as configured now."""
    values = {"window": topic.window, "min_stories": topic.min_stories,
              "channels": json.dumps(list(topic.channels), ensure_ascii=False),
              "label": topic.label, "watchlist": topic.watchlist}
    made = conn.execute(insert(surge_topics).on_conflict_do_nothing(
        index_elements=["topic"]).values(topic=topic.key, since=now, peak=0, **values))
    if not made.rowcount:
        conn.execute(update(surge_topics).where(surge_topics.c.topic == topic.key)
                     .values(**values))


def _judge(conn: Connection, insert: Insert, memo: Baselines, key: str, now: datetime,
           entry_id: int | None) -> int:
    """Ask the detector about one topic now; write what it decides. 1 if a surge started."""
    query = select(surge_topics).where(surge_topics.c.topic == key)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one()
    settings = SurgeSettings(window=timedelta(seconds=row.window), min_stories=row.min_stories)
    memo_key = (key, row.since, settings.window, _hour(now - settings.window),
                _hour(now - timedelta(microseconds=1)))
    expected = memo.get(memo_key)
    back = settings.window if expected is not None else timedelta(days=settings.baseline_days + 1)
    times = conn.execute(select(topic_stories.c.seen_at).where(
        topic_stories.c.topic == key, topic_stories.c.seen_at > now - back)).scalars()
    seen = [t for t in times if t <= now]
    count = sum(1 for t in seen if t > now - settings.window)
    if expected is None:
        expected = baseline(Counter(_hour(t) for t in seen).items(), row.since, now, settings)
        memo.put(memo_key, expected)
    state = SurgeState(row.active_since, row.calm_since, row.peak)
    decision = decide(row.label, state, count, expected, now, settings)
    if decision.action in (Action.NOTHING,) and decision.state == state:
        return 0
    surge_id = row.surge_id
    if decision.action == Action.START:
        surge_id = conn.execute(insert(surges).returning(surges.c.id).values(
            topic=key, started_at=now, count=count, expected=decision.expected, peak=count,
            line=decision.line)).scalar()
    elif decision.action == Action.END and surge_id is not None:
        conn.execute(update(surges).where(surges.c.id == surge_id).values(
            ended_at=now, peak=state.peak))
        surge_id = None
    elif surge_id is not None:
        conn.execute(update(surges).where(surges.c.id == surge_id).values(
            peak=decision.state.peak))
    new = decision.state
    conn.execute(update(surge_topics).where(surge_topics.c.topic == key).values(
        active_since=new.active_since, calm_since=new.calm_since, peak=new.peak,
        surge_id=surge_id))
    if decision.action != Action.START or surge_id is None:
        return 0
    _queue_alert(conn, insert, row, surge_id, decision.line, now, entry_id, settings)
    return 1


def _queue_alert(conn: Connection, insert: Insert, row: Any, surge_id: int, line: str,
                 now: datetime, entry_id: int | None, settings: SurgeSettings) -> None:
    """One surge alert per channel of the topic, naming its newest stories."""
    top = conn.execute(
        select(entries.c.id, entries.c.title, entries.c.url, entries.c.source)
        .join(topic_stories, topic_stories.c.story == entries.c.story)
        .where(topic_stories.c.topic == row.topic,
               topic_stories.c.seen_at > now - settings.window)
        .order_by(entries.c.id.desc()).limit(50)).fetchall()
    named: dict[str, Any] = {}
    for one in top:  # each story once, its newest entry
        named.setdefault(one.title, one)
    lead = next(iter(named.values()), None)
    text = "\n".join(f"• {one.title}" for one in list(named.values())[:TOP_STORIES])
    alert = Alert(watchlist=row.watchlist, rule=f"Surge: {row.label}", priority="high",
                  title=line, url=lead.url if lead else "", source="news-monitor",
                  published=now, snippet=Snippet(text), terms=(row.label,),
                  story=f"surge:{surge_id}")
    target = entry_id if entry_id is not None else (lead.id if lead else None)
    if target is None:
        return
    for channel in json.loads(row.channels):
        conn.execute(insert(alerts).values(
            story=f"surge:{surge_id}", watchlist=row.watchlist, rule=alert.rule,
            channel=channel, entry_id=target, priority="high", payload=alert_to_json(alert),
            state="pending", attempts=0, next_attempt_at=now, created_at=now))


class Surges(Tables):
    """The surges part of the Store."""

    @functools.cached_property
    def _baselines(self) -> Baselines:
        """This store's baselines (another database has other histories)."""
        return Baselines()

    @retried
    def tick_surges(self, now: datetime) -> int:
        """Ask the detector about every topic surging now (so a surge ends while no story
        comes); returns how many ended."""
        with self.engine.connect() as conn:
            active = conn.execute(select(surge_topics.c.topic).where(
                surge_topics.c.active_since.is_not(None))).scalars().all()
        if not active:
            return 0
        with self._write() as conn:
            for key in active:
                _judge(conn, self._insert, self._baselines, key, now, None)
            ended = conn.execute(select(func.count()).select_from(surge_topics).where(
                surge_topics.c.topic.in_(active),
                surge_topics.c.active_since.is_(None))).scalar()
        return int(ended or 0)

    def surge_rows(self, since: datetime | None = None, limit: int = 1000) -> list[SurgeRow]:
        query = select(surges).order_by(surges.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(surges.c.started_at >= since)
        with self.engine.connect() as conn:
            return [SurgeRow(r.id, r.topic, r.started_at, r.ended_at, r.count, r.expected,
                             r.peak, r.line) for r in conn.execute(query)]

    def topic_counts(self, keys: Iterable[str], since: datetime) -> dict[str, int]:
        """Stories per topic since then (for `status`)."""
        found: dict[str, int] = {}
        with self.engine.connect() as conn:
            for part in chunks(list(keys)):
                for key, n in conn.execute(
                        select(topic_stories.c.topic, func.count())
                        .where(topic_stories.c.topic.in_(list(part)),
                               topic_stories.c.seen_at >= since)
                        .group_by(topic_stories.c.topic)):
                    found[key] = n
        return found
