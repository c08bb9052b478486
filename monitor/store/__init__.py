"""The state that survives restarts: sources, seen entries and the alert outbox.

SQLite (WAL) by default, PostgreSQL for replicas, through SQLAlchemy Core, with Alembic
migrations applied when the store opens. The one promise that matters most lives here:
an entry is recorded as seen in the same transaction that writes its alerts to the outbox.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from monitor.records import OutboxItem, Poll, Seen, SourceState
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.schema import alerts, deliveries, entries, leases, sources

__all__ = ["Store", "AlertRow", "Replica", "StoredEntry", "StoreError", "replica_name"]

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0004"  # the newest migration; a test keeps it in step with migrations/versions


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


@dataclass(frozen=True, slots=True)
class Replica:
    """A process holding leases now, as `status` shows it."""

    owner: str
    sources: int  # being polled
    channels: tuple[str, ...]  # delivered by it


def replica_name() -> str:
    """Who holds a lease: host, process and a random tag (pids repeat across restarts)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def key_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """All reads and writes of the state database. One instance per process.

    Several processes (replicas) may share one database. Work is handed out by leases: a
    claimed source or outbox row carries its owner and an expiry that the owner renews
    while it works. A replica that dies stops renewing, and once its leases expire the
    others take its work. On PostgreSQL the claims lock with FOR UPDATE SKIP LOCKED, so
    replicas never wait on each other's claims.
    """

    def __init__(self, engine: Engine, owner: str | None = None):
        self.engine = engine
        self.owner = owner or replica_name()
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @classmethod
    def open(cls, url: str, owner: str | None = None) -> Store:
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
        store = cls(engine, owner)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to HEAD. A database already there is left alone without loading
        Alembic, which a daemon restarting after a crash should not wait for."""
        if self._revision() == HEAD:
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":  # replicas starting together
                    conn.execute(text("SELECT pg_advisory_xact_lock(7406521)"))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as err:
            raise StoreError(f"cannot open the state database: {err}") from err

    def _revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # a new database; or no server, which migrate() then reports
            return None

    def close(self) -> None:
        self.engine.dispose()

    # -- sources -------------------------------------------------------------------------

    def sync_sources(self, configured: Iterable[tuple[str, str, str]], now: datetime) -> None:
        """Give every configured (name, kind, location) a row (new ones are due now) and mark
        the rows of sources no longer configured inactive, keeping their history."""
        configured = {name: (kind, location) for name, kind, location in configured}
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # replicas starting or reloading together
                conn.execute(text("SELECT pg_advisory_xact_lock(7406522)"))
            known = {r.name: r for r in conn.execute(
                select(sources.c.name, sources.c.kind, sources.c.location, sources.c.active))}
            for name, (kind, location) in configured.items():
                row = known.get(name)
                if row is None:
                    conn.execute(self._insert(sources).values(
                        name=name, kind=kind, location=location, active=True,
                        next_check_at=now, created_at=now, error_count=0, entries_seen=0,
                    ).on_conflict_do_nothing(index_elements=["name"]))
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

    def claim_due(self, now: datetime, lease: timedelta,
                  limit: int | None = None) -> list[SourceState]:
        """Lease the active sources due by `now` that no live replica holds, oldest due
        first. The poll's record releases the lease (see `renew` and `release_sources`)."""
        pick = (select(sources.c.name)
                .where(sources.c.active.is_(True), sources.c.next_check_at <= now,
                       _free(sources, now))
                .order_by(sources.c.next_check_at))
        if limit:
            pick = pick.limit(limit)
        if self.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(sources).where(sources.c.name.in_(pick))
                .values(lease_owner=self.owner, lease_until=now + lease)
                .returning(*sources.c)).fetchall()
        return sorted((_state(r) for r in rows), key=lambda s: s.next_check_at or now)

    def release_sources(self, names: Sequence[str],
                        next_check_at: datetime | None = None) -> None:
        """Give back leased sources this replica will not poll now (or that failed
        unexpectedly: then they are due again at `next_check_at`)."""
        if not names:
            return
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
        if next_check_at is not None:
            values["next_check_at"] = next_check_at
        with self.engine.begin() as conn:
            conn.execute(update(sources).where(sources.c.name.in_(list(names)),
                                               sources.c.lease_owner == self.owner)
                         .values(**values))

    def renew(self, now: datetime, lease: timedelta, polling: Iterable[str] = ()) -> None:
        """Extend this replica's leases: on the sources it is polling, the outbox rows it is
        delivering and its named leases. Leases on anything else are left to expire."""
        until = now + lease
        polling = list(polling)
        with self.engine.begin() as conn:
            for part in _chunks(polling):
                conn.execute(update(sources).where(sources.c.lease_owner == self.owner,
                                                   sources.c.name.in_(part))
                             .values(lease_until=until))
            conn.execute(update(alerts).where(alerts.c.lease_owner == self.owner)
                         .values(lease_until=until))
            conn.execute(update(leases).where(leases.c.owner == self.owner)
                         .values(until=until))

    def release_all(self) -> None:
        """A clean stop gives back every lease at once: the others need not wait."""
        with self.engine.begin() as conn:
            for table in (sources, alerts):
                conn.execute(update(table).where(table.c.lease_owner == self.owner)
                             .values(lease_owner=None, lease_until=None))
            conn.execute(leases.delete().where(leases.c.owner == self.owner))

    def take_leases(self, names: Iterable[str], now: datetime, lease: timedelta) -> set[str]:
        """Of these named leases, the ones this replica holds now: free or expired ones
        are taken, its own are renewed, live ones of other replicas are left alone."""
        held: set[str] = set()
        with self.engine.begin() as conn:
            for name in names:
                stmt = self._insert(leases).values(name=name, owner=self.owner,
                                                   until=now + lease)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["name"],
                    set_={"owner": stmt.excluded.owner, "until": stmt.excluded.until},
                    where=or_(leases.c.until <= now, leases.c.owner == self.owner),
                ).returning(leases.c.name)
                if conn.execute(stmt).scalar() is not None:
                    held.add(name)
        return held

    def replicas(self, now: datetime) -> list[Replica]:
        """Who holds live leases: for `status` on a shared database."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources.c.lease_owner, func.count())
                                .where(sources.c.lease_until > now)
                                .group_by(sources.c.lease_owner))
            polling = {owner: n for owner, n in rows}
            named = conn.execute(select(leases.c.owner, leases.c.name)
                                 .where(leases.c.until > now)
                                 .order_by(leases.c.name)).fetchall()
        channels: dict[str, list[str]] = {}
        for owner, name in named:
            if name.startswith("channel:"):
                channels.setdefault(owner, []).append(name.removeprefix("channel:"))
        return [Replica(owner, polling.get(owner, 0), tuple(channels.get(owner, ())))
                for owner in sorted(set(polling) | set(channels))]

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
            for part in _chunks(hashes):
                seen.update(conn.execute(
                    select(entries.c.key_hash).where(entries.c.source == source,
                                                     entries.c.key_hash.in_(part))
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
            _update_source(conn, poll, next_check_at, new_entries, interval, self.owner)
        return added

    def record_quiet_polls(self, polls: Sequence[tuple[Poll, datetime, float | None]]) -> None:
        """Record many polls that brought nothing new — (poll, next check, interval) — in one
        transaction: most polls are like that, and one commit each would cost more than
        the polls themselves. Losing such a batch in a crash only means polling again."""
        if not polls:
            return
        with self.engine.begin() as conn:
            for poll, next_check_at, interval in polls:
                _update_source(conn, poll, next_check_at, 0, interval, self.owner)

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

    def due_channels(self, now: datetime) -> list[str]:
        """Channels with alerts due and free to claim: the ones worth a channel lease."""
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(alerts.c.channel).distinct()
                .where(alerts.c.state == "pending", alerts.c.next_attempt_at <= now,
                       _free(alerts, now))
            ).scalars())

    def claim_alerts(self, now: datetime, lease: timedelta, limit: int = 100,
                     channels: Iterable[str] | None = None) -> list[OutboxItem]:
        """Lease the pending alerts due by `now` (of these channels) that no live replica
        holds, oldest first. Marking them sent, retried, failed or for a digest releases
        them; so does `release_alerts`."""
        pick = (select(alerts.c.id)
                .where(alerts.c.state == "pending", alerts.c.next_attempt_at <= now,
                       _free(alerts, now))
                .order_by(alerts.c.id).limit(limit))
        if channels is not None:
            pick = pick.where(alerts.c.channel.in_(list(channels)))
        if self.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(alerts).where(alerts.c.id.in_(pick))
                .values(lease_owner=self.owner, lease_until=now + lease)
                .returning(alerts.c.id, alerts.c.channel, alerts.c.payload,
                           alerts.c.attempts, alerts.c.created_at, alerts.c.story)
            ).fetchall()
        return [OutboxItem(r.id, r.channel, alert_from_json(r.payload), r.attempts,
                           r.created_at, r.story) for r in sorted(rows, key=lambda r: r.id)]

    def release_alerts(self, ids: Sequence[int]) -> None:
        """Give back claimed alerts that wait (group_wait, quiet hours, a channel down)."""
        with self.engine.begin() as conn:
            self._set(conn, ids, owner=self.owner)

    def story_sources(self, stories: Iterable[str]) -> dict[str, list[str]]:
        """Every source that carried each story, in the order they did."""
        wanted = list(set(stories))
        found: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for part in _chunks(wanted):
                rows = conn.execute(select(entries.c.story, entries.c.source)
                                    .where(entries.c.story.in_(part))
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
    def _set(conn: Connection, ids: int | Sequence[int], owner: str | None = None,
             **values: Any) -> None:
        """Update outbox rows (only those leased by `owner`, if given); every change of
        state also ends their lease."""
        values.setdefault("lease_owner", None)
        values.setdefault("lease_until", None)
        for part in _chunks(_ids(ids)):
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

    def entries_after(self, last_id: int, since: datetime
                      ) -> list[tuple[int, str, str, str, datetime]]:
        """(id, story, url, title, seen_at) of entries recorded after id `last_id` and
        seen since `since`: what other replicas saw, for the story index."""
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(entries.c.id, entries.c.story, entries.c.url, entries.c.title,
                       entries.c.seen_at)
                .where(entries.c.id > last_id, entries.c.seen_at >= since)
                .order_by(entries.c.id)))

    def last_entry_id(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(entries.c.id))).scalar() or 0

    def alerted(self, stories: Iterable[str]) -> set[tuple[str, str, str]]:
        """(story, watchlist, rule) of every alert created for these stories, any channel."""
        wanted = list(set(stories))
        found: set[tuple[str, str, str]] = set()
        with self.engine.connect() as conn:
            for part in _chunks(wanted):
                found.update(conn.execute(
                    select(alerts.c.story, alerts.c.watchlist, alerts.c.rule).distinct()
                    .where(alerts.c.story.in_(part))))
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


def _free(table: Table, now: datetime) -> ColumnElement[bool]:
    """Rows no live replica holds: never leased, given back, or expired."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until <= now)


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Long IN lists go in parts: databases cap the parameters of one statement."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


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
                   interval: float | None, owner: str) -> None:
    """Record a poll on its source's row and end this replica's lease on it. A row whose
    lease another replica took meanwhile (this one stalled past its lease) is left to that
    replica's poll; the entries and alerts recorded with it are idempotent anyway."""
    values = _poll_values(poll, next_check_at, new_entries)
    if interval is not None:
        values["interval"] = interval
    values.update(lease_owner=None, lease_until=None)
    conn.execute(update(sources).where(
        sources.c.name == poll.source,
        or_(sources.c.lease_owner.is_(None), sources.c.lease_owner == owner),
    ).values(**values))


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
