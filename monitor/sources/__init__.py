"""Fetch and parse: one poll of one source → a Poll record. Never raises for a bad source."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime

import httpx

from monitor.config import PollSettings, Source
from monitor.records import Poll, SourceState
from monitor.sources.feeds import FeedError, parse_feed
from monitor.sources.fetch import FetchError, fetch, make_client

__all__ = ["poll", "make_client", "next_check"]

log = logging.getLogger(__name__)


async def poll(source: Source, state: SourceState | None, *, client: httpx.AsyncClient,
               settings: PollSettings, now: datetime) -> Poll:
    """Poll one source. Failures come back as Poll.error so one bad source stops nothing."""
    state = state or SourceState(source.name)
    try:
        fetched = await fetch(source.location, client=client, timeout=settings.timeout,
                              max_bytes=settings.max_bytes, etag=state.etag,
                              last_modified=state.last_modified)
    except FetchError as err:
        return Poll(source.name, now, error=str(err))
    if fetched.not_modified:
        return Poll(source.name, now, not_modified=True, etag=fetched.etag,
                    last_modified=fetched.last_modified)
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest == state.body_hash:
        return Poll(source.name, now, not_modified=True, etag=fetched.etag,
                    last_modified=fetched.last_modified)
    try:
        entries, warnings = await asyncio.to_thread(
            parse_feed, fetched.body, source=source.name, url=fetched.url,
            content_type=fetched.content_type)
    except FeedError as err:
        return Poll(source.name, now, error=str(err))
    except Exception as err:  # a parser bug must not take the daemon down
        log.exception("parser failed on %s", source.name)
        return Poll(source.name, now, error=f"parser failed: {type(err).__name__}: {err}"[:300])
    return Poll(source.name, now, entries=tuple(entries), etag=fetched.etag,
                last_modified=fetched.last_modified, body_hash=digest,
                warnings=tuple(warnings))


def next_check(source: Source, outcome: Poll, errors_before: int,
               settings: PollSettings) -> float:
    """Seconds until the next poll: the interval, or exponential backoff while failing."""
    if outcome.error is None:
        return source.interval
    failures = errors_before + 1
    return min(source.interval * 2 ** min(failures - 1, 16),
               max(settings.max_backoff, source.interval))
