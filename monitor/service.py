"""The daemon: a scheduler drives poll ticks and outbox deliveries; signals stop it cleanly.

Every source's schedule lives in the store (`next_check_at`), not in the scheduler, so a
restart picks up where the last run left off. Several replicas may share one PostgreSQL
database: each keeps its own in-memory scheduler (APScheduler job stores must not be
shared) and claims due sources and outbox rows with leases that it renews while it works
(see `Store`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy.exc import DBAPIError
from watchfiles import awatch

from monitor.alerts import DeliveryError, make_channel
from monitor.alerts.outbox import Delivered, deliver_due, send_digest
from monitor.alerts.route import route
from monitor.config import Config, ConfigError, Source, cron_trigger, format_duration, load_config
from monitor.health import Health, Metrics, serve
from monitor.match import Matcher, QueryError
from monitor.pipeline import Found, examine, seen_record
from monitor.records import Alert, Entry, Match, Poll, Snippet, SourceState
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
JITTER = 0.05  # a poll comes up to 5% early, so sources added together drift apart
REFILL_GATHER = 0.05  # seconds a refill waits so polls ending together share one claim
QUIET_BATCH = 64
STOP_GRACE_SECONDS = 5.0


def _reuse_sources(config: Config, running: dict[str, Source]) -> Config:
    """The new configuration with the running Source objects where nothing changed. A
    reload then keeps nothing it allocated for 10,000 sources: objects that live on,
    scattered among a load's temporary ones, would keep Python from giving that memory
    back (+20 MB per reload at 10,000 sources, measured)."""
    same = tuple(old if (old := running.get(s.name)) == s else s for s in config.sources)
    return replace(config, sources=same)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _outage(err: DBAPIError) -> str:
    """The driver's first line on a database outage, for a one-line log."""
    return (str(err.orig or err).strip().splitlines() or [type(err).__name__])[0]


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
        self.store = store
        self.clock = clock
        self._stream = stream
        self.metrics = Metrics()
        self.health = Health()
        self.scheduler: AsyncIOScheduler | None = None  # set while run_forever runs
        self._sync_sources(config)
        self._apply(config, Matcher.compile(config.rules))
        settings = config.settings.poll
        self._client = make_client(timeout=settings.timeout, user_agent=settings.user_agent,
                                   concurrency=settings.concurrency)
        self._gate = HostGate(settings.per_host)
        self._inflight: dict[str, asyncio.Task] = {}
        self._paces: dict[str, tuple[datetime, Pace]] = {}  # derived, cached: see _pace
        self._quiet: list[tuple[Poll, datetime, float | None]] = []  # see _record
        self._deliver_lock = asyncio.Lock()
        self._claiming = asyncio.Lock()
        self._slot_free = asyncio.Event()
        self._deliver_again = False
        now = self.clock()
        self.stories = Stories()
        self._last_entry = store.last_entry_id()
        self.stories.load((e.story, e.url, e.title, e.seen_at)
                          for e in store.entries_since(now - WINDOW))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.settings.lease)

    def _apply(self, config: Config, matcher: Matcher) -> None:
        """Switch to a configuration in one step. Runs on the event loop's thread with no
        await inside, so the next poll and the next delivery see all of it, none of them a
        mix. Poll limits (concurrency, per host, client settings) keep the values the daemon
        started with."""
        channels = {c.name: make_channel(c.name, c.url, stream=self._stream,
                                         template=c.template) for c in config.channels}
        mutes = {(r.watchlist, r.name): r.mute_until for r in config.rules
                 if r.mute_until is not None}
        self.config, self.matcher, self.channels = config, matcher, channels
        self.sources = {s.name: s for s in config.sources}
        self.routes = {c.name: c for c in config.channels}
        self._mute_until = mutes

    def _sync_sources(self, config: Config) -> None:
        self.store.sync_sources(((s.name, s.kind, s.location) for s in config.sources),
                                self.clock())

    async def reload(self) -> bool:
        """Load the configuration again; keep the running one when the new one is invalid,
        saying why (log, health, metrics, and the `admin` channel if there is one)."""
        path = self.config.path
        try:
            config = await asyncio.to_thread(load_config, path)
            matcher = await asyncio.to_thread(Matcher.compile, config.rules)
        except (ConfigError, QueryError, ValueError) as err:
            problems = [str(p) for p in getattr(err, "problems", ())] or [f"{path}: {err}"]
            for problem in problems:
                log.error("config reload refused: %s", problem)
            log.error("keeping the running configuration (%d rules)", self.matcher.rule_count)
            self.health.config_error = problems[0]
            self.metrics.reload_ok.set(0)
            self.metrics.reloads.labels("refused").inc()
            await self._tell_admin(problems)
            return False
        config = _reuse_sources(config, self.sources)
        self._apply(config, matcher)  # first: a new source claimed before would be skipped
        await asyncio.to_thread(self._sync_sources, config)
        self.health.config_error = None
        self.metrics.reload_ok.set(1)
        self.metrics.reloads.labels("applied").inc()
        log.info("configuration reloaded: %d sources, %d rules, %d channels",
                 len(self.sources), matcher.rule_count, len(self.channels))
        return True

    async def _tell_admin(self, problems: list[str]) -> None:
        admin = self.channels.get("admin")
        if admin is None:
            return
        alert = Alert(watchlist="news-monitor", rule="config reload refused", priority="high",
                      title=f"Config reload refused: {problems[0]}"[:300], url="",
                      source="news-monitor", published=self.clock(),
                      snippet=Snippet(" · ".join(problems)[:1000]), terms=())
        try:
            await admin.send(alert)
        except DeliveryError as err:
            log.warning("could not tell the admin channel: %s", err)

    def refresh_gauges(self) -> None:
        pending, oldest = self.store.outbox_stats()
        self.metrics.pending.set(pending)
        self.metrics.oldest.set((self.clock() - oldest).total_seconds() if oldest else 0)

    async def aclose(self) -> None:
        """Cancel polls still running (they are simply redone later), give back this
        replica's leases so others need not wait for them to expire, close the client."""
        for task in self._inflight.values():
            task.cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=2)
        await self.flush()
        try:
            await asyncio.to_thread(self.store.release_all)
        except Exception as err:  # the database is down: the leases simply expire
            log.warning("could not give back leases: %s", err)
        await self._client.aclose()

    async def renew(self) -> None:
        """Keep this replica's leases alive while it works (a job every third of a lease)."""
        # Only the polls in flight: the rows of finished ones wait in the quiet batch, and
        # renewing them while the batch writes them would lock the same rows in another
        # order (a deadlock on PostgreSQL). The batch is written within a tick.
        quiet = {poll.source for poll, _, _ in self._quiet}
        polling = [name for name in self._inflight if name not in quiet]
        await asyncio.to_thread(self.store.renew, self.clock(), self.lease, polling)

    async def flush(self) -> None:
        """Write the batched records of polls that brought nothing new."""
        batch, self._quiet = self._quiet, []
        if batch:
            await asyncio.to_thread(self.store.record_quiet_polls, batch)

    # -- polling -------------------------------------------------------------------------

    async def poll_due(self) -> int:
        """Start polls for the due sources there is room for; return how many started."""
        self.health.tick()
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
        claimed = await asyncio.to_thread(self.store.claim_due, self.clock(), self.lease,
                                          room)
        started, skipped = 0, []
        for state in claimed:
            source = self.sources.get(state.name)
            if source is None or source.name in self._inflight:
                skipped.append(state.name)
                continue
            task = asyncio.create_task(self._poll_and_deliver(source, state),
                                       name=source.name)
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
        except DBAPIError as err:  # not recorded: the lease expires and it is polled again
            log.warning("poll of %r not recorded: state database unavailable (%s)",
                        source.name, _outage(err))
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
                log.warning("delivery put off: state database unavailable (%s)",
                            _outage(err))

    async def _poll_one(self, source: Source, state: SourceState | None, cycle: Cycle,
                        dry_run: bool) -> None:
        """Poll, enrich, match and record one source. `state` is the source's row as it was
        claimed (or read) just before: one read per poll, not one per step."""
        settings = self.config.settings.poll
        started = time.perf_counter()
        outcome = await poll(source, state, client=self._client, settings=settings,
                             now=self.clock(), gate=self._gate)
        self.metrics.poll_seconds.observe(time.perf_counter() - started)
        self.metrics.sources.polled(source.name, "error" if outcome.error else
                                    "unchanged" if outcome.not_modified else "ok")
        cycle.polled += 1
        # Most polls bring nothing new (a 304, an unchanged body): they cost no thread hop.
        fresh = await asyncio.to_thread(self._unseen, outcome) if outcome.entries else []
        if fresh and source.fetch_article:
            fresh = await fetch_articles(fresh, client=self._client, settings=settings,
                                         gate=self._gate)
        fresh = [dated(e, outcome.checked_at) for e in fresh]
        found = await asyncio.to_thread(self._examine, fresh) if fresh else []
        cycle.found.extend(f for f in found if f.matches)
        if fresh:
            self.metrics.sources.found(source.name, len(fresh))
        for f in found:
            for m in f.matches:
                self.metrics.matches.labels(m.watchlist, m.rule).inc()
        if dry_run:
            return
        if found:
            await asyncio.to_thread(self._catch_up_stories, outcome.checked_at)
        stories = [self.stories.assign(f.entry, outcome.checked_at) for f in found]
        errors_before = state.error_count if state else 0
        pace = self._known_pace(source, state, bool(found), outcome.checked_at)
        if pace is False:
            pace = await asyncio.to_thread(self._pace, source, state, outcome.checked_at)
        wait = next_check(source, outcome, errors_before, settings, pace)
        if outcome.error is None and wait <= interval_for(source, pace):
            wait *= 1 - JITTER * random.random()  # else sources added together stay together
        added = await self._record(outcome, found, stories,
                                   outcome.checked_at + timedelta(seconds=wait),
                                   interval_for(source, pace))
        cycle.new_entries += len(found)
        cycle.alerts += added
        self._log_poll(source, outcome, errors_before, wait, len(found), added)
        if outcome.error:
            cycle.failed += 1

    def _catch_up_stories(self, now: datetime) -> None:
        """Learn the entries other replicas recorded since we last looked, so a story
        one of them saw first is not alerted again here under another key."""
        for ident, story, url, title, seen_at in self.store.entries_after(self._last_entry,
                                                                         now - WINDOW):
            self._last_entry = max(self._last_entry, ident)
            self.stories.learn(story, url, title, seen_at)

    def _examine(self, fresh: list[Entry]) -> list[Found]:
        matcher, found = self.matcher, []
        for entry in fresh:
            started = time.perf_counter()
            found.append(examine(entry, matcher))
            self.metrics.match_seconds.observe(time.perf_counter() - started)
        return found

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

    def _known_pace(self, source: Source, state: SourceState | None, news: bool,
                    now: datetime) -> Pace | None | bool:
        """The pace without a query when it can be had so, else False.

        How much the source published over the last week (or since we know it) is counted
        again when the source brought something new, and otherwise at most once an hour (a
        quiet source's pace only drifts): most polls bring nothing new, and they should
        cost no query.
        """
        if source.fixed or state is None or state.created_at is None:
            return None
        known = self._paces.get(source.name)
        if known and not news and (now - known[0]).total_seconds() < 3600:
            return known[1]
        return False

    def _pace(self, source: Source, state: SourceState, now: datetime) -> Pace:
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
                                           self.routes, flush=flush, lease=self.lease)
        self._count(total)
        return total

    def _count(self, done: Delivered) -> None:
        for state in ("sent", "retried", "failed", "held"):
            if getattr(done, state):
                self.metrics.alerts.labels(state).inc(getattr(done, state))

    async def send_digest(self, channel: str) -> Delivered:
        """Send a channel's digest now (its cron job calls this)."""
        async with self._deliver_lock:
            await deliver_due(self.store, self.channels, self.config.settings.delivery,
                              self.clock, self.routes,  # move what waits into the digest
                              lease=self.lease)
            done = await send_digest(self.store, self.channels[channel],
                                     self.config.settings.delivery, self.clock, self.lease)
        self._count(done)
        return done

    async def prune(self) -> None:
        """Retention: drop old article text, then old entries and finished alerts."""
        settings, now = self.config.settings, self.clock()
        pruned = await asyncio.to_thread(self.store.prune_text,
                                         now - timedelta(seconds=settings.keep_text))
        if pruned:
            log.info("dropped the stored text of %d entries older than %s", pruned,
                     format_duration(settings.keep_text))
        forgotten = await asyncio.to_thread(self.store.prune_entries,
                                            now - timedelta(seconds=settings.keep_entries))
        if forgotten:
            log.info("forgot %d entries older than %s", forgotten,
                     format_duration(settings.keep_entries))


