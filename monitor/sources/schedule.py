"""When to poll a source next: a pure policy, so it can be tested without clocks or servers.

- A source polls at its configured pace until it has a day of history; then its interval
  follows how often it really publishes: half the mean gap between its items over the last
  week, kept between its min_interval and max_interval (Miniflux's idea, tuned for desks
  that must know first: an item waits a quarter of the gap on average).
- A source with its own `interval` in the config keeps it.
- The server is never asked sooner than it allows: Cache-Control max-age, Expires and RSS
  <ttl> on success, Retry-After on 429/503 — each honoured up to `max_backoff`, so a buggy
  or hostile header cannot silence a source for a year.
- Failures back off exponentially from the interval, up to `max_backoff`; a source failing
  many times in a row keeps being retried at that pace, and shows as failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.records import Poll

if TYPE_CHECKING:
    from monitor.config import PollSettings, Source

WEEK = 7 * 86400.0
MIN_HISTORY = 86400.0


@dataclass(frozen=True, slots=True)
class Pace:
    """A source's recent output: `published` items over the last `window` seconds."""

    published: int
    window: float


def interval_for(source: Source, pace: Pace | None) -> float:
    """The regular interval between polls of a healthy source."""
    if source.fixed or pace is None or pace.window < MIN_HISTORY:
        return source.interval
    if pace.published == 0:
        return source.max_interval
    gap = pace.window / pace.published
    return min(max(gap / 2, source.min_interval), source.max_interval)


def next_check(source: Source, outcome: Poll, errors_before: int, settings: PollSettings,
               pace: Pace | None = None) -> float:
    """Seconds until the next poll of `source` after `outcome`."""
    if outcome.error is not None:
        failures = errors_before + 1
        wait = min(source.interval * 2 ** min(failures - 1, 20),
                   max(settings.max_backoff, source.interval))
        return max(wait, _bounded(outcome.retry_after, settings))
    return max(interval_for(source, pace), _bounded(outcome.fresh_for, settings))


def _bounded(asked: float | None, settings: PollSettings) -> float:
    return min(asked, settings.max_backoff) if asked else 0.0
