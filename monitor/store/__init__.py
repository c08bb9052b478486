"""The state that survives restarts: sources, seen entries and the alert outbox.

SQLite (WAL) by default, PostgreSQL for replicas, through SQLAlchemy Core, with Alembic
migrations applied when the store opens. The one promise that matters most lives here:
an entry is recorded as seen in the same transaction that writes its alerts to the outbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from monitor.records import OutboxItem, Poll, Seen, SourceState
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.schema import alerts, deliveries, entries, sources

__all__ = ["Store", "AlertRow", "StoredEntry", "StoreError"]

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(Exception):
    """The state database cannot be opened or used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A seen entry as kept for backtests; `text` is None once older than keep_text."""

    source: str
    url: str
    story: str
    title: str
    text: str | None
    published: datetime | None
    seen_at: datetime


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


def key_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """All reads and writes of the state database. One instance per process."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (creating or migrating as needed) the database at `url`."""
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        except Exception as err:  # bad URL syntax, missing driver
            raise StoreError(f"cannot use state '{url}': {err}") from err
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        store.migrate()
        return store

    def migrate(self) -> None:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as err:
            raise StoreError(f"cannot open the state database: {err}") from err

    def close(self) -> None:
        self.engine.dispose()

    # -- sources -------------------------------------------------------------------------

    def sync_sources(self, configured: Iterable[tuple[str, str, str]], now: datetime) -> None:
        """Give every configured (name, kind, location) a row (new ones are due now) and mark
        the rows of sources no longer configured inactive, keeping their history."""
        configured = {name: (kind, location) for name, kind, location in configured}
        with self.engine.begin() as conn:
            known = {r.name: r for r in conn.execute(
                select(sources.c.name, sources.c.kind, sources.c.location, sources.c.active))}
            for name, (kind, location) in configured.items():
                row = known.get(name)
                if row is None:
                    conn.execute(sources.insert().values(
                        name=name, kind=kind, location=location, active=True,
                        next_check_at=now, created_at=now, error_count=0, entries_seen=0))
                elif (row.location, row.kind) != (location, kind):
                    conn.execute(update(sources).where(sources.c.name == name).values(
                        kind=kind, location=location, active=True, next_check_at=now,
                        etag=None, last_modified=None, body_hash=None))
                elif not row.active:
                    conn.execute(update(sources).where(sources.c.name == name)
                                 .values(active=True))
            gone = [n for n, r in known.items() if r.active and n not in configured]
            if gone:
                conn.execute(update(sources).where(sources.c.name.in_(gone))
                             .values(active=False))

    def claim_due(self, now: datetime, hold: timedelta,
                  limit: int | None = None) -> list[SourceState]:
        """Take the active sources due by `now`; push their next check out by `hold` so the
        next tick does not take them again while this poll runs (the poll sets the real
        time)."""
        with self.engine.begin() as conn:
            query = (select(sources).where(sources.c.active.is_(True),
                                           sources.c.next_check_at <= now)
                     .order_by(sources.c.next_check_at))
            if limit:
                query = query.limit(limit)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).fetchall()
            if rows:
                conn.execute(update(sources)
                             .where(sources.c.name.in_([r.name for r in rows]))
                             .values(next_check_at=now + hold))
        return [_state(r) for r in rows]

    def source_state(self, name: str) -> SourceState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sources).where(sources.c.name == name)).first()
        return _state(row) if row else None

    def source_states(self) -> list[SourceState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources).order_by(sources.c.name)).fetchall()
        return [_state(r) for r in rows]

    def unseen(self, source: str, keys: Iterable[str]) -> set[str]:
        """Which of these entry keys this source has not recorded yet."""
        by_hash = {key_hash(k): k for k in keys}
        if not by_hash:
            return set()
        seen: set[str] = set()
        hashes = list(by_hash)
        with self.engine.connect() as conn:
            for i in range(0, len(hashes), 500):
                seen.update(conn.execute(
                    select(entries.c.key_hash).where(entries.c.source == source,
                                                     entries.c.key_hash.in_(hashes[i:i + 500]))
                ).scalars())
        return {k for h, k in by_hash.items() if h not in seen}

    def published_since(self, source: str, since: datetime, until: datetime) -> int:
        """How many of a source's entries were published in [since, until]: its pace."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(entries).where(
                entries.c.source == source, entries.c.published_at >= since,
                entries.c.published_at <= until)).scalar() or 0

    def record_poll(self, poll: Poll, seen: Sequence[Seen], next_check_at: datetime,
                    interval: float | None = None) -> int:
        """Record a poll's outcome, its new entries and their alerts in ONE transaction.

        Returns the number of alerts added to the outbox. An entry another process recorded
        first is skipped with its alerts; an alert for a story × rule × channel that already
        exists is not added again.
        """
        with self.engine.begin() as conn:
            new_entries, added = 0, 0
            for item in seen:
                entry_id = self._insert_entry(conn, item, poll.checked_at)
                if entry_id is None:
                    continue
                new_entries += 1
                added += self._insert_alerts(conn, item, entry_id, poll.checked_at)
            _update_source(conn, poll, next_check_at, new_entries, interval)
        return added

    def record_quiet_polls(self, polls: Sequence[tuple[Poll, datetime, float | None]]) -> None:
        """Record many polls that brought nothing new — (poll, next check, interval) — in one
        transaction: most polls are like that, and one commit each would cost more than
        the polls themselves. Losing such a batch in a crash only means polling again."""
        if not polls:
            return
        with self.engine.begin() as conn:
            for poll, next_check_at, interval in polls:
                _update_source(conn, poll, next_check_at, 0, interval)

    def _insert_entry(self, conn: Connection, item: Seen, now: datetime) -> int | None:
        e = item.entry
        stmt = self._insert(entries).values(
            source=e.source, key_hash=key_hash(e.key), key=e.key, url=e.url, story=item.story,
            title=e.title, text=item.text, published_at=e.published, seen_at=now,
        ).on_conflict_do_nothing(index_elements=["source", "key_hash"]).returning(entries.c.id)
        return conn.execute(stmt).scalar()

    def _insert_alerts(self, conn: Connection, item: Seen, entry_id: int, now: datetime) -> int:
        added = 0
        for channel, alert in item.alerts:
            stmt = self._insert(alerts).values(
                story=item.story, watchlist=alert.watchlist, rule=alert.rule, channel=channel,
                entry_id=entry_id, priority=alert.priority, payload=alert_to_json(alert),
                state="pending", attempts=0, next_attempt_at=now, created_at=now,
            ).on_conflict_do_nothing(index_elements=["story", "watchlist", "rule", "channel"]
                                     ).returning(alerts.c.id)
            added += conn.execute(stmt).scalar() is not None
        return added

    # -- outbox --------------------------------------------------------------------------

    def due_alerts(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(alerts.c.id, alerts.c.channel, alerts.c.payload, alerts.c.attempts,
                       alerts.c.created_at, alerts.c.story)
                .where(alerts.c.state == "pending", alerts.c.next_attempt_at <= now)
                .order_by(alerts.c.id).limit(limit)
            ).fetchall()
        return [OutboxItem(r.id, r.channel, alert_from_json(r.payload), r.attempts,
                           r.created_at, r.story) for r in rows]

    def story_sources(self, stories: Iterable[str]) -> dict[str, list[str]]:
        """Every source that carried each story, in the order they did."""
        wanted = list(set(stories))
        found: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                rows = conn.execute(select(entries.c.story, entries.c.source)
                                    .where(entries.c.story.in_(wanted[i:i + 500]))
                                    .order_by(entries.c.id))
                for story, source in rows:
                    if source not in found.setdefault(story, []):
                        found[story].append(source)
        return found

    def mark_sent(self, ids: int | Sequence[int], now: datetime, channel: str | None = None,
                  kind: str = "alert") -> None:
        """Mark alerts sent; with `channel`, also log the message for rate limits — in the
        same transaction."""
        with self.engine.begin() as conn:
            self._set(conn, ids, state="sent", sent_at=now, attempts=alerts.c.attempts + 1,
                      last_error=None)
            if channel is not None:
                conn.execute(deliveries.insert().values(
                    channel=channel, sent_at=now, alerts=len(_ids(ids)), kind=kind))

    def mark_retry(self, ids: int | Sequence[int], error: str,
                   next_attempt_at: datetime) -> None:
        with self.engine.begin() as conn:
            self._set(conn, ids, attempts=alerts.c.attempts + 1, last_error=error,
                      next_attempt_at=next_attempt_at)

    def mark_failed(self, ids: int | Sequence[int], error: str) -> None:
        with self.engine.begin() as conn:
            self._set(conn, ids, state="failed", attempts=alerts.c.attempts + 1,
                      last_error=error)

    def mark_digest(self, ids: Sequence[int]) -> None:
        """Hold alerts for their channel's next digest."""
        with self.engine.begin() as conn:
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
    def _set(conn: Connection, ids: int | Sequence[int], **values: Any) -> None:
        wanted = _ids(ids)
        for i in range(0, len(wanted), 500):
            conn.execute(update(alerts).where(alerts.c.id.in_(wanted[i:i + 500]))
                         .values(**values))

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
        return [AlertRow(r.id, r.watchlist, r.rule, r.channel, r.state, r.attempts,
                         r.created_at, r.sent_at, r.last_error, r.title, r.url) for r in rows]

    # -- backtests -----------------------------------------------------------------------

    def entries_since(self, since: datetime) -> Iterator[StoredEntry]:
        """Every entry first seen at or after `since`, oldest first, streamed."""
        query = (select(entries.c.source, entries.c.url, entries.c.story, entries.c.title,
                        entries.c.text, entries.c.published_at, entries.c.seen_at)
                 .where(entries.c.seen_at >= since).order_by(entries.c.id))
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=1000).execute(query):
                yield StoredEntry(r.source, r.url, r.story, r.title, r.text, r.published_at,
                                  r.seen_at)

    def alerted(self, stories: Iterable[str]) -> set[tuple[str, str, str]]:
        """(story, watchlist, rule) of every alert created for these stories, any channel."""
        wanted = list(set(stories))
        found: set[tuple[str, str, str]] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                found.update(conn.execute(
                    select(alerts.c.story, alerts.c.watchlist, alerts.c.rule).distinct()
                    .where(alerts.c.story.in_(wanted[i:i + 500]))).tuples())
        return found

    # -- retention -----------------------------------------------------------------------

    def outbox_stats(self) -> tuple[int, datetime | None]:
        """How many alerts wait to be sent (pending or for a digest), and since when."""
        with self.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.min(alerts.c.created_at))
                               .where(alerts.c.state.in_(("pending", "digest")))).one()
        oldest = row[1]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return row[0], oldest

    def prune_entries(self, older_than: datetime) -> int:
        """Forget entries seen before `older_than` and their finished alerts, so the store
        stays bounded. Alerts still pending keep their entries. An item a feed still lists
        after this long would be seen as new again: keep_entries must outlast any feed's
        memory (180 days by default; news feeds keep days, sitemaps two)."""
        with self.engine.begin() as conn:
            conn.execute(alerts.delete().where(alerts.c.created_at < older_than,
                                               alerts.c.state.in_(("sent", "failed"))))
            kept = select(alerts.c.entry_id)
            result = conn.execute(entries.delete().where(entries.c.seen_at < older_than,
                                                         entries.c.id.not_in(kept)))
            conn.execute(deliveries.delete().where(deliveries.c.sent_at < older_than))
            return result.rowcount or 0

    def prune_text(self, older_than: datetime) -> int:
        """Drop stored article text past its keep time; the seen-row itself stays so the
        entry is never alerted again while a feed still lists it."""
        with self.engine.begin() as conn:
            result = conn.execute(update(entries)
                                  .where(entries.c.seen_at < older_than,
                                         entries.c.text.is_not(None))
                                  .values(text=None))
            return result.rowcount or 0