async def run_forever(monitor: Monitor, stop: asyncio.Event,
                      reload: asyncio.Event | None = None) -> None:
    """Run the scheduler until `stop` is set; in-flight work gets a short grace, then is
    cancelled (anything cancelled is simply redone after the restart). Setting `reload`
    (SIGHUP does) or editing a config file reloads the configuration."""
    running: set[asyncio.Task] = set()
    reload = reload or asyncio.Event()

    def tracked(job: Callable):
        async def wrapper() -> None:
            task = asyncio.current_task()
            running.add(task)
            try:
                await job()
            except DBAPIError as err:  # a database restart or outage: said once a line
                log.warning("%s: state database unavailable (%s); retrying",
                            job.__name__, _outage(err))
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
    scheduler.add_job(tracked(monitor.renew), "interval",
                      seconds=monitor.config.settings.lease / 3, id="renew", **options)
    for channel in monitor.config.channels:
        if channel.digest_cron:
            async def digest(name: str = channel.name) -> None:
                await monitor.send_digest(name)
            digest.__name__ = f"digest of {channel.name}"
            scheduler.add_job(tracked(digest), cron_trigger(channel.digest_cron,
                                                            channel.timezone),
                              id=f"digest:{channel.name}", **options)
    scheduler.start()
    monitor.scheduler = scheduler
    monitor.health.running = lambda: scheduler.state == STATE_RUNNING
    server = await _health_server(monitor)
    helpers = [asyncio.create_task(monitor.refill(stop)),
               asyncio.create_task(_reloader(monitor, reload, stop)),
               asyncio.create_task(_watch_config(monitor, reload, stop))]
    log.info("news-monitor running: %d sources, %d rules, %d channels",
             len(monitor.sources), monitor.matcher.rule_count, len(monitor.channels))
    try:
        await stop.wait()
    finally:
        for task in helpers:
            task.cancel()
        if server is not None:
            server.close()
        scheduler.shutdown(wait=False)
        if running:
            _, pending = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        await monitor.aclose()
        log.info("news-monitor stopped")


