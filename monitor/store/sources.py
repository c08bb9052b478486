"""Sources and their seen entries: which are due, what each poll found, the one transaction
that records an entry as seen together with its alerts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, literal, or_, select, text, update

from monitor.records import Poll, Seen, SourceState, UpdatePolicy
from monitor.store.messages import add_poll_alerts
from monitor.store.schema import UTCDateTime, entries, sources
from monitor.store.sql import Tables, chunks, insert_rows, key_hash, retried, unleased
from monitor.store.surgestore import Baselines, count_topics
from monitor.store.threads import escalate

_ENTRY_COLUMNS = (
    "source",
    "key_hash",
    "key",
    "url",
    "story",
    "title",
    "text",
    "published_at",
    "seen_at",
)


class Sources(Tables):
    """The sources table and the entries each source recorded."""

    _baselines: Baselines  # Surges keeps it

    @retried
    def sync_sources(self, configured: Iterable[tuple[str, str, str]], now: datetime) -> None:
        """Give every configured (name, kind, location) a row (new ones are due now) and mark
        the rows of sources no longer configured inactive, keeping their history."""
        configured = {name: (kind, location) for name, kind, location in configured}
        with self._write() as conn:
            if conn.dialect.name == "postgresql":  # replicas starting or reloading together
                conn.execute(text("SELECT pg_advisory_xact_lock(7406522)"))
            known = {
                r.name: r
                for r in conn.execute(
                    select(sources.c.name, sources.c.kind, sources.c.location, sources.c.active)
                )
            }
            for name, (kind, location) in configured.items():
                row = known.get(name)
                if row is None:
                    conn.execute(
                        self._insert(sources)
                        .values(
                            name=name,
                            kind=kind,
                            location=location,
                            active=True,
                            next_check_at=now,
                            created_at=now,
                            error_count=0,
                            entries_seen=0,
                        )
                        .on_conflict_do_nothing(index_elements=["name"])
                    )
                elif (row.location, row.kind) != (location, kind):
                    # A moved source starts over: no validators, and no last success, so
                    # its next poll is a first poll (freshness.first_poll) and the new
                    # URL's archive is recorded without alerting.
                    conn.execute(
                        update(sources)
                        .where(sources.c.name == name)
                        .values(
                            kind=kind,
                            location=location,
                            active=True,
                            next_check_at=now,
                            etag=None,
                            last_modified=None,
                            body_hash=None,
                            last_success_at=None,
                        )
                    )
                elif not row.active:
                    conn.execute(update(sources).where(sources.c.name == name).values(active=True))
            gone = [n for n, r in known.items() if r.active and n not in configured]
            if gone:
                conn.execute(update(sources).where(sources.c.name.in_(gone)).values(active=False))

    @retried
    def claim_due(
        self, now: datetime, lease: timedelta, limit: int | None = None
    ) -> list[SourceState]:
        """Lease the active sources due by `now` that no live replica holds, oldest due
        first. The poll's record releases the lease (see `renew` and `release_sources`)."""
        pick = (
            select(sources.c.name)
            .where(
                sources.c.active.is_(True), sources.c.next_check_at <= now, unleased(sources, now)
            )
            .order_by(sources.c.next_check_at)
        )
        if limit:
            pick = pick.limit(limit)
        if self.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with self._write() as conn:
            rows = conn.execute(
                update(sources)
                .where(sources.c.name.in_(pick))
                .values(lease_owner=self.owner, lease_until=now + lease)
                .returning(*sources.c)
            ).fetchall()
        return sorted((_state(r) for r in rows), key=lambda s: s.next_check_at or now)

    @retried
    def release_sources(self, names: Sequence[str], next_check_at: datetime | None = None) -> None:
        """Give back leased sources this replica will not poll now (or that failed
        unexpectedly: then they are due again at `next_check_at`)."""
        if not names:
            return
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
        if next_check_at is not None:
            values["next_check_at"] = next_check_at
        with self._write() as conn:
            conn.execute(
                update(sources)
                .where(sources.c.name.in_(list(names)), sources.c.lease_owner == self.owner)
                .values(**values)
            )

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
            for part in chunks(hashes):
                seen.update(
                    conn.execute(
                        select(entries.c.key_hash).where(
                            entries.c.source == source, entries.c.key_hash.in_(part)
                        )
                    ).scalars()
                )
        return {k for h, k in by_hash.items() if h not in seen}

    def published_since(self, source: str, since: datetime, until: datetime) -> int:
        """How many of a source's entries were published in [since, until]: its pace."""
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(func.count())
                    .select_from(entries)
                    .where(
                        entries.c.source == source,
                        entries.c.published_at >= since,
                        entries.c.published_at <= until,
                    )
                ).scalar()
                or 0
            )

    @retried
    def record_poll(
        self,
        poll: Poll,
        seen: Sequence[Seen],
        next_check_at: datetime,
        interval: float | None = None,
        updates: Mapping[str, UpdatePolicy] | None = None,
    ) -> int:
        """Record a poll's outcome, its new entries and their alerts in ONE transaction.

        Returns the number of rule × channel alerts added to the outbox (messages.py: one
        row per story and channel holds them). An entry another process recorded first is
        skipped with its alerts; a rule that already fired for the story on a channel is not
        added again. With `updates` (each channel's policy), a story that alerted before
        and escalates gets its follow-up queued in the same transaction (threads.py).
        """
        with self._write() as conn:
            recorded = self._insert_entries(conn, seen, poll.checked_at)
            added = add_poll_alerts(
                conn,
                self._insert,
                [(item.story, entry_id, item.alerts) for item, entry_id in recorded if item.alerts],
                poll.checked_at,
                {(w, r): wait for item in seen for w, r, wait in item.waits},
            )
            topics = [
                (item.story, entry_id, item.topics) for item, entry_id in recorded if item.topics
            ]
            if topics:
                count_topics(conn, self._insert, self._baselines, topics, poll.checked_at)
            if updates and recorded:
                escalate(
                    conn,
                    self._insert,
                    {item.story: entry_id for item, entry_id in recorded},
                    {
                        (item.story, channel): alert
                        for item, _ in recorded
                        for channel, alert in item.alerts
                    },
                    updates,
                    poll.checked_at,
                )
            _update_source(conn, poll, next_check_at, len(recorded), interval, self.owner)
        return added

    @retried
    def record_quiet_polls(self, polls: Sequence[tuple[Poll, datetime, float | None]]) -> None:
        """Record many polls that brought nothing new — (poll, next check, interval) — in one
        transaction: most polls are like that, and one commit each would cost more than
        the polls themselves. Losing such a batch in a crash only means polling again."""
        if not polls:
            return
        with self._write() as conn:
            for poll, next_check_at, interval in polls:
                _update_source(conn, poll, next_check_at, 0, interval, self.owner)

    def _insert_entries(
        self, conn: Connection, seen: Sequence[Seen], now: datetime
    ) -> list[tuple[Seen, int]]:
        """Insert a poll's entries in one multi-row statement (sql.insert_rows); the ones
        that were new, in order, with their ids. An entry another process recorded first
        is skipped, and so is a key listed twice (the first one counts)."""
        by_hash: dict[tuple[str, str], Seen] = {}
        for item in seen:
            by_hash.setdefault((item.entry.source, key_hash(item.entry.key)), item)
        if not by_hash:
            return []
        made = insert_rows(
            conn,
            entries,
            _ENTRY_COLUMNS,
            [
                (
                    item.entry.source,
                    digest[1],
                    item.entry.key,
                    item.entry.url,
                    item.story,
                    item.entry.title,
                    item.text,
                    item.entry.published,
                    now,
                )
                for digest, item in by_hash.items()
            ],
            conflict=("source", "key_hash"),
            returning=("id", "source", "key_hash"),
        )
        ids = {(row.source, row.key_hash): row.id for row in made}
        return [(item, ids[digest]) for digest, item in by_hash.items() if digest in ids]


