"""Polling: claiming due sources, polling each as its own task (recording it: writes.py).

The part of Monitor (service.py) that turns the schedule into polls: poll → new entries →
articles → match → stories → one transaction with the alerts. A slow source holds one slot
of `poll.concurrency`, never the schedule of the others; a poll's failure is its source's.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from monitor.config import Config, Source, format_duration
from monitor.database import Availability
from monitor.freshness import HeldBack, first_poll, hold_back
from monitor.health import Health, Metrics
from monitor.healthwatch import HealthWatch
from monitor.match import Matcher
from monitor.pacing import Paces
from monitor.pipeline import Found, document_for, examine
from monitor.records import Entry, Poll, SourceState
from monitor.sources import Http, dated, fetch_articles, interval_for, next_check, poll
from monitor.store import Store, transient
from monitor.stories import WINDOW, Stories
from monitor.writes import REFILL_GATHER, Writes

log = logging.getLogger("monitor")

JITTER = 0.05  # a poll comes up to 5% early, so sources added together drift apart
TICK_SECONDS = 1.0


@dataclass
class Cycle:
    """What one poll tick did: for logs, `once` and tests. Counts only: the entries that
    matched go to poll_all's `report` as each poll finishes, so a cycle holds none of them
    (40,000 matched entries of 2,000 feeds were ~60 MB kept until the cycle ended)."""

    polled: int = 0
    failed: int = 0
    new_entries: int = 0
    alerts: int = 0
    held: dict[str, HeldBack] = field(default_factory=dict)  # by source: new, not alerted


class Polling(HealthWatch, Writes):
    """Monitor's polling. Polls run as their own tasks, at most `poll.concurrency` at once:
    a tick only claims as many due sources as there are free slots, so a slow source never
    holds up the schedule of the others and nothing is claimed that cannot start at once."""

    store: Store
    clock: Callable[[], datetime]
    config: Config
    sources: dict[str, Source]
    matcher: Matcher
    routes: dict
    metrics: Metrics
    health: Health
    stories: Stories
    _mute_until: dict
    _needs: dict  # (watchlist, rule) -> Corroboration, for the rules that ask for it
    _updates: dict  # channel -> UpdatePolicy, for the channels that get follow-ups
    _surges: dict  # (watchlist, rule) -> its SurgeWatch settings, for the rules with surge:
    _http: Http
    _inflight: dict[str, asyncio.Task]
    _paces: Paces
    _quiet: list[tuple[Poll, datetime, float | None]]
    _claiming: asyncio.Lock
    _slot_free: asyncio.Event
    _last_entry: int

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.settings.lease)

    @property
    def database(self) -> Availability:
        return self.health.database

    deliver: Callable[[], Awaitable[object]]  # Monitor's: sends what a poll queued

    async def renew(self) -> None:
        """Keep this replica's leases alive while it works (a job every third of a lease)."""
        # Only the polls in flight: the rows of finished ones wait in the quiet batch, and
        # renewing them while the batch writes them would lock the same rows in another
        # order (a deadlock on PostgreSQL). The batch is written within a tick.
        quiet = {poll.source for poll, _, _ in self._quiet}
        polling = [name for name in self._inflight if name not in quiet]
        await asyncio.to_thread(self.store.renew, self.clock(), self.lease, polling)

    async def poll_due(self) -> int:
        """Start polls for the due sources there is room for; return how many started."""
        self.health.tick()
        if not self.database.due():  # down, and its next try is not due yet
            return 0
        async with self._claiming:  # the tick and the refill never claim side by side
            await self.flush()
            return await self._claim_and_start()

    async def refill(self, stop: asyncio.Event) -> None:
        """Claim again as soon as polls finish, not at the next tick: a busy replica keeps
        all its slots working, and what it cannot take the other replicas claim."""
        while not stop.is_set():
            await self._slot_free.wait()
            await asyncio.sleep(REFILL_GATHER)  # polls finishing together: one claim
            self._slot_free.clear()
            try:
                await self.poll_due()
            except DBAPIError:
                await asyncio.sleep(TICK_SECONDS)  # the tick job reports the outage
            except Exception:
                log.exception("claiming due sources failed; the tick will try again")

    def _poll_finished(self, name: str) -> None:
        self._inflight.pop(name, None)
        self._slot_free.set()

    async def _claim_and_start(self) -> int:
        settings = self.config.settings.poll
        room = settings.concurrency - len(self._inflight)
        if room <= 0:
            return 0
        claimed = await asyncio.to_thread(self.store.claim_due, self.clock(), self.lease, room)
        started, skipped = 0, []
        for state in claimed:
            source = self.sources.get(state.name)
            if source is None or source.name in self._inflight:
                skipped.append(state.name)
                continue
            task = asyncio.create_task(self._poll_and_deliver(source, state), name=source.name)
            self._inflight[source.name] = task
            task.add_done_callback(lambda _t, name=source.name: self._poll_finished(name))
            started += 1
        if skipped:
            await asyncio.to_thread(self.store.release_sources, skipped)
        return started

    async def drain(self) -> None:
        """Wait for the polls in flight to finish, and record them."""
        while self._inflight:
            await asyncio.wait(list(self._inflight.values()))
        await self.flush()

    async def poll_all(
        self, *, dry_run: bool = False, report: Callable[[Found], None] | None = None
    ) -> Cycle:
        """Poll every source now, due or not (`news-monitor once`); `report` is given each
        entry that matched a rule, on the event loop, as its poll finishes."""
        cycle = Cycle()
        gate = asyncio.Semaphore(self.config.settings.poll.concurrency)
        states = {s.name: s for s in await asyncio.to_thread(self.store.source_states)}

        async def one(source: Source) -> None:
            async with gate:
                try:
                    await self._poll_one(source, states.get(source.name), cycle, dry_run, report)
                except Exception:
                    log.exception("polling %r failed unexpectedly", source.name)
                    cycle.failed += 1

        await asyncio.gather(*(one(s) for s in self.sources.values()))
        await self.flush()
        return cycle

    async def _poll_and_deliver(self, source: Source, state: SourceState) -> None:
        cycle = Cycle()
        try:
            await self._poll_one(source, state, cycle, dry_run=False)
        except DBAPIError as err:
            if not transient(err):
                raise
            # A read before the record failed: nothing was recorded, so the source's lease
            # expires and it is polled again; what it listed is found again then.
            self.database.failed(err)
            return
        except Exception:
            log.exception("polling %r failed unexpectedly; the daemon carries on", source.name)
            retry = self.clock() + timedelta(seconds=self.config.settings.poll.timeout + 60)
            await asyncio.to_thread(self.store.release_sources, [source.name], retry)
            return
        if cycle.alerts:
            try:
                await self.deliver()
            except DBAPIError as err:  # the deliver job tries again
                self.database.failed(err)

    async def _poll_one(
        self,
        source: Source,
        state: SourceState | None,
        cycle: Cycle,
        dry_run: bool,
        report: Callable[[Found], None] | None = None,
    ) -> None:
        """Poll, enrich, match and record one source. `state` is the source's row as it was
        claimed (or read) just before: one read per poll, not one per step."""
        settings = self.config.settings.poll
        started = time.perf_counter()
        outcome = await poll(source, state, http=self._http, settings=settings, now=self.clock())
        self.metrics.poll_seconds.observe(time.perf_counter() - started)
        cycle.polled += 1
        # Most polls bring nothing new (a 304, an unchanged body): they cost no thread hop.
        fresh = await asyncio.to_thread(self._unseen, outcome) if outcome.entries else []
        first, now = first_poll(state), outcome.checked_at

        def apart(
            entries: list[Entry], undated_pass: bool = False
        ) -> tuple[list[Entry], list[Entry], HeldBack]:
            return hold_back(
                entries,
                now,
                first=first,
                alert_window=source.alert_window,
                max_age=source.max_age,
                undated_pass=undated_pass,
            )

        # Old entries are held back before their pages are fetched; undated ones after,
        # since their page may date them.
        fresh, held, counts = apart(fresh, undated_pass=source.fetch_article)
        if fresh and source.fetch_article:
            fresh, problems = await fetch_articles(
                fresh, source=source, http=self._http, settings=settings
            )
            if problems:
                outcome = replace(outcome, problems=outcome.problems + tuple(problems))
            fresh, undated, more = apart(fresh)
            held += undated
            counts.merge(more)
        if counts.total:
            cycle.held.setdefault(source.name, HeldBack()).merge(counts)
        self.metrics.sources.polled(
            source.name,
            "error" if outcome.error else "unchanged" if outcome.not_modified else "ok",
            len(outcome.problems),
        )
        fresh = [dated(e, outcome.checked_at) for e in fresh]
        found = await asyncio.to_thread(self._examine, fresh) if fresh else []
        if report is not None:
            for f in found:
                if f.matches:
                    report(f)
        found += _recorded_only(held, outcome.checked_at)
        if found:
            self.metrics.sources.found(source.name, len(found))
        for f in found:
            for m in f.matches:
                self.metrics.matches.labels(m.watchlist, m.rule).inc()
        if dry_run:
            return
        if found:
            await asyncio.to_thread(self._catch_up_stories, outcome.checked_at)
        stories = [self.stories.assign(f.entry, outcome.checked_at) for f in found]
        errors_before = state.error_count if state else 0
        pace = self._paces.cached(source, state, outcome.checked_at)
        if pace is False:
            pace = await asyncio.to_thread(
                self._paces.count, self.store.published_since, source, state, outcome.checked_at
            )
        wait = next_check(source, outcome, errors_before, settings, pace)
        if outcome.error is None and wait <= interval_for(source, pace):
            wait *= 1 - JITTER * random.random()  # else sources added together stay together
        added = await self._record(
            outcome,
            found,
            stories,
            outcome.checked_at + timedelta(seconds=wait),
            interval_for(source, pace),
        )
        self._paces.add(source, (f.entry for f in found), outcome.checked_at)
        cycle.new_entries += len(found)
        cycle.alerts += added
        self._log_poll(source, outcome, errors_before, wait, len(found), added, counts)
        try:
            await self.check_health(source, state, outcome, bool(found))
        except Exception as err:  # level-triggered: the next poll decides it again
            log.warning("source %r: health not checked: %s", source.name, err)
        if outcome.error:
            cycle.failed += 1

    def _catch_up_stories(self, now: datetime) -> None:
        """Learn the entries other replicas recorded since we last looked, so a story
        one of them saw first is not alerted again here under another key."""
        for ident, story, url, title, seen_at in self.store.entries_after(
            self._last_entry, now - WINDOW
        ):
            self._last_entry = max(self._last_entry, ident)
            self.stories.learn(story, url, title, seen_at)

    def _examine(self, fresh: list[Entry]) -> list[Found]:
        matcher, found = self.matcher, []
        for entry in fresh:
            started = time.perf_counter()
            found.append(examine(entry, matcher))
            self.metrics.match_seconds.observe(time.perf_counter() - started)
        return found

    def _unseen(self, outcome: Poll) -> list[Entry]:
        if not outcome.entries:
            return []
        fresh = self.store.unseen(outcome.source, (e.key for e in outcome.entries))
        return list({e.key: e for e in outcome.entries if e.key in fresh}.values())

    def _log_poll(
        self,
        source: Source,
        outcome: Poll,
        errors_before: int,
        wait: float,
        new: int,
        added: int,
        held: HeldBack,
    ) -> None:
        if outcome.error:
            log.warning(
                "source %r failed (%d in a row): %s; next try in %s",
                source.name,
                errors_before + 1,
                outcome.error,
                format_duration(wait),
            )
            return
        for warning in outcome.warnings:
            log.info("source %r: %s", source.name, warning)
        for problem in outcome.problems:
            log.warning("source %r: %s", source.name, problem)
        if outcome.not_modified:
            log.debug("source %r unchanged", source.name)
        else:
            log.info(
                "source %r: %d entries, %d new, %d alerts queued%s",
                source.name,
                len(outcome.entries),
                new,
                added,
                f" ({held.describe()})" if held.total else "",
            )


def _recorded_only(held: list[Entry], now: datetime) -> list[Found]:
    """Held-back entries as found with no matches: recorded as seen, never alerted nor
    matched. One without a date keeps none (only a first poll holds those back), so the
    store still tells it apart from an entry that was dated when first seen."""
    return [
        Found(e, document_for(e), ())
        for e in (e if e.published is None else dated(e, now) for e in held)
    ]
