"""The outbox worker: send what is due, mark it sent only once the target accepted it.

A failure is retried with exponential backoff; after `max_attempts` or `max_age` the alert is
marked failed — visible in `status` and `alerts`, never silently dropped. A crash between a
target's acceptance and `mark_sent` re-sends that one alert on restart: a duplicate is
preferred to a miss.

Replicas sharing a database deliver each channel from one place: a pass first takes the
channel's lease ("channel:NAME"), so grouping, rate limits and digests are decided by one
replica, then leases the channel's due rows. A replica that dies stops renewing and another
takes the channel over once the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from monitor.alerts.channels import Channel, DeliveryError
from monitor.alerts.messages import stories_heading
from monitor.alerts.route import group_ready, in_quiet_hours
from monitor.config import Channel as Route
from monitor.config import DeliverySettings
from monitor.records import Alert, OutboxItem
from monitor.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0  # moved to a digest

    def __add__(self, other: Delivered) -> Delivered:
        return Delivered(self.sent + other.sent, self.retried + other.retried,
                         self.failed + other.failed, self.held + other.held)


DEFAULT_LEASE = timedelta(seconds=30)
RECORD_SENT_PATIENCE = 600.0  # seconds; past this a restart may send those alerts again


def channel_lease(name: str) -> str:
    return f"channel:{name}"


async def deliver_due(store: Store, channels: Mapping[str, Channel],
                      settings: DeliverySettings, clock: Callable[[], datetime],
                      routes: Mapping[str, Route] | None = None, *,
                      flush: bool = False, lease: timedelta = DEFAULT_LEASE) -> Delivered:
    """Send what is due on the channels this replica holds (in parallel), as each
    channel's route says. `flush` sends waiting bursts now (`news-monitor once` does not
    wait for group_wait)."""
    now = clock()
    await asyncio.to_thread(store.release_held, now)
    await asyncio.to_thread(store.tick_surges, now)
    due = await asyncio.to_thread(store.due_channels, now)
    if not due:
        return Delivered()
    held = await asyncio.to_thread(store.take_leases, map(channel_lease, due), now, lease)
    mine = [name for name in due if channel_lease(name) in held]
    if not mine:
        return Delivered()
    items = await asyncio.to_thread(store.claim_alerts, now, lease, 500, mine)
    by_channel: dict[str, list[OutboxItem]] = defaultdict(list)
    try:
        for item in await _with_sources(store, items):
            by_channel[item.channel].append(item)
        results = await asyncio.gather(*(
            _deliver_channel(store, channels.get(name), (routes or {}).get(name), name,
                             queue, settings, clock, flush)
            for name, queue in by_channel.items()))
    finally:  # what waits (group_wait, quiet hours, a channel down) is given back
        await asyncio.shield(asyncio.to_thread(store.release_alerts, [i.id for i in items]))
    return sum(results, Delivered())


async def send_digest(store: Store, channel: Channel, settings: DeliverySettings,
                      clock: Callable[[], datetime],
                      lease: timedelta = DEFAULT_LEASE) -> Delivered:
    """One message holding everything waiting for this channel's digest — sent by the
    replica that holds the channel's lease, so replicas do not each send it."""
    held = await asyncio.to_thread(store.take_leases, [channel_lease(channel.name)],
                                   clock(), lease)
    if not held:
        return Delivered()
    items = await _with_sources(store, await asyncio.to_thread(store.digest_alerts,
                                                               channel.name))
    if not items:
        return Delivered()
    heading = stories_heading(by_story(items), "Digest")
    return await _send(store, channel, channel.name, items, heading, "digest", settings, clock)


async def _with_sources(store: Store, items: list[OutboxItem]) -> list[OutboxItem]:
    """A story names every source that carried it by the time it goes out, with when each
    first did and its outlet, and its story key (a webhook's receiver can tell two messages
    on one story from two stories)."""
    carried = await asyncio.to_thread(store.story_carriers, (i.story for i in items))
    threads = await asyncio.to_thread(store.threads_of, ((i.story, i.channel) for i in items
                                                         if i.alert.update is None))
    out = []
    for item in items:
        alert = item.alert.carried_by(carried.get(item.story, ()))
        if alert.update is None and (item.story, item.channel) in threads:
            # a rule that fired after the channel was told of the story
            thread = threads[item.story, item.channel]
            alert = replace(alert, update=replace(thread, changes=tuple(
                f"{f.rule} ({f.priority}) fired" for f in alert.rules())))
        if item.story and not alert.story:
            alert = replace(alert, story=item.story)
        out.append(replace(item, alert=alert))
    return out


