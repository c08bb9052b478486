"""Source-health notices: the announced state of each source and the notices queued per
channel (see monitor/sourcehealth.py for when a notice is due).

An announcement is a compare-and-set on the source's `health`: the UPDATE only matches while
the row still holds the state the decision started from, and the notices are written in the
same transaction. Of several replicas deciding the same change, one wins and queues the
notices; the others change nothing. A restart finds the announced state in the row and does
not say it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update

from monitor.store.schema import health_notices, sources
from monitor.store.sql import Tables, retried


@dataclass(frozen=True, slots=True)
class HealthRow:
    """A queued (or sent) health notice."""

    id: int
    source: str
    channel: str
    event: str
    text: str
    state: str  # pending | sent
    attempts: int
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


def _row(r) -> HealthRow:
    return HealthRow(r.id, r.source, r.channel, r.event, r.text, r.state, r.attempts,
                     r.created_at, r.sent_at, r.last_error)


class HealthNotices(Tables):
    """The `health` columns of sources and the health_notices queue."""

    @retried
    def announce(self, source: str, was: str, state: str, now: datetime, event: str,
                 text: str, channels: Sequence[str]) -> bool:
        """Move the source's announced health from `was` to `state` and queue `text` for
        each channel, in one transaction; False (and nothing written) when the row no
        longer says `was`: another replica announced it first."""
        was_ok = or_(sources.c.health.is_(None), sources.c.health == "ok")
        with self._write() as conn:
            changed = conn.execute(update(sources).where(
                sources.c.name == source, was_ok if was == "ok" else sources.c.health == was,
            ).values(health=None if state == "ok" else state, health_at=now)).rowcount
            if changed != 1:
                return False
            for channel in channels:
                conn.execute(health_notices.insert().values(
                    source=source, channel=channel, event=event, text=text, state="pending",
                    attempts=0, next_attempt_at=now, created_at=now))
        return True

    def due_health(self, channel: str, now: datetime, limit: int = 500) -> list[HealthRow]:
        """The channel's notices waiting to be sent and due now, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(health_notices).where(
                health_notices.c.channel == channel, health_notices.c.state == "pending",
                health_notices.c.next_attempt_at <= now,
            ).order_by(health_notices.c.id).limit(limit)).fetchall()
        return [_row(r) for r in rows]

    def last_health_sent(self, channel: str) -> datetime | None:
        """When a health message last went to this channel: what its rate limit counts."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(health_notices.c.sent_at)).where(
                health_notices.c.channel == channel)).scalar()

    @retried
    def health_sent(self, ids: Sequence[int], now: datetime) -> None:
        with self._write() as conn:
            conn.execute(update(health_notices).where(health_notices.c.id.in_(list(ids)))
                         .values(state="sent", sent_at=now, last_error=None))

    @retried
    def health_retry(self, ids: Sequence[int], at: datetime, error: str) -> None:
        """A send that failed: the notices wait until `at` and go again (never dropped)."""
        with self._write() as conn:
            conn.execute(update(health_notices).where(health_notices.c.id.in_(list(ids)))
                         .values(attempts=health_notices.c.attempts + 1, next_attempt_at=at,
                                 last_error=error[:2000]))

    def health_notices(self, limit: int = 20) -> list[HealthRow]:
        """The latest notices, newest first, and every one still waiting: for `status`."""
        with self.engine.connect() as conn:
            latest = conn.execute(select(health_notices).order_by(
                health_notices.c.id.desc()).limit(limit)).fetchall()
            waiting = conn.execute(select(health_notices).where(
                health_notices.c.state == "pending").order_by(
                health_notices.c.id.desc())).fetchall()
        rows = {r.id: r for r in [*latest, *waiting]}
        return [_row(rows[i]) for i in sorted(rows, reverse=True)]

    @retried
    def prune_health(self, before: datetime) -> int:
        """Forget sent notices older than `before` (retention, with sent alerts)."""
        with self._write() as conn:
            return conn.execute(health_notices.delete().where(
                health_notices.c.state == "sent", health_notices.c.sent_at < before)).rowcount
