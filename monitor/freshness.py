"""Which new entries may alert, by their date: no stale alerts.

A new entry is one the store has not recorded for its source. That is not the same as news:
the first poll of a source (or of a source whose URL changed) finds its whole archive, and a
feed that republishes or reorders old items brings items from years ago. Both are recorded
as seen, so they never come back as new, but only recent ones alert:

- on a source's first poll, an entry alerts only if published within `alert_window`; an
  entry without a date does not alert then (its date is the time we first saw it, and on a
  first poll that says nothing about when it was news);
- on every poll, an entry published more than `max_age` ago never alerts.

A date in the future (a wrong clock, a hostile feed) counts as now: such an entry is new at
once, never "new forever". Pure functions here; polling.py applies them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monitor.records import Entry, SourceState

WINDOW = "window"  # older than alert_window, on a first poll
UNDATED = "undated"  # no date, on a first poll
TOO_OLD = "too_old"  # older than max_age, on any poll


@dataclass
class HeldBack:
    """How many new entries of one source were recorded without alerting, by reason."""

    window: int = 0
    undated: int = 0
    too_old: int = 0

    @property
    def total(self) -> int:
        return self.window + self.undated + self.too_old

    def add(self, reason: str) -> None:
        setattr(self, reason, getattr(self, reason) + 1)

    def merge(self, other: HeldBack) -> None:
        self.window += other.window
        self.undated += other.undated
        self.too_old += other.too_old

    def as_dict(self) -> dict[str, int]:
        return {"alert_window": self.window, "undated": self.undated,
                "max_age": self.too_old}

    def describe(self) -> str:
        """One short line: what was held back and why."""
        parts = []
        if self.window:
            parts.append(f"{self.window} older than the alert window on first poll")
        if self.undated:
            parts.append(f"{self.undated} without a date on first poll")
        if self.too_old:
            parts.append(f"{self.too_old} older than max_age")
        return "held back " + "; ".join(parts) if parts else ""


def first_poll(state: SourceState | None) -> bool:
    """Whether the next poll of a source is its first: it has never been polled with success
    at its current URL. The store forgets the last success when a source's URL changes
    (sync_sources), so a moved source starts over, without a migration of its own."""
    return state is None or state.last_success_at is None


def hold_reason(published: datetime | None, now: datetime, *, first: bool,
                alert_window: float, max_age: float) -> str | None:
    """Why an entry published at `published` must not alert at `now`, or None if it may."""
    if published is None:
        return UNDATED if first else None
    age = max(0.0, (now - published).total_seconds())  # the future counts as now
    if first and age > alert_window:
        return WINDOW
    if age > max_age:
        return TOO_OLD
    return None


def hold_back(entries: Iterable[Entry], now: datetime, *, first: bool, alert_window: float,
              max_age: float, undated_pass: bool = False
              ) -> tuple[list[Entry], list[Entry], HeldBack]:
    """Split new entries into those that may alert and those recorded only, in order.

    `undated_pass` lets entries without a date through: before their article pages are
    fetched, which may date them (a site's listing rarely does); the check after the fetch
    holds back the ones still undated."""
    alerting: list[Entry] = []
    held: list[Entry] = []
    counts = HeldBack()
    for entry in entries:
        reason = None if undated_pass and entry.published is None else hold_reason(
            entry.published, now, first=first, alert_window=alert_window, max_age=max_age)
        if reason is None:
            alerting.append(entry)
        else:
            held.append(entry)
            counts.add(reason)
    return alerting, held, counts
