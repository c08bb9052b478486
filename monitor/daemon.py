"""The daemon around a Monitor: waiting for the state database, the scheduler's jobs, reload
on SIGHUP or on a file edit, the health listener, and stopping.

The health listener starts first, then the daemon opens its database, waiting for it as
long as it does not answer (database.py): /healthz says alive and /readyz says why it is not
ready meanwhile. A database that answers but cannot be used (a bad URL, a file that is not
ours) ends the start with its message, as `once` would.

Stop means stop. The first SIGINT/SIGTERM asks the jobs to finish (STOP_GRACE_SECONDS),
cancels what remains (it is simply redone after the restart: nothing is marked done
before it is committed), records and gives back what it can, and exits. Work that Python
cannot interrupt — a parse in a worker thread, a channel's blocking send — does not hold the
process: `exit_now` leaves without joining worker threads, and a watchdog thread ends the
process STOP_DEADLINE seconds after the signal whatever the event loop is doing. A second
signal exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy.exc import DBAPIError
from watchfiles import awatch

from monitor.alertfeed import AlertFeeds, Running, open_feeds_note
from monitor.config import Config, HealthSettings, cron_trigger
from monitor.health import Health, Metrics, serve
from monitor.polling import TICK_SECONDS
from monitor.service import Monitor
from monitor.store import Store, StoreError, transient

__all__ = ["run_daemon", "run_forever", "install_signal_handlers", "exit_now",
           "STOP_DEADLINE"]

log = logging.getLogger("monitor")

STOP_GRACE_SECONDS = 5.0  # for jobs in flight to finish after a stop signal
STOP_DEADLINE = 9.0  # seconds from the first stop signal to the process's end, at the latest


def utcnow() -> datetime:
    return datetime.now(UTC)


async def run_daemon(config: Config, stop: asyncio.Event, reload: asyncio.Event,
                     stream: TextIO | None = None) -> None:
    """`news-monitor run`: the health listener, the database once it answers, then the
    Monitor until `stop`. Raises StoreError for a database that cannot be used."""
    health, metrics = Health(), Metrics()
    running: list[Monitor] = []  # the Monitor, once there is one: its gauges for /metrics

    def refresh() -> None:
        if running:
            running[0].refresh_gauges()

    def now_running() -> tuple[Config, Store | None]:
        return (running[0].config, running[0].store) if running else (config, None)

    server = await _health_server(config.settings.health, health, metrics, refresh,
                                  now_running)
    try:
        monitor = await _when_database_answers(config, health, metrics, stop, stream)
        if monitor is None:
            return  # stopped while waiting
        running.append(monitor)
        _greet(monitor.store)
        await _run_jobs(monitor, stop, reload)
    finally:
        if server is not None:
            server.close()


async def _when_database_answers(config: Config, health: Health, metrics: Metrics,
                                 stop: asyncio.Event, stream: TextIO | None) -> Monitor | None:
    """Open the store and build the Monitor (which reads its state), trying again while the
    database does not answer; None if `stop` came first."""

    def start() -> Monitor:
        store = Store.open(config.state_url)
        try:
            return Monitor(config, store, stream=stream, health=health, metrics=metrics)
        except BaseException:
            store.close()
            raise

    health.waiting = True
    try:
        while not stop.is_set():
            attempt = asyncio.ensure_future(asyncio.to_thread(start))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({attempt, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not attempt.done():
                return None  # stop came during a try: the process is about to end anyway
            try:
                monitor = attempt.result()
            except (StoreError, DBAPIError) as err:
                if not (err.unreachable if isinstance(err, StoreError) else transient(err)):
                    raise
                health.database.failed(err)
            else:
                health.database.answered()
                return monitor
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), health.database.wait())
        return None
    finally:
        health.waiting = False


def _greet(store: Store) -> None:
    counts = store.alert_counts()
    if counts:
        parts = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        log.info("state holds earlier alerts (%s): sent ones are not sent again, pending ones "
                 "go out now (`news-monitor alerts` lists them)", parts)


async def run_forever(monitor: Monitor, stop: asyncio.Event,
                      reload: asyncio.Event | None = None) -> None:
    """A Monitor already built, with its own health listener, until `stop` is set."""
    server = await _health_server(monitor.config.settings.health, monitor.health,
                                  monitor.metrics, monitor.refresh_gauges,
                                  lambda: (monitor.config, monitor.store))
    try:
        await _run_jobs(monitor, stop, reload)
    finally:
        if server is not None:
            server.close()


async def _run_jobs(monitor: Monitor, stop: asyncio.Event,
                    reload: asyncio.Event | None = None) -> None:
    """Run the scheduler until `stop` is set; in-flight work gets a short grace, then is
    cancelled (anything cancelled is simply redone after the restart). Setting `reload`
    (SIGHUP does) or editing a config file reloads the configuration."""
    running: set[asyncio.Task] = set()
    reload = reload or asyncio.Event()

    database = monitor.health.database

    def tracked(job: Callable):
        async def wrapper() -> None:
            task = asyncio.current_task()
            running.add(task)
            try:
                if not database.due():  # down: tries are spaced out, not made every tick
                    monitor.health.tick()  # the daemon itself is alive
                    return
                await job()
                database.answered()
            except DBAPIError as err:
                if not transient(err):
                    log.exception("%s failed; the daemon carries on", job.__name__)
                else:  # a database restart or outage: said once, when it starts
                    database.failed(err)
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
    scheduler.add_job(tracked(monitor.send_health), "interval",  # source-health notices
                      seconds=monitor.config.settings.delivery.check_every,
                      next_run_time=now, id="health", **options)
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
        scheduler.shutdown(wait=False)
        if running:
            _, pending = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)
        await monitor.aclose()
        log.info("news-monitor stopped")


async def _health_server(settings: HealthSettings, health: Health, metrics: Metrics,
                         refresh: Callable[[], object],
                         running: Running) -> asyncio.Server | None:
    """The health listener, with the alert feeds' routes (which answer 404 while the
    configuration in force turns them off: a reload may turn them on)."""
    if not settings.enabled:
        return None
    note = open_feeds_note(settings.listen, settings.feeds, settings.feed_token)
    if note:
        log.warning("%s", note)
    try:
        server = await serve(settings.listen, health, metrics, refresh,
                             AlertFeeds(settings.listen, running))
    except OSError as err:
        log.error("health endpoint not started on %s: %s", settings.listen, err)
        return None
    if settings.feeds_on:
        host, port = server.sockets[0].getsockname()[:2]
        log.info("alert feeds on http://%s:%d/feeds/alerts.atom%s", host, port,
                 " (token required)" if settings.feed_token else "")
    return server


async def _reloader(monitor: Monitor, reload: asyncio.Event, stop: asyncio.Event) -> None:
    """Apply edits one at a time for as long as the daemon runs: nothing a reload raises
    may end this loop, or no later edit would ever be applied."""
    while not stop.is_set():
        await reload.wait()
        reload.clear()
        try:
            await monitor.reload()
        except Exception:  # Monitor.reload refuses bad configs itself; this is a bug's net
            log.exception("config reload failed; the next edit or SIGHUP tries again")
            monitor.health.config_error = "reload failed unexpectedly (see the log)"
            monitor.metrics.reload_ok.set(0)
            monitor.metrics.reloads.labels("refused").inc()


def _config_files(path: str, _change: object = None) -> bool:
    """Files a reload reads: YAML, templates, and the gazetteer's imported extracts (.tsv,
    renamed into place by `news-monitor places import`)."""
    return path.endswith((".yaml", ".yml", ".j2", ".jinja", ".tsv"))


async def _watch_config(monitor: Monitor, reload: asyncio.Event, stop: asyncio.Event) -> None:
    """Reload when a config, watchlist, catalog, template or imported extract changes under
    the config's folder (state files are ignored)."""
    folder = monitor.config.path.resolve().parent
    try:
        async for _ in awatch(folder, watch_filter=lambda c, p: _config_files(p),
                              stop_event=stop, debounce=300, step=50, recursive=True):
            reload.set()
    except (OSError, RuntimeError) as err:
        log.warning("not watching %s for edits (%s); SIGHUP still reloads", folder, err)


