"""Replay stored entries against the rules as they are now, and compare with what alerted.

An analyst edits a watchlist and asks: on last week's news, which alerts would this add, and
which would it no longer send? Stories, not entries, are compared: a story alerts once per
rule, whichever of its sources carried the words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from monitor.match import Matcher
from monitor.records import Document
from monitor.store import Store, StoredEntry

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


def backtest(store: Store, matcher: Matcher, since: datetime) -> Backtest:
    report = Backtest()
    would: dict[Key, StoredEntry] = {}
    first_of_story: dict[str, StoredEntry] = {}
    for entry in store.entries_since(since):
        report.entries += 1
        first_of_story.setdefault(entry.story, entry)
        if entry.text is None:
            report.without_text += 1
        for match in matcher.match(Document(entry.title, entry.text or "")):
            would.setdefault((entry.story, match.watchlist, match.rule), entry)
    report.stories = len(first_of_story)
    actual = store.alerted(first_of_story)
    report.added = _changes((k, would[k]) for k in would.keys() - actual)
    report.dropped = _changes((k, first_of_story[k[0]]) for k in actual - would.keys())
    report.unchanged = len(actual & would.keys())
    return report


def _changes(pairs: Iterable[tuple[Key, StoredEntry]]) -> list[Change]:
    changes = [Change(k[1], k[2], e.title, e.url, e.source, e.seen_at) for k, e in pairs]
    return sorted(changes, key=lambda c: (c.seen_at, c.watchlist, c.rule))
