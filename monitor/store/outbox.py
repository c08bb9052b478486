"""The alert outbox: claiming what is due, marking it sent, retried, failed or held for a
digest, and what `status` and `alerts` show of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, func, select, update

from monitor.facts.figures import Casualties
from monitor.records import Alert, OutboxItem
from monitor.store.codec import alert_from_json
from monitor.store.schema import alert_rules, alerts, deliveries, entries
from monitor.store.sql import Tables, chunks, ids_of, retried, unleased
from monitor.store.threads import note_sent


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One outbox row as `status` and `alerts` show it."""

    id: int
    watchlist: str
    rule: str
    channel: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    title: str
    url: str
    rules: tuple[str, ...] = ()  # every rule the message names, the leading one first
    story: str = ""
    single_source: bool = False  # held for corroboration, sent when none came
    casualties: Casualties = Casualties()  # the figures the alert carries


@dataclass(frozen=True, slots=True)
class FeedAlert:
    """One alert as the Atom feeds list it: once, whatever the channels it went to."""

    id: int  # its first outbox row's
    story: str
    created_at: datetime
    alert: Alert


def _alert_row(r: Any) -> AlertRow:
    alert = alert_from_json(r.payload)
    return AlertRow(r.id, r.watchlist, r.rule, r.channel, r.state, r.attempts, r.created_at,
                    r.sent_at, r.last_error, r.title, r.url,
                    tuple(f.rule for f in alert.rules()), r.story, alert.single_source,
                    alert.casualties)


