"""The daemon: a scheduler drives poll ticks and outbox deliveries; signals stop it cleanly.

Every source's schedule lives in the store (`next_check_at`), not in the scheduler, so a
restart picks up where the last run left off and several replicas could share the work.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.alerts import Channel, make_channel
from monitor.alerts.outbox import Delivered, deliver_due, send_digest
from monitor.alerts.route import route
from monitor.config import Config, Source, cron_trigger, format_duration
from monitor.match import Matcher
from monitor.pipeline import Found, examine, seen_record
from monitor.records import Entry, Match, Poll, SourceState
from monitor.sources import (
    HostGate,
    Pace,
    dated,
    fetch_articles,
    interval_for,
    make_client,
    next_check,
    poll,
)
from monitor.sources.schedule import WEEK
from monitor.store import Store
from monitor.stories import WINDOW, Stories

log = logging.getLogger("monitor")

TICK_SECONDS = 1.0
QUIET_BATCH = 64
STOP_GRACE_SECONDS = 5.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Cycle:
    """What one poll tick did: for logs, `once` and tests."""

    polled: int = 0
    failed: int = 0
    new_entries: int = 0
    alerts: int = 0
    found: list[Found] = field(default_factory=list)


class Monitor:
    """One configuration running against one store.

    Polls run as their own tasks, at most `poll.concurrency` at once: a tick only claims as
    many due sources as there are free slots, so a slow source never holds up the schedule of
    the others and nothing is claimed that cannot start at once.
    """

    def __init__(self, config: Config, store: Store, *, stream: TextIO | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.config = config
        self.store = store
        self.clock = clock
        self.matcher = Matcher.compile(config.rules)
        self.sources = {s.name: s for s in config.sources}
        self.channels: dict[str, Channel] = {
            c.name: make_channel(c.name, c.url, stream=stream, template=c.template)
            for c in config.channels}
        self.routes = {c.name: c for c in config.channels}
        self._mute_until = {(r.watchlist, r.name): r.mute_until for r in config.rules
                            if r.mute_until is not None}
        settings = config.settings.poll
        self._client = make_client(timeout=settings.timeout, user_agent=settings.user_agent,
                                   concurrency=settings.concurrency)
        self._gate = HostGate(settings.per_host)
        self._inflight: dict[str, asyncio.Task] = {}
        self._paces: dict[str, tuple[datetime, Pace]] = {}  # derived, cached: see _pace
        self._quiet: list[tuple[Poll, datetime, float | None]] = []  # see _record
        self._deliver_lock = asyncio.Lock()
        self._deliver_again = False
        now = self.clock()
        store.sync_sources(((s.name, s.kind, s.location) for s in config.sources), now)
        self.stories = Stories()
        self.stories.load((e.story, e.url, e.title, e.seen_at)
                          for e in store.entries_since(now - WINDOW))

    async def aclose(self) -> None:
        """Cancel polls still running (they are simply redone later) and close the client."""
        for task in self._inflight.values():
            task.cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=2)
        await self.flush()
        await self._client.aclose()

    async def flush(self) -> None:
        """Write the batched records of polls that brought nothing new."""
        batch, self._quiet = self._quiet, []
        if batch:
            await asyncio.to_thread(self.store.record_quiet_polls, batch)

    # -- polling -------------------------------------------------------------------------

    async def poll_due(self) -> int:
        """Start polls for the due sources there is room for; return how many started."""
        await self.flush()
        settings = self.config.settings.poll
        room = settings.concurrency - len(self._inflight)
        if room <= 0:
            return 0
        hold = timedelta(seconds=settings.timeout + 60)
        claimed = await asyncio.to_thread(self.store.claim_due, self.clock(), hold, room)
        started = 0
        for state in claimed:
            source = self.sources.get(state.name)
            if source is None or source.name in self._inflight:
                continue
            task = asyncio.create_task(self._poll_and_deliver(source, state),
                                       name=source.name)
            self._inflight[source.name] = task
            task.add_done_callback(lambda _t, name=source.name: self._inflight.pop(name, None))
            started += 1
        return started

    async def drain(self) -> None:
        """Wait for the polls in flight to finish, and record them."""
        while self._inflight:
            await asyncio.wait(list(self._inflight.values()))
        await self.flush()

    async def poll_all(self, *, dry_run: bool = False) -> Cycle:
        """Poll every source now, due or not (`news-monitor once`)."""
        cycle = Cycle()
        gate = asyncio.Semaphore(self.config.settings.poll.concurrency)
        states = {s.name: s for s in await asyncio.to_thread(self.store.source_states)}

        async def one(source: Source) -> None:
            async with gate:
                try:
                    await self._poll_one(source, states.get(source.name), cycle, dry_run)
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
        except Exception:
            log.exception("polling %r failed unexpectedly; the daemon carries on", source.name)
            return
        if cycle.alerts:
            await self.deliver()

    async def _poll_one(self, source: Source, state: SourceState | None, cycle: Cycle,
                        dry_run: bool) -> None:
        """Poll, enrich, match and record one source. `state` is the source's row as it was
        claimed (or read) just before: one read per poll, not one per step."""
        settings = self.config.settings.poll
        outcome = await poll(source, state, client=self._client, settings=settings,
                             now=self.clock(), gate=self._gate)
        cycle.polled += 1
        fresh = await asyncio.to_thread(self._unseen, outcome)
        if fresh and source.fetch_article:
            fresh = await fetch_articles(fresh, client=self._client, settings=settings,
                                         gate=self._gate)
        fresh = [dated(e, outcome.checked_at) for e in fresh]
        found = await asyncio.to_thread(lambda: [examine(e, self.matcher) for e in fresh])
        cycle.found.extend(f for f in found if f.matches)
        if dry_run:
            return
        stories = [self.stories.assign(f.entry, outcome.checked_at) for f in found]
        errors_before = state.error_count if state else 0
        pace = await asyncio.to_thread(self._pace, source, state, bool(found),
                                       outcome.checked_at)
        wait = next_check(source, outcome, errors_before, settings, pace)
        added = await self._record(outcome, found, stories,
                                   outcome.checked_at + timedelta(seconds=wait),
                                   interval_for(source, pace))
        cycle.new_entries += len(found)
        cycle.alerts += added
        self._log_poll(source, outcome, errors_before, wait, len(found), added)
        if outcome.error:
            cycle.failed += 1

    async def _record(self, outcome: Poll, found: list[Found], stories: list[str],
                      next_check_at: datetime, interval: float) -> int:
        """Record a poll. New entries and their alerts go in at once, in one transaction;
        polls that brought nothing are batched (flushed every tick, or every 64)."""
        if found:
            now = outcome.checked_at

            def routed(match: Match) -> tuple[str, ...]:
                return route(match, self.routes, self._mute_until, now)

            records = [seen_record(f, story, routed)
                       for f, story in zip(found, stories, strict=True)]
            return await asyncio.to_thread(self.store.record_poll, outcome, records,
                                           next_check_at, interval)
        self._quiet.append((outcome, next_check_at, interval))
        if len(self._quiet) >= QUIET_BATCH:
            await self.flush()
        return 0

    def _unseen(self, outcome: Poll) -> list[Entry]:
        if not outcome.entries:
            return []
        fresh = self.store.unseen(outcome.source, (e.key for e in outcome.entries))
        return list({e.key: e for e in outcome.entries if e.key in fresh}.values())

    def _pace(self, source: Source, state: SourceState | None, news: bool,
              now: datetime) -> Pace | None:
        """How much the source published over the last week (or since we know it).

        Counted again when the source brought something new, and otherwise at most once
        an hour (a quiet source's pace only drifts): most polls bring nothing new, and
        they should cost no query.
        """
        if source.fixed or state is None or state.created_at is None:
            return None
        known = self._paces.get(source.name)
        if known and not news and (now - known[0]).total_seconds() < 3600:
            return known[1]
        window = min(WEEK, (now - state.created_at).total_seconds())
        since = now - timedelta(seconds=window)
        pace = Pace(self.store.published_since(source.name, since, now), window)
        self._paces[source.name] = (now, pace)
        return pace

    def _log_poll(self, source: Source, outcome: Poll, errors_before: int, wait: float,
                  new: int, added: int) -> None:
        if outcome.error:
            log.warning("source %r failed (%d in a row): %s; next try in %s", source.name,
                        errors_before + 1, outcome.error, format_duration(wait))
            return
        for warning in outcome.warnings:
            log.info("source %r: %s", source.name, warning)
        if outcome.not_modified:
            log.debug("source %r unchanged", source.name)
        else:
            log.info("source %r: %d entries, %d new, %d alerts queued", source.name,
                     len(outcome.entries), new, added)

    # -- delivery ------------------------------------------------------------------------

    async def deliver(self, *, flush: bool = False) -> Delivered:
        """Send what is due. A call made while a delivery runs makes that one go round
        again instead of waiting, so bursts of new alerts never queue up deliveries.
        `flush` sends gathering bursts without waiting for their group_wait."""
        self._deliver_again = True
        if self._deliver_lock.locked():
            return Delivered()
        total = Delivered()
        async with self._deliver_lock:
            while self._deliver_again:
                self._deliver_again = False
                total += await deliver_due(self.store, self.channels,
                                           self.config.settings.delivery, self.clock,
                                           self.routes, flush=flush)
        return total

    async def send_digest(self, channel: str) -> Delivered:
        """Send a channel's digest now (its cron job calls this)."""
        async with self._deliver_lock:
            await deliver_due(self.store, self.channels, self.config.settings.delivery,
                              self.clock, self.routes)  # move what waits into the digest
            return await send_digest(self.store, self.channels[channel],
                                     self.config.settings.delivery, self.clock)

    async def prune(self) -> None:
        cutoff = self.clock() - timedelta(seconds=self.config.settings.keep_text)
        pruned = await asyncio.to_thread(self.store.prune_text, cutoff)
        if pruned:
            log.info("dropped the stored text of %d entries older than %s", pruned,
                     format_duration(self.config.settings.keep_text))


async def run_forever(monitor: Monitor, stop: asyncio.Event) -> None:
    """Run the scheduler until `stop` is set; in-flight work gets a short grace, then is
    cancelled (anything cancelled is simply redone after the restart)."""
    running: set[asyncio.Task] = set()

    def tracked(job: Callable):
        async def wrapper() -> None:
            task = asyncio.current_task()
            running.add(task)
            try:
                await job()
            except Exception:
                log.exception("%s failed; the daemon carries on", job.__name__)
            finally:
                running.discard(task)
        wrapper.__name__ = job.__name__
        return wrapper

    now = utcnow()
    scheduler = AsyncIOScheduler(timezone=UTC)
    options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    scheduler.add_job(tracked(monitor.poll_due), "interval", seconds=TICK_SECONDS,
                      next_run_time=now, id="poll", **options)
    scheduler.add_job(tracked(monitor.deliver), "interval",
                      seconds=monitor.config.settings.delivery.check_every,
                      next_run_time=now, id="deliver", **options)
    scheduler.add_job(tracked(monitor.prune), "interval", hours=1, next_run_time=now,
                      id="prune", **options)
    for channel in monitor.config.channels:
        if channel.digest_cron:
            async def digest(name: str = channel.name) -> None:
                await monitor.send_digest(name)
            digest.__name__ = f"digest of {channel.name}"
            scheduler.add_job(tracked(digest), cron_trigger(channel.digest_cron,
                                                            channel.timezone),
                              id=f"digest:{channel.name}", **options)
    scheduler.start()
    log.info("news-monitor running: %d sources, %d rules, %d channels",
             len(monitor.sources), monitor.matcher.rule_count, len(monitor.channels))
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        if running:
            _, pending = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        await monitor.aclose()
        log.info("news-monitor stopped")


def install_signal_handlers(stop: asyncio.Event) -> None:
    """First SIGINT/SIGTERM: stop cleanly. Second: leave at once."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            sys.exit(1)
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