def _ids(ids: int | Sequence[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _state(row: Any) -> SourceState:
    return SourceState(
        name=row.name, etag=row.etag, last_modified=row.last_modified, body_hash=row.body_hash,
        next_check_at=row.next_check_at, last_check_at=row.last_check_at,
        last_success_at=row.last_success_at, error_count=row.error_count,
        last_error=row.last_error, last_error_at=row.last_error_at,
        entries_seen=row.entries_seen, kind=row.kind, interval=row.interval,
        created_at=row.created_at,
    )


def _update_source(conn: Connection, poll: Poll, next_check_at: datetime, new_entries: int,
                   interval: float | None) -> None:
    values = _poll_values(poll, next_check_at, new_entries)
    if interval is not None:
        values["interval"] = interval
    conn.execute(update(sources).where(sources.c.name == poll.source).values(**values))


def _poll_values(poll: Poll, next_check_at: datetime, new_entries: int) -> dict[str, Any]:
    values: dict[str, Any] = {"last_check_at": poll.checked_at, "next_check_at": next_check_at}
    if poll.error is not None:
        values.update(error_count=sources.c.error_count + 1, last_error=poll.error[:2000],
                      last_error_at=poll.checked_at)
        return values
    values.update(last_success_at=poll.checked_at, error_count=0,
                  entries_seen=sources.c.entries_seen + new_entries)
    if not poll.not_modified:
        values.update(etag=poll.etag, last_modified=poll.last_modified,
                      body_hash=poll.body_hash)
    else:  # a 304 may still carry fresh validators
        values.update({k: v for k, v in (("etag", poll.etag),
                                         ("last_modified", poll.last_modified)) if v})
    return values
