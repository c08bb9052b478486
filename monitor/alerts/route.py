"""Routing: which channels get a match, and when a channel's queue may go out.

Pure functions over the channel settings and the clock; the outbox worker does the I/O.
Alertmanager's ideas, for news: a burst waits `group_wait` and goes out as one message;
digest channels send only at their cron times; a rate limit sends the rest to the next
digest instead of dropping it; quiet hours hold everything and one summary goes out when
they end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.config import Channel
from monitor.records import PRIORITIES, Match


def route(match: Match, channels: Mapping[str, Channel],
          mute_until: Mapping[tuple[str, str], datetime], now: datetime) -> tuple[str, ...]:
    """The channels this match goes to: the rule's, less those whose min_priority is above
    its priority; none while the rule is muted."""
    until = mute_until.get((match.watchlist, match.rule))
    if until is not None and now < until:
        return ()
    rank = PRIORITIES.index(match.priority)
    return tuple(name for name in match.channels
                 if name not in channels
                 or rank >= PRIORITIES.index(channels[name].min_priority))


def in_quiet_hours(channel: Channel, now: datetime) -> bool:
    if channel.quiet_hours is None:
        return False
    local = now.astimezone(ZoneInfo(channel.timezone))
    minute = local.hour * 60 + local.minute
    start, end = channel.quiet_hours
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def group_ready(channel: Channel, oldest: datetime, now: datetime) -> bool:
    """Whether a channel's waiting burst has gathered long enough to go out."""
    return (now - oldest).total_seconds() >= channel.group_wait
