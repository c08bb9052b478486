"""A source's pace: how much it published over the last week, for its poll interval.

Counted by a query at most once an hour per source; in between, each poll's recorded entries
are added to the count as they are recorded, so a busy source costs no query per poll. The
hourly count corrects what the increments miss: entries sliding out of the week, and those
another replica recorded. Derived and cached here; the store holds the truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from monitor.config import Source
from monitor.records import Entry, SourceState
from monitor.sources import Pace
from monitor.sources.schedule import WEEK

RECOUNT = 3600.0  # seconds a counted pace is trusted before the query runs again

PublishedSince = Callable[[str, datetime, datetime], int]  # Store.published_since


class Paces:
    """Each source's known pace, as (when it was counted, the pace)."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[datetime, Pace]] = {}

    def cached(self, source: Source, state: SourceState | None,
               now: datetime) -> Pace | None | bool:
        """The pace without a query when it can be had so: None for a source with a fixed
        interval or no history, False when it must be counted (`count`)."""
        if source.fixed or state is None or state.created_at is None:
            return None
        known = self.known.get(source.name)
        if known and (now - known[0]).total_seconds() < RECOUNT:
            return Pace(known[1].published, window(state, now))
        return False

    def count(self, published_since: PublishedSince, source: Source, state: SourceState,
              now: datetime) -> Pace:
        """Count the pace with the query (blocking: run it in a worker thread)."""
        span = window(state, now)
        pace = Pace(published_since(source.name, now - timedelta(seconds=span), now), span)
        self.known[source.name] = (now, pace)
        return pace

    def add(self, source: Source, recorded: Iterable[Entry], now: datetime) -> None:
        """Add a poll's recorded entries to its source's known pace (those published within
        the window, as the query counts them)."""
        known = self.known.get(source.name)
        if known is None:
            return
        since = now - timedelta(seconds=known[1].window)
        more = sum(1 for e in recorded if e.published is not None and since <= e.published <= now)
        if more:
            self.known[source.name] = (known[0], Pace(known[1].published + more, known[1].window))


def window(state: SourceState, now: datetime) -> float:
    """The span a pace counts over: the last week, or since the source was added."""
    assert state.created_at is not None
    return min(WEEK, (now - state.created_at).total_seconds())
