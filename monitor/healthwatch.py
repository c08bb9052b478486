"""Source health at run time: after each poll, whether a notice is due (sourcehealth.py
decides, the store announces it once, store/health.py); and sending what is queued to the
`health_alerts` channels (by default `admin`).

Sending, and why so:
- one message per channel per round: every notice waiting for a channel goes in one
  message ("3 sources failing: a, b, c"), never one each;
- rate-limited: at most one such message per channel every `delivery.health_every`
  (60 s); what happens meanwhile waits and goes together in the next one. A first notice
  waits GATHER seconds, so sources failing in the same round of polls share a message;
- never dropped: a send that fails leaves the notices queued, tried again after the
  outbox's backoff (`delivery.retry_base`, doubling, up to `retry_max`) for as long as it
  takes; there are few of them, and losing one defeats their point. A notice for a
  channel no longer listed stays queued, visible in `status`, until it is listed again;
- straight to the channel, as `_tell_admin`'s refusals: a channel's digest, quiet hours,
  min_priority and max_per_hour are for the desk's alerts, not for news of the monitor;
- one replica sends a channel's notices at a time: it holds the named lease
  "health:CHANNEL" (the outbox's alerts to the same channel have their own lease).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from monitor.alerts import Channel, DeliveryError
from monitor.alerts.outbox import retry_delay
from monitor.config import Config, Source
from monitor.health import Metrics
from monitor.logs import REDACTOR, mask_url
from monitor.records import Alert, Poll, Snippet, SourceState
from monitor.sourcehealth import (
    STATE_AFTER,
    Event,
    Facts,
    Notice,
    could_be_silent,
    decide,
    gap_window,
    message,
    notice_text,
    usual_gap,
)
from monitor.sources import Pace
from monitor.sources.schedule import WEEK
from monitor.store import Store

log = logging.getLogger("monitor")

GATHER = 5.0  # seconds a first notice waits for the others of its round (capped by every)


def where(location: str) -> str:
    """A source's address as a notice shows it: no query string (tokens live there) and
    secrets masked."""
    return mask_url(location.split("?", 1)[0].split("#", 1)[0])


class HealthWatch:
    """Polling's and Monitor's part in source health: see the module's docstring."""

    store: Store
    clock: Callable[[], datetime]
    config: Config
    metrics: Metrics
    channels: dict[str, Channel]
    _gaps: dict[str, tuple[datetime, float | None]]  # source -> (last new item, usual gap)

    async def check_health(self, source: Source, state: SourceState | None, outcome: Poll,
                           brought_new: bool) -> Event | None:
        """After a recorded poll: announce the source's health change, if it has one. Costs
        nothing for a poll that changes nothing, but a lookup of the usual gap (cached until
        the source brings something new) for a source quiet for a while."""
        now, errors_before = outcome.checked_at, state.error_count if state else 0
        facts = Facts(
            announced=(state.health if state else "ok"),  # type: ignore[arg-type]
            announced_at=state.health_at if state else None,
            errors=errors_before + 1 if outcome.error else 0,
            last_new_at=now if brought_new else (state.last_new_at if state else None),
            watched_since=state.created_at if state else None)
        factor = source.silence_factor
        if facts.last_new_at and facts.watched_since and could_be_silent(
                facts, now, factor, min(source.min_interval, source.interval)):
            facts = replace(facts, usual_gap=await asyncio.to_thread(
                self._usual_gap, source.name, facts.last_new_at, facts.watched_since))
        event = decide(facts, now, failing_after=self.config.settings.poll.failing_after,
                       silence_factor=factor)
        if event is None:
            return None
        failing_since = (now if errors_before == 0 else
                         (state.failing_since or state.last_error_at) if state else now)
        # Masked as the log is (a token in a source's URL or in its error never leaves):
        # the notice goes to a chat channel or a mailbox.
        text = REDACTOR.clean(notice_text(
            event, source.name, now=now, errors=facts.errors, failing_since=failing_since,
            last_error=outcome.error, where=where(source.location),
            last_new_at=facts.last_new_at, usual_gap=facts.usual_gap,
            silent_since=state.last_new_at if state else None, failed_before=errors_before))
        channels = self.config.health_channels
        won = await asyncio.to_thread(self.store.announce, source.name, facts.announced,
                                      STATE_AFTER[event], now, event, text, channels)
        if won:
            self.metrics.health_notices.labels(event).inc()
            log.log(logging.INFO if event in ("recovered", "active") else logging.WARNING,
                    "source health: %s%s", text,
                    f" (telling {', '.join(channels)})" if channels else "")
        return event if won else None

    def _usual_gap(self, name: str, last_new_at: datetime,
                   watched_since: datetime) -> float | None:
        known = self._gaps.get(name)
        if known and known[0] == last_new_at:
            return known[1]
        since, until = gap_window(last_new_at, watched_since, WEEK)
        pace = Pace(self.store.published_since(name, since, until),
                    (until - since).total_seconds())
        gap = usual_gap(pace)
        self._gaps[name] = (last_new_at, gap)
        return gap

    async def send_health(self, *, flush: bool = False) -> int:
        """Send each health channel what waits for it, as one message; return how many
        messages went. `flush` (`once`) sends without waiting for GATHER or the rate
        limit: there is no later round to gather into."""
        names = [n for n in self.config.health_channels if n in self.channels]
        if not names:
            return 0
        now = self.clock()
        lease = timedelta(seconds=self.config.settings.lease)
        held = await asyncio.to_thread(self.store.take_leases,
                                       [f"health:{n}" for n in names], now, lease)
        sent = 0
        for name in names:
            if f"health:{name}" in held:
                sent += await self._send_to(name, self.channels, now, flush)
        return sent

    async def _send_to(self, name: str, channels: Mapping[str, Channel], now: datetime,
                       flush: bool) -> int:
        rows = await asyncio.to_thread(self.store.due_health, name, now)
        if not rows:
            return 0
        settings = self.config.settings.delivery
        if not flush:
            if (now - rows[0].created_at).total_seconds() < min(GATHER, settings.health_every):
                return 0
            last = await asyncio.to_thread(self.store.last_health_sent, name)
            if last and (now - last).total_seconds() < settings.health_every:
                return 0
        title, body = message([Notice(r.source, r.event, r.text)  # type: ignore[arg-type]
                               for r in rows])
        alert = Alert(watchlist="news-monitor", rule="source health", priority="high",
                      title=title, url="", source="news-monitor", published=now,
                      snippet=Snippet(body), terms=())
        ids = [r.id for r in rows]
        try:
            await channels[name].send(alert)
        except Exception as err:  # DeliveryError, or a channel's own fault: try again later
            wait = retry_delay(max(r.attempts for r in rows), settings)
            reason = str(err) if isinstance(err, DeliveryError) else type(err).__name__
            await asyncio.to_thread(self.store.health_retry, ids,
                                    now + timedelta(seconds=wait), reason)
            log.warning("source-health message to %s not sent (%s); retry in %.0fs", name,
                        reason, wait)
            return 0
        await asyncio.to_thread(self.store.health_sent, ids, now)
        log.info("source-health message sent to %s: %s", name, title)
        return 1
