"""Whether the state database answers, and how long to leave it before trying again.

A database restarting, or a container started before its database (the usual order in
compose), is an outage to ride out, not a reason to exit: the daemon tries again with capped
exponential backoff, says so once when the database stops answering and once when it is
back (not once per job and tick), and /readyz reports not-ready meanwhile. `once` and the
other commands still fail at once: someone is waiting for their answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from monitor.config import format_duration
from monitor.store import outage

__all__ = ["Availability", "outage"]

log = logging.getLogger("monitor")

FIRST_WAIT = 0.5  # seconds before the first try again
LONGEST_WAIT = 30.0  # the cap of the backoff


class Availability:
    """The state database as the daemon last found it: answering, or down since when and
    why, with the time of the next try.

    Every attempt reports here (`failed`, `answered`); work that needs the database asks
    `due()` first, so while it is down the attempts are spaced FIRST_WAIT, 2×, 4×… up to
    LONGEST_WAIT apart, whichever job or poll makes them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.down_since: float | None = None
        self.reason: str | None = None
        self._wait = 0.0
        self._next_try = 0.0

    @property
    def up(self) -> bool:
        return self.down_since is None

    def due(self) -> bool:
        """May work that needs the database try now?"""
        return self.up or self._clock() >= self._next_try

    def wait(self) -> float:
        """Seconds until the next try is due (0 while the database answers)."""
        return 0.0 if self.up else max(0.0, self._next_try - self._clock())

    def failed(self, err: BaseException) -> None:
        now = self._clock()
        self.reason = outage(err)
        if self.up:
            self.down_since, self._wait = now, FIRST_WAIT
            log.warning("state database unavailable (%s); waiting for it, trying again with "
                        "backoff up to every %s", self.reason, format_duration(LONGEST_WAIT))
        elif now >= self._next_try:  # a scheduled try failed: wait longer before the next
            self._wait = min(self._wait * 2, LONGEST_WAIT)
        else:
            return  # attempts already under way when it went down: the schedule stands
        self._next_try = now + self._wait

    def answered(self) -> None:
        if self.down_since is None:
            return
        log.info("state database answers again after %s down",
                 format_duration(round(self._clock() - self.down_since)))
        self.down_since, self.reason, self._wait = None, None, 0.0

    def describe(self) -> str | None:
        """What /readyz says while the database is down."""
        if self.down_since is None:
            return None
        down = format_duration(round(self._clock() - self.down_since))
        return (f"state database unavailable for {down} ({self.reason}); "
                f"next try in {format_duration(round(self.wait(), 1))}")