class Outbox(Tables):
    """Alerts waiting for their channels, and the log of messages sent."""

    def due_channels(self, now: datetime) -> list[str]:
        """Channels with alerts due and free to claim: the ones worth a channel lease."""
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(alerts.c.channel).distinct()
                .where(alerts.c.state == "pending", alerts.c.next_attempt_at <= now,
                       unleased(alerts, now))
            ).scalars())

    @retried
    def claim_alerts(self, now: datetime, lease: timedelta, limit: int = 100,
                     channels: Iterable[str] | None = None) -> list[OutboxItem]:
        """Lease the pending alerts due by `now` (of these channels) that no live replica
        holds, oldest first. Marking them sent, retried, failed or for a digest releases
        them; so does `release_alerts`."""
        pick = (select(alerts.c.id)
                .where(alerts.c.state == "pending", alerts.c.next_attempt_at <= now,
                       unleased(alerts, now))
                .order_by(alerts.c.id).limit(limit))
        if channels is not None:
            pick = pick.where(alerts.c.channel.in_(list(channels)))
        if self.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with self._write() as conn:
            rows = conn.execute(
                update(alerts).where(alerts.c.id.in_(pick))
                .values(lease_owner=self.owner, lease_until=now + lease)
                .returning(alerts.c.id, alerts.c.channel, alerts.c.payload,
                           alerts.c.attempts, alerts.c.created_at, alerts.c.story)
            ).fetchall()
        return [OutboxItem(r.id, r.channel, alert_from_json(r.payload), r.attempts,
                           r.created_at, r.story) for r in sorted(rows, key=lambda r: r.id)]

    @retried
    def release_alerts(self, ids: Sequence[int]) -> None:
        """Give back claimed alerts that wait (group_wait, quiet hours, a channel down)."""
        with self._write() as conn:
            self._set(conn, ids, owner=self.owner)

    @retried
    def mark_sent(self, ids: int | Sequence[int], now: datetime, channel: str | None = None,
                  kind: str = "alert", stories: Sequence[tuple[int, Alert]] = ()) -> None:
        """Mark alerts sent; with `channel`, also log the message for rate limits, and note
        each of `stories` (its first row, the alert as sent) as told to the channel, which
        its follow-ups build on (threads.py) — in the same transaction."""
        with self._write() as conn:
            self._set(conn, ids, state="sent", sent_at=now, attempts=alerts.c.attempts + 1,
                      last_error=None)
            if channel is not None:
                conn.execute(deliveries.insert().values(
                    channel=channel, sent_at=now, alerts=len(ids_of(ids)), kind=kind))
                if stories:
                    note_sent(conn, self._insert, channel, stories, now)

    @retried
    def mark_retry(self, ids: int | Sequence[int], error: str,
                   next_attempt_at: datetime) -> None:
        with self._write() as conn:
            self._set(conn, ids, attempts=alerts.c.attempts + 1, last_error=error,
                      next_attempt_at=next_attempt_at)

    @retried
    def mark_failed(self, ids: int | Sequence[int], error: str) -> None:
        with self._write() as conn:
            self._set(conn, ids, state="failed", attempts=alerts.c.attempts + 1,
                      last_error=error)

    @retried
    def mark_digest(self, ids: Sequence[int]) -> None:
        """Hold alerts for their channel's next digest."""
        with self._write() as conn:
            self._set(conn, ids, state="digest")

    def digest_alerts(self, channel: str) -> list[OutboxItem]:
        """Everything waiting for a channel's digest, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(alerts.c.id, alerts.c.channel, alerts.c.payload, alerts.c.attempts,
                       alerts.c.created_at, alerts.c.story)
                .where(alerts.c.channel == channel, alerts.c.state == "digest")
                .order_by(alerts.c.id)).fetchall()
        return [OutboxItem(r.id, r.channel, alert_from_json(r.payload), r.attempts,
                           r.created_at, r.story) for r in rows]

    def messages_since(self, channel: str, since: datetime) -> int:
        """Messages sent to a channel since then (not digests): what max_per_hour counts."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(deliveries).where(
                deliveries.c.channel == channel, deliveries.c.sent_at >= since,
                deliveries.c.kind != "digest")).scalar() or 0

    @staticmethod
    def _set(conn: Connection, ids: int | Sequence[int], owner: str | None = None,
             **values: Any) -> None:
        """Update outbox rows (only those leased by `owner`, if given); every change of
        state also ends their lease."""
        values.setdefault("lease_owner", None)
        values.setdefault("lease_until", None)
        for part in chunks(ids_of(ids)):
            query = update(alerts).where(alerts.c.id.in_(part))
            if owner is not None:
                query = query.where(alerts.c.lease_owner == owner)
            conn.execute(query.values(**values))

    def alert_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alerts.c.state, func.count()).group_by(alerts.c.state))
            return {state: n for state, n in rows}

    def alert_rows(self, since: datetime | None = None, limit: int = 1000) -> list[AlertRow]:
        query = (select(alerts, entries.c.title, entries.c.url)
                 .join(entries, entries.c.id == alerts.c.entry_id)
                 .order_by(alerts.c.id.desc()).limit(limit))
        if since is not None:
            query = query.where(alerts.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        return [_alert_row(r) for r in rows]

    def feed_alerts(self, watchlist: str | None = None, limit: int = 100) -> list[FeedAlert]:
        """The newest `limit` messages (naming a rule of one watchlist), newest first, each
        story and leading rule once: a story has an outbox row per channel, and a feed
        reader wants it once, under its first row. The newest rows are walked by id and each
        is kept when no earlier row of its story and leading rule exists (the story index
        answers that), so the work grows with `limit`, not with the table."""
        earlier = alerts.alias("earlier")
        first = ~exists().where(earlier.c.story == alerts.c.story,
                                earlier.c.watchlist == alerts.c.watchlist,
                                earlier.c.rule == alerts.c.rule, earlier.c.id < alerts.c.id)
        query = (select(alerts.c.id, alerts.c.story, alerts.c.created_at, alerts.c.payload)
                 .where(first).order_by(alerts.c.id.desc()).limit(limit))
        if watchlist is not None:
            query = query.where(exists().where(alert_rules.c.alert_id == alerts.c.id,
                                               alert_rules.c.watchlist == watchlist))
        with self.engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        return [FeedAlert(r.id, r.story, r.created_at, alert_from_json(r.payload))
                for r in rows]

    def outbox_stats(self) -> tuple[int, datetime | None]:
        """How many alerts wait to be sent (pending or for a digest), and since when."""
        with self.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.min(alerts.c.created_at))
                               .where(alerts.c.state.in_(("pending", "digest")))).one()
        oldest = row[1]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return row[0], oldest
