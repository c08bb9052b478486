"""Recording polls: what a poll found, with its alerts, in one transaction (or, when it
found nothing, in a batch with other such polls), on the store's writer.

On SQLite the writes of polls run on one thread of their own.

SQLite has one writer at a time. A poll's record used to go to a worker of asyncio's shared
pool, which then waited there for the write lock: polls finishing together held every
worker, and the pool's other jobs (reading a feed's known keys, matching its entries) queued
behind them. One writing thread takes the records one after another instead, and the pool
stays free for the rest. PostgreSQL takes concurrent writers: there they use the shared pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from monitor.alerts.route import route
from monitor.corroboration import needs_by_story, no_needs
from monitor.database import Availability
from monitor.pipeline import Found, seen_record
from monitor.records import Match, Poll
from monitor.store import Store, transient
from monitor.topics import with_topics

T = TypeVar("T")

log = logging.getLogger("monitor")

REFILL_GATHER = 0.05  # seconds a refill waits so polls ending together share one claim
QUIET_BATCH = 64


class Writes:
    """The writer of a Monitor's polls, and the recording of each; `close_writer` when the
    Monitor closes."""

    store: Store
    database: Availability
    routes: dict
    _mute_until: dict
    _needs: dict  # (watchlist, rule) -> Corroboration, for the rules that ask for it
    _updates: dict  # channel -> UpdatePolicy, for the channels that get follow-ups
    _surges: dict  # (watchlist, rule) -> its SurgeWatch settings, for the rules with surge:
    _quiet: list[tuple[Poll, datetime, float | None]]
    _writes: Executor | None

    def _open_writer(self) -> None:
        sqlite = self.store.engine.dialect.name == "sqlite"
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="store-writer") if sqlite else None

    async def _in_writer(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` on the writing thread (the shared pool, off SQLite)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writes, functools.partial(fn, *args)
        )

    def _close_writer(self) -> None:
        if self._writes is not None:
            self._writes.shutdown(wait=False)

    async def flush(self) -> None:
        """Write the batched records of polls that brought nothing new. A batch the
        database refuses goes back in line for the next tick."""
        batch, self._quiet = self._quiet, []
        if not batch:
            return
        try:
            await self._in_writer(self.store.record_quiet_polls, batch)
        except BaseException:
            self._quiet[:0] = batch
            raise

    async def _record(
        self,
        outcome: Poll,
        found: list[Found],
        stories: list[str],
        next_check_at: datetime,
        interval: float,
    ) -> int:
        """Record a poll. New entries and their alerts go in at once, in one transaction;
        polls that brought nothing are batched (flushed every tick, or every 64)."""
        if found:
            now = outcome.checked_at

            def routed(match: Match) -> tuple[str, ...]:
                return route(match, self.routes, self._mute_until, now)

            needs = (
                (await asyncio.to_thread(needs_by_story, self.store, self._needs, found, stories))
                if self._needs
                else no_needs
            )
            records = [
                with_topics(seen_record(f, story, routed, needs(story)), f, self._surges)
                for f, story in zip(found, stories, strict=True)
            ]
            return await self._until_recorded(
                outcome.source,
                lambda: self.store.record_poll(
                    outcome, records, next_check_at, interval, self._updates
                ),
            )
        self._quiet.append((outcome, next_check_at, interval))
        if len(self._quiet) >= QUIET_BATCH:
            await self.flush()
        return 0

    async def _until_recorded(self, source: str, record: Callable[[], int]) -> int:
        """Write a poll's new entries and alerts, trying again for as long as the database
        does not answer: they were fetched, matched and may be gone from the feed by the
        next poll, so they are kept here rather than dropped. Stopping the daemon ends the
        wait; nothing was recorded then, and the next start polls the source again."""
        while True:
            try:
                added = await self._in_writer(record)
            except DBAPIError as err:
                if not transient(err):
                    raise
                self.database.failed(err)
                log.debug("poll of %r waits to be recorded: %s", source, err)
                await asyncio.sleep(max(self.database.wait(), REFILL_GATHER))
                continue
            self.database.answered()
            return added