def install_signal_handlers(stop: asyncio.Event, reload: asyncio.Event | None = None) -> None:
    """First SIGINT/SIGTERM: stop cleanly, and at the latest STOP_DEADLINE seconds later.
    Second: leave at once. SIGHUP: reload.

    Stop signals get a Python-level handler rather than the event loop's: it runs on the
    main thread at the next bytecode even while the loop is busy, and only sets events
    (nothing in it takes a lock that the interrupted code might hold)."""
    loop = asyncio.get_running_loop()
    if reload is not None:
        loop.add_signal_handler(signal.SIGHUP, reload.set)
    signalled = threading.Event()
    threading.Thread(target=_watchdog, args=(signalled,), name="stop-watchdog",
                     daemon=True).start()

    def on_signal(signum: int, _frame: object) -> None:
        if signalled.is_set():
            _leave(f"second {signal.Signals(signum).name}: exiting now", 1)
        signalled.set()
        loop.call_soon_threadsafe(_stopping, stop, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)


def _stopping(stop: asyncio.Event, signum: int) -> None:
    log.info("%s received: stopping", signal.Signals(signum).name)
    stop.set()


def _watchdog(signalled: threading.Event) -> None:
    signalled.wait()
    time.sleep(STOP_DEADLINE)
    _leave(f"still not stopped {STOP_DEADLINE:g}s after the stop signal; exiting now "
           "(work not committed is redone after the restart)", 0)


def _leave(message: str, code: int) -> None:
    """Exit from any thread without taking logging's locks (the main thread may hold
    them): one line written straight to stderr."""
    try:
        os.write(2, f"{time.strftime('%Y-%m-%dT%H:%M:%S')} WARNING {message}\n".encode())
    finally:
        os._exit(code)


def exit_now(code: int = 0) -> None:
    """End the process once the daemon has stopped: flush what was written, then leave
    without joining worker threads. A thread still parsing a hostile document or waiting
    on a channel would otherwise keep the process alive (the interpreter joins every
    executor thread at exit); everything worth keeping is committed by now."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    logging.shutdown()
    os._exit(code)
