"""Replay stored entries against the rules as they are now, and compare with what alerted.

An analyst edits a watchlist and asks: on last week's news, which alerts would this add, and
which would it no longer send? Stories, not entries, are compared: a story alerts once per
rule, whichever of its sources carried the words.

Surges are replayed too, for the rules with `surge:` now (replay.py). The freshness rules
are replayed as well (freshness.py, with each source's alert_window and
max_age as configured now): an entry that would be held back counts as no alert, and is
reported by source and reason. A source's first poll is the earliest time the store saw
one of its entries; an entry recorded without a date was held back on a first poll.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from monitor.config import Config
from monitor.freshness import UNDATED, HeldBack, hold_reason
from monitor.match import Matcher
from monitor.pipeline import Found
from monitor.records import Document, Entry, Topic
from monitor.replay import ReplayedSurge, replay_surges
from monitor.store import Store, StoredEntry
from monitor.topics import Surges, topics_of

Key = tuple[str, str, str]  # (story, watchlist, rule)


@dataclass(frozen=True, slots=True)
class Change:
    watchlist: str
    rule: str
    title: str
    url: str
    source: str
    seen_at: datetime


@dataclass
class Backtest:
    entries: int = 0
    stories: int = 0
    without_text: int = 0  # replayed on their title only: text older than keep_text
    unchanged: int = 0
    added: list[Change] = field(default_factory=list)
    dropped: list[Change] = field(default_factory=list)
    held: dict[str, HeldBack] = field(default_factory=dict)  # by source: would not alert
    surges: list[ReplayedSurge] = field(default_factory=list)  # with `surge:` rules now


Limits = tuple[float, float]  # (alert_window, max_age) in seconds
DEFAULT_LIMITS: Limits = (86400.0, 3 * 86400.0)


def limits(config: Config) -> tuple[dict[str, Limits], Limits]:
    """Each configured source's (alert_window, max_age), and the defaults under `poll:`."""
    poll = config.settings.poll
    return ({s.name: (s.alert_window, s.max_age) for s in config.sources},
            (poll.alert_window, poll.max_age))


def backtest(store: Store, matcher: Matcher, since: datetime,
             limits: Mapping[str, Limits] | None = None,
             default: Limits = DEFAULT_LIMITS, surges: Surges | None = None) -> Backtest:
    """Replay entries first seen since `since`; `limits` holds each source's (alert_window,
    max_age), `default` those of sources not listed (no longer configured); `surges`, the
    rules' surge settings, to replay surges too (replay.py)."""
    report = Backtest()
    events: list[tuple[datetime, str, tuple[Topic, ...]]] = []
    would: dict[Key, StoredEntry] = {}
    first_of_story: dict[str, StoredEntry] = {}
    first_seen = store.first_seen()
    for entry in store.entries_since(since):
        report.entries += 1
        first_of_story.setdefault(entry.story, entry)
        if entry.text is None:
            report.without_text += 1
        reason = _held(entry, first_seen.get(entry.source), (limits or {}).get(
            entry.source, default))
        if reason is not None:
            report.held.setdefault(entry.source, HeldBack()).add(reason)
            continue
        document = Document(entry.title, entry.text or "")
        matches = tuple(matcher.match(document))
        for match in matches:
            would.setdefault((entry.story, match.watchlist, match.rule), entry)
        if surges and matches:
            topics = topics_of(Found(_as_entry(entry), document, matches), surges)
            events.append((entry.seen_at, entry.story, topics))
    report.stories = len(first_of_story)
    report.surges = replay_surges(events) if events else []
    actual = store.alerted(first_of_story)
    report.added = _changes((k, would[k]) for k in would.keys() - actual)
    report.dropped = _changes((k, first_of_story[k[0]]) for k in actual - would.keys())
    report.unchanged = len(actual & would.keys())
    return report


def _as_entry(stored: StoredEntry) -> Entry:
    return Entry(source=stored.source, key=stored.url, url=stored.url, title=stored.title,
                 summary="", published=stored.published)


def _changes(pairs: Iterable[tuple[Key, StoredEntry]]) -> list[Change]:
    changes = [Change(k[1], k[2], e.title, e.url, e.source, e.seen_at) for k, e in pairs]
    return sorted(changes, key=lambda c: (c.seen_at, c.watchlist, c.rule))


def _held(entry: StoredEntry, first_seen: datetime | None, limits: Limits) -> str | None:
    """Why this stored entry would not alert now, or None."""
    if entry.published is None:  # only a first poll records an entry without its date
        return UNDATED
    return hold_reason(entry.published, entry.seen_at, first=entry.seen_at == first_seen,
                       alert_window=limits[0], max_age=limits[1])