async def _health_server(monitor: Monitor) -> asyncio.Server | None:
    settings = monitor.config.settings.health
    if not settings.enabled:
        return None
    try:
        return await serve(settings.listen, monitor.health, monitor.metrics,
                           monitor.refresh_gauges)
    except OSError as err:
        log.error("health endpoint not started on %s: %s", settings.listen, err)
        return None


async def _reloader(monitor: Monitor, reload: asyncio.Event, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await reload.wait()
        reload.clear()
        await monitor.reload()


def _config_files(path: str, _change: object = None) -> bool:
    return path.endswith((".yaml", ".yml", ".j2", ".jinja"))


async def _watch_config(monitor: Monitor, reload: asyncio.Event, stop: asyncio.Event) -> None:
    """Reload when a config, watchlist, catalog or template file changes under the config's
    folder (state files are ignored)."""
    folder = monitor.config.path.resolve().parent
    try:
        async for _ in awatch(folder, watch_filter=lambda c, p: _config_files(p),
                              stop_event=stop, debounce=300, step=50, recursive=True):
            reload.set()
    except (OSError, RuntimeError) as err:
        log.warning("not watching %s for edits (%s); SIGHUP still reloads", folder, err)


def install_signal_handlers(stop: asyncio.Event, reload: asyncio.Event | None = None) -> None:
    """First SIGINT/SIGTERM: stop cleanly. Second: leave at once. SIGHUP: reload."""
    loop = asyncio.get_running_loop()
    if reload is not None:
        loop.add_signal_handler(signal.SIGHUP, reload.set)

    def on_signal(signum: int) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            sys.exit(1)
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
