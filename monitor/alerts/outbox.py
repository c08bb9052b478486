"""The outbox worker: send what is due, mark it sent only once the target accepted it.

A failure is retried with exponential backoff; after `max_attempts` or `max_age` the alert is
marked failed — visible in `status` and `alerts`, never silently dropped. A crash between a
target's acceptance and `mark_sent` re-sends that one alert on restart: a duplicate is
preferred to a miss.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.alerts.channels import Channel, DeliveryError
from monitor.config import DeliverySettings
from monitor.records import OutboxItem
from monitor.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: Delivered) -> Delivered:
        return Delivered(self.sent + other.sent, self.retried + other.retried,
                         self.failed + other.failed)


async def deliver_due(store: Store, channels: Mapping[str, Channel],
                      settings: DeliverySettings, clock: Callable[[], datetime]) -> Delivered:
    """Send every due alert; channels in parallel, each channel's alerts in order."""
    items = await asyncio.to_thread(store.due_alerts, clock(), 500)
    carried = await asyncio.to_thread(store.story_sources, (i.story for i in items))
    by_channel: dict[str, list[OutboxItem]] = defaultdict(list)
    for item in items:  # a story names every source that carried it by the time it goes out
        sources = tuple(carried.get(item.story, ()))
        if len(sources) > 1:
            item = replace(item, alert=replace(item.alert, sources=sources))
        by_channel[item.channel].append(item)
    results = await asyncio.gather(*(
        _deliver_channel(store, channels.get(name), name, queue, settings, clock)
        for name, queue in by_channel.items()))
    return Delivered(*(sum(r[i] for r in results) for i in range(3)))


async def _deliver_channel(store: Store, channel: Channel | None, name: str,
                           queue: list[OutboxItem], settings: DeliverySettings,
                           clock: Callable[[], datetime]) -> tuple[int, int, int]:
    sent = retried = failed = 0
    for item in queue:
        try:
            if channel is None:
                raise DeliveryError(f"channel '{name}' is not in the configuration")
            await channel.send(item.alert)
        except DeliveryError as err:
            if _give_up(item, settings, clock()):
                await asyncio.to_thread(store.mark_failed, item.id, str(err))
                log.error("alert %d to %s failed for good after %d attempts: %s",
                          item.id, name, item.attempts + 1, err)
                failed += 1
            else:
                wait = retry_delay(item.attempts, settings)
                await asyncio.to_thread(store.mark_retry, item.id, str(err),
                                        clock() + timedelta(seconds=wait))
                log.warning("alert %d to %s not delivered (%s); retry in %.0fs",
                            item.id, name, err, wait)
                retried += 1
            # the channel is likely down: leave the rest of its queue for a later turn
            # rather than spending an attempt of every queued alert now
            break
        await asyncio.to_thread(store.mark_sent, item.id, clock())
        sent += 1
    return sent, retried, failed


def retry_delay(attempts: int, settings: DeliverySettings) -> float:
    """Wait before attempt number attempts+2: base, 2×base, 4×base … capped."""
    return min(settings.retry_base * 2 ** min(attempts, 30), settings.retry_max)


def _give_up(item: OutboxItem, settings: DeliverySettings, now: datetime) -> bool:
    too_many = item.attempts + 1 >= settings.max_attempts
    too_old = (now - item.created_at).total_seconds() >= settings.max_age
    return too_many or too_old
