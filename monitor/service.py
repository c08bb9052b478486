"""The daemon's core: one configuration running against one store.

Every source's schedule lives in the store (`next_check_at`), not in the scheduler, so a
restart picks up where the last run left off. Several replicas may share one PostgreSQL
database: each keeps its own in-memory scheduler (APScheduler job stores must not be
shared) and claims due sources and outbox rows with leases that it renews while it works
(see `Store`). Polling is in polling.py; the scheduler, signals and reload triggers in
daemon.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from monitor.alerts import Channel, DeliveryError, make_channel
from monitor.alerts.outbox import Delivered, deliver_due, send_digest
from monitor.checks import load_checked
from monitor.config import Config, Source, format_duration
from monitor.health import Health, Metrics
from monitor.match import Matcher
from monitor.pacing import Paces
from monitor.polling import Cycle, Polling
from monitor.records import Alert, Snippet, UpdatePolicy
from monitor.sources import Http
from monitor.store import Store
from monitor.stories import WINDOW, Stories

__all__ = ["Cycle", "Monitor", "utcnow"]

log = logging.getLogger("monitor")
DRAIN_ROUNDS = 200  # `once` sends at most 200 rounds of 500 alerts


def _reuse_sources(config: Config, running: dict[str, Source]) -> Config:
    """The new configuration with the running Source objects where nothing changed. A
    reload then keeps nothing it allocated for 10,000 sources: objects that live on,
    scattered among a load's temporary ones, would keep Python from giving that memory
    back (+20 MB per reload at 10,000 sources, measured)."""
    same = tuple(old if (old := running.get(s.name)) == s else s for s in config.sources)
    return replace(config, sources=same)


def utcnow() -> datetime:
    return datetime.now(UTC)


def build_channels(config: Config, stream: TextIO | None = None) -> dict[str, Channel]:
    """Every configured channel, built as it will send (Apprise parses its URL, templates
    load and render a trial within their bounds); ValueError names the one that fails."""
    return {c.name: make_channel(c.name, c.url, stream=stream, template=c.template)
            for c in config.channels}


def _prepare(path: Path, stream: TextIO | None) -> tuple[Config, Matcher, dict[str, Channel]]:
    """Everything a configuration needs before it may replace the running one: checked as
    `news-monitor check` checks it, rules compiled, channels built."""
    config = load_checked(path)
    return config, config.matcher, build_channels(config, stream)


def refusal(err: BaseException, path: Path) -> list[str]:
    """What to tell the operator about a configuration that cannot be used: its located
    problems, else one line naming the file and what went wrong."""
    problems = [str(p) for p in getattr(err, "problems", ())]
    if problems:
        return problems
    detail = str(err).strip().splitlines()
    return [f"{path}: {type(err).__name__}: {detail[0] if detail else 'no detail'}"[:500]]


class Monitor(Polling):
    """One configuration running against one store: polling (see Polling), delivery,
    retention, and switching to an edited configuration."""

    def __init__(self, config: Config, store: Store, *, stream: TextIO | None = None,
                 clock: Callable[[], datetime] = utcnow, health: Health | None = None,
                 metrics: Metrics | None = None):
        self.store = store
        self.clock = clock
        self._stream = stream
        self.metrics = metrics or Metrics()
        self.health = health or Health()
        self.scheduler = None  # the AsyncIOScheduler, while daemon.run_forever runs
        self._sync_sources(config)
        self._apply(config, config.matcher, build_channels(config, stream))
        self._http = Http.open(config.settings.poll)
        self._open_writer()
        self._inflight: dict[str, asyncio.Task] = {}
        self._paces = Paces()  # derived, cached: see pacing.py
        self._gaps = {}  # derived, cached: see HealthWatch._usual_gap
        self._quiet = []  # see Polling._record
        self._unsynced = False  # a reload could not write its sources yet
        self._deliver_lock = asyncio.Lock()
        self._claiming = asyncio.Lock()
        self._slot_free = asyncio.Event()
        self._deliver_again = False
        now = self.clock()
        self.stories = Stories()
        self._last_entry = store.last_entry_id()
        self.stories.load((e.story, e.url, e.title, e.seen_at)
                          for e in store.entries_since(now - WINDOW))

    def _apply(self, config: Config, matcher: Matcher, channels: Mapping[str, Channel]) -> None:
        """Switch to a configuration in one step. Runs on the event loop's thread with no
        await inside, so the next poll and the next delivery see all of it, none of them a
        mix. Poll limits (concurrency, per host, client settings) keep the values the daemon
        started with."""
        mutes = {(r.watchlist, r.name): r.mute_until for r in config.rules
                 if r.mute_until is not None}
        self.config, self.matcher, self.channels = config, matcher, dict(channels)
        self.sources = {s.name: s for s in config.sources}
        self.routes = {c.name: c for c in config.channels}
        self._mute_until = mutes
        self._needs = {(r.watchlist, r.name): r.corroboration for r in config.rules
                       if r.corroboration is not None}
        self._surges = {(r.watchlist, r.name): r.surges for r in config.rules if r.surges}
        self._updates = {c.name: UpdatePolicy(c.max_updates, c.update_interval,
                                              c.update_outlets)
                         for c in config.channels if c.max_updates > 0}

    def _sync_sources(self, config: Config) -> None:
        self.store.sync_sources(((s.name, s.kind, s.location) for s in config.sources),
                                self.clock())

    async def reload(self) -> bool:
        """Load the configuration again; keep the running one when the new one cannot be
        used, whatever the reason, saying why (log, health, metrics, and the `admin`
        channel if there is one)."""
        path = self.config.path
        try:
            config, matcher, channels = await asyncio.to_thread(_prepare, path, self._stream)
        except Exception as err:  # bad config, or anything loading it raised: refuse it
            await self._refuse(refusal(err, path))
            return False
        config = _reuse_sources(config, self.sources)
        self._apply(config, matcher, channels)  # first: a new source claimed before would
        self._unsynced = True                   # be skipped
        await self.sync_if_needed()
        self.health.config_error = None
        self.metrics.reload_ok.set(1)
        self.metrics.reloads.labels("applied").inc()
        log.info("configuration reloaded: %d sources, %d rules, %d channels",
                 len(self.sources), matcher.rule_count, len(self.channels))
        return True

    async def sync_if_needed(self) -> None:
        """Give the store the sources of the running configuration, once after a reload;
        a database outage leaves it for the next tick."""
        if not self._unsynced:
            return
        await asyncio.to_thread(self._sync_sources, self.config)
        self._unsynced = False

    async def poll_due(self) -> int:
        if self.database.due():
            await self.sync_if_needed()
        return await super().poll_due()

    async def _refuse(self, problems: list[str]) -> None:
        for problem in problems:
            log.error("config reload refused: %s", problem)
        log.error("keeping the running configuration (%d rules)", self.matcher.rule_count)
        self.health.config_error = problems[0]
        self.metrics.reload_ok.set(0)
        self.metrics.reloads.labels("refused").inc()
        await self._tell_admin(problems)

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
        except Exception:
            log.exception("could not tell the admin channel")

    def refresh_gauges(self) -> None:
        pending, oldest = self.store.outbox_stats()
        self.metrics.pending.set(pending)
        self.metrics.oldest.set((self.clock() - oldest).total_seconds() if oldest else 0)

    async def aclose(self) -> None:
        """Cancel polls still running (they are simply redone later), give back this
        replica's leases so others need not wait for them to expire, close the clients."""
        for task in self._inflight.values():
            task.cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=1)
        try:
            await self.flush()
            await asyncio.to_thread(self.store.release_all)
        except Exception as err:  # the database is down: the leases simply expire
            log.warning("could not record the last polls or give back leases: %s", err)
        self._close_writer()
        await self._http.aclose()

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

    async def drain_outbox(self, rounds: int = DRAIN_ROUNDS) -> Delivered:
        """Send everything due, round after round (a round claims at most 500 alerts):
        `once` must not leave alerts behind. A round that moves nothing ends it (what is
        left waits for a retry or a digest), and so does the bound on rounds, against a
        runaway (a channel that keeps failing one alert a round)."""
        total = Delivered()
        for _ in range(rounds):
            done = await self.deliver(flush=True)
            total += done
            if not (done.sent or done.retried or done.failed or done.held):
                break
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
        await asyncio.to_thread(self.store.prune_health,
                                now - timedelta(seconds=settings.keep_entries))
        if forgotten:
            log.info("forgot %d entries older than %s", forgotten,
                     format_duration(settings.keep_entries))