async def _deliver_channel(store: Store, channel: Channel | None, route: Route | None,
                           name: str, queue: list[OutboxItem], settings: DeliverySettings,
                           clock: Callable[[], datetime], flush: bool) -> Delivered:
    now = clock()
    if channel is None:
        return await _failed_attempt(store, name, queue[:1], DeliveryError(
            f"channel '{name}' is not in the configuration"), settings, clock)
    if route is not None and route.digest:
        await asyncio.to_thread(store.mark_digest, [i.id for i in queue])
        return Delivered(held=len(queue))
    waiting = route is not None and not flush and (
        in_quiet_hours(route, now) or not group_ready(route, queue[0].created_at, now))
    if waiting:
        return Delivered()
    over: list[OutboxItem] = []
    if route is not None and route.max_per_hour:
        sent = await asyncio.to_thread(store.messages_since, name, now - timedelta(hours=1))
        room = route.max_per_hour - sent
        grouped = route.group_wait > 0
        allowed = (queue if room > 0 else []) if grouped else queue[:max(room, 0)]
        over = queue[len(allowed):]
        if over:  # never dropped: they go out with the next digest
            await asyncio.to_thread(store.mark_digest, [i.id for i in over])
            log.info("%d alerts to %s over its max_per_hour go to its next digest",
                     len(over), name)
        queue = allowed
    held = Delivered(held=len(over))
    if not queue:
        return held
    stories = _story_rows(queue)
    if route is not None and route.group_wait > 0 and len(stories) > 1:
        quiet = route.quiet_hours is not None and any(
            in_quiet_hours(route, i.created_at) for i in queue)
        heading = stories_heading(by_story(queue), "Quiet hours summary" if quiet else "")
        return held + await _send(store, channel, name, queue, heading, "group", settings,
                                  clock)
    total = held
    for rows in stories:
        result = await _send(store, channel, name, rows, "", "alert", settings, clock)
        total += result
        if result.retried or result.failed:
            break  # the channel is likely down: the rest wait for a later turn
    return total


async def _send(store: Store, channel: Channel, name: str, items: list[OutboxItem],
                heading: str, kind: str, settings: DeliverySettings,
                clock: Callable[[], datetime]) -> Delivered:
    alerts = by_story(items)
    try:
        if len(alerts) == 1 and kind == "alert":
            await channel.send(alerts[0])
        else:
            await channel.send_batch(alerts, heading)
    except DeliveryError as err:
        return await _failed_attempt(store, name, items, err, settings, clock)
    told = [(rows[0].id, alert) for rows, alert in zip(_story_rows(items), alerts,
                                                        strict=True) if alert.story]
    await _record_sent(store, [i.id for i in items], clock(), name, kind, told)
    return Delivered(sent=len(items))


async def _record_sent(store: Store, ids: list[int], now: datetime, name: str,
                       kind: str, told: list[tuple[int, Alert]]) -> None:
    """The target has accepted: record it, waiting out a database outage (a restart of
    PostgreSQL, say) rather than leaving rows that would be sent again once it is back."""
    wait, waited = 0.25, 0.0
    while True:
        try:
            await asyncio.to_thread(store.mark_sent, ids, now, name, kind, told)
            return
        except DBAPIError as err:
            if waited >= RECORD_SENT_PATIENCE:
                raise
            if waited == 0:
                log.warning("%d alert(s) sent to %s but not yet recorded (%s); retrying",
                            len(ids), name, err.orig or err)
            await asyncio.sleep(wait)
            waited += wait
            wait = min(wait * 2, 5.0)


async def _failed_attempt(store: Store, name: str, items: list[OutboxItem],
                          err: DeliveryError, settings: DeliverySettings,
                          clock: Callable[[], datetime]) -> Delivered:
    now = clock()
    ids = [i.id for i in items]
    if any(_give_up(i, settings, now) for i in items):
        await asyncio.to_thread(store.mark_failed, ids, str(err))
        log.error("%d alert(s) to %s failed for good: %s", len(ids), name, err)
        return Delivered(failed=len(ids))
    wait = retry_delay(max(i.attempts for i in items), settings)
    await asyncio.to_thread(store.mark_retry, ids, str(err), now + timedelta(seconds=wait))
    log.warning("%d alert(s) to %s not delivered (%s); retry in %.0fs", len(ids), name, err,
                wait)
    return Delivered(retried=len(ids))


def _story_rows(items: Sequence[OutboxItem]) -> list[list[OutboxItem]]:
    """The rows of each story, stories in the order their first row came. A story has
    one row per channel, and more only when a rule fired after its message was claimed."""
    rows: dict[str, list[OutboxItem]] = {}
    for item in items:
        rows.setdefault(item.story or f"#{item.id}", []).append(item)
    return list(rows.values())


def by_story(items: Sequence[OutboxItem]) -> list[Alert]:
    """One alert per story, naming the rules of all its rows: what a message shows."""
    alerts = []
    for rows in _story_rows(items):
        alert = rows[0].alert
        for row in rows[1:]:
            alert = alert.with_rules(row.alert.rules())
        alerts.append(alert)
    return alerts


def retry_delay(attempts: int, settings: DeliverySettings) -> float:
    """Wait before attempt number attempts+2: base, 2×base, 4×base … capped."""
    return min(settings.retry_base * 2 ** min(attempts, 30), settings.retry_max)


def _give_up(item: OutboxItem, settings: DeliverySettings, now: datetime) -> bool:
    too_many = item.attempts + 1 >= settings.max_attempts
    too_old = (now - item.created_at).total_seconds() >= settings.max_age
    return too_many or too_old