def _state(row: Any) -> SourceState:
    return SourceState(
        name=row.name,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        next_check_at=row.next_check_at,
        last_check_at=row.last_check_at,
        last_success_at=row.last_success_at,
        error_count=row.error_count,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        entries_seen=row.entries_seen,
        kind=row.kind,
        interval=row.interval,
        created_at=row.created_at,
        failing_since=row.failing_since,
        last_new_at=row.last_new_at,
        health=row.health or "ok",
        health_at=row.health_at,
    )


def _update_source(
    conn: Connection,
    poll: Poll,
    next_check_at: datetime,
    new_entries: int,
    interval: float | None,
    owner: str,
) -> None:
    """Record a poll on its source's row and end this replica's lease on it. A row whose
    lease another replica took meanwhile (this one stalled past its lease) is left to that
    replica's poll; the entries and alerts recorded with it are idempotent anyway."""
    values = _poll_values(poll, next_check_at, new_entries)
    if interval is not None:
        values["interval"] = interval
    values.update(lease_owner=None, lease_until=None)
    conn.execute(
        update(sources)
        .where(
            sources.c.name == poll.source,
            or_(sources.c.lease_owner.is_(None), sources.c.lease_owner == owner),
        )
        .values(**values)
    )


def _poll_values(poll: Poll, next_check_at: datetime, new_entries: int) -> dict[str, Any]:
    values: dict[str, Any] = {"last_check_at": poll.checked_at, "next_check_at": next_check_at}
    if poll.error is not None:
        values.update(
            error_count=sources.c.error_count + 1,
            last_error=poll.error[:2000],
            last_error_at=poll.checked_at,
            failing_since=case(
                (sources.c.error_count == 0, literal(poll.checked_at, UTCDateTime())),
                else_=sources.c.failing_since,
            ),
        )
        return values
    values.update(
        last_success_at=poll.checked_at,
        error_count=0,
        failing_since=None,
        entries_seen=sources.c.entries_seen + new_entries,
    )
    if new_entries:
        values["last_new_at"] = poll.checked_at
    if poll.problems:  # shown as the last error; the poll itself succeeded
        values.update(last_error=problem_line(poll.problems), last_error_at=poll.checked_at)
    if not poll.not_modified:
        values.update(etag=poll.etag, last_modified=poll.last_modified, body_hash=poll.body_hash)
    else:  # a 304 may still carry fresh validators
        values.update(
            {k: v for k, v in (("etag", poll.etag), ("last_modified", poll.last_modified)) if v}
        )
    return values


def problem_line(problems: Sequence[str], shown: int = 3) -> str:
    """A poll's problems as one stored line: the first few, and how many more."""
    line = "; ".join(problems[:shown])
    if len(problems) > shown:
        line += f" (and {len(problems) - shown} more)"
    return line[:2000]
