"""Fetch and parse: one poll of one source → a Poll record. Never raises for a bad source.

Feeds (RSS, Atom, RDF, JSON Feed), site listing pages and (news) sitemaps all end as Entry
records; `fetch_articles` then fills in the text of new entries from their pages for sources
that ask for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from monitor.records import Entry, Poll, SourceState
from monitor.sources.feeds import FeedError, Parsed, parse_feed_full
from monitor.sources.fetch import Fetched, FetchError, HostGate, make_client
from monitor.sources.fetch import fetch as fetch_url
from monitor.sources.jsonfeed import looks_like_json_feed, parse_json_feed_full
from monitor.sources.schedule import Pace, interval_for, next_check
from monitor.sources.sitemaps import parse_sitemap
from monitor.sources.sites import Link, parse_listing

if TYPE_CHECKING:
    from monitor.config import PollSettings, Source

__all__ = ["poll", "fetch_articles", "dated", "make_client", "next_check", "interval_for",
           "Pace", "HostGate"]

log = logging.getLogger(__name__)

MAX_CHILD_SITEMAPS = 3  # newest children of a sitemap index read per poll


class _Context:
    """What one poll needs to fetch more than its first URL (feeds a page advertises,
    children of a sitemap index)."""

    def __init__(self, client: httpx.AsyncClient, settings: PollSettings,
                 gate: HostGate | None):
        self.client, self.settings, self.gate = client, settings, gate

    async def get(self, url: str, state: SourceState | None = None) -> Fetched:
        return await fetch_url(url, client=self.client, timeout=self.settings.timeout,
                           max_bytes=self.settings.max_bytes, gate=self.gate,
                           etag=state.etag if state else None,
                           last_modified=state.last_modified if state else None)


async def poll(source: Source, state: SourceState | None, *, client: httpx.AsyncClient,
               settings: PollSettings, now: datetime, gate: HostGate | None = None) -> Poll:
    """Poll one source. Failures come back as Poll.error so one bad source stops nothing."""
    state = state or SourceState(source.name)
    ctx = _Context(client, settings, gate)
    try:
        fetched = await ctx.get(source.location, state)
    except FetchError as err:
        return Poll(source.name, now, error=str(err), retry_after=err.retry_after)
    unchanged = Poll(source.name, now, not_modified=True, etag=fetched.etag,
                     last_modified=fetched.last_modified, fresh_for=fetched.fresh_for)
    if fetched.not_modified:
        return unchanged
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest == state.body_hash:
        return unchanged
    try:
        entries, warnings, ttl, problems = await _read(source, fetched, ctx)
    except (FeedError, FetchError) as err:
        return Poll(source.name, now, error=str(err),
                    retry_after=getattr(err, "retry_after", None))
    except Exception as err:  # a parser bug must not take the daemon down
        log.exception("parser failed on %s", source.name)
        return Poll(source.name, now, error=f"parser failed: {type(err).__name__}: {err}"[:300])
    for problem in problems:  # item-level: logged until the Poll record carries them
        log.info("%s: %s", source.name, problem)
    fresh_for = max(filter(None, (fetched.fresh_for, ttl)), default=None)
    return Poll(source.name, now, entries=tuple(entries),
                etag=fetched.etag, last_modified=fetched.last_modified, body_hash=digest,
                warnings=tuple(warnings), fresh_for=fresh_for)


async def _read(source: Source, fetched: Fetched, ctx: _Context) -> Parsed:
    if source.kind == "site":
        return await _read_site(source, fetched, ctx)
    if source.kind == "sitemap":
        return await _read_sitemap(source, fetched, ctx)
    return await asyncio.to_thread(_read_feed, source.name, fetched)


def _read_feed(name: str, fetched: Fetched) -> Parsed:
    if looks_like_json_feed(fetched.body, fetched.content_type):
        return parse_json_feed_full(fetched.body, source=name, url=fetched.url)
    return parse_feed_full(fetched.body, source=name, url=fetched.url,
                           content_type=fetched.content_type)


async def _read_site(source: Source, fetched: Fetched, ctx: _Context) -> Parsed:
    """A listing page: its links by selector; or, with none, the feed it advertises (the
    publisher's own list of articles, with dates and summaries), else its headlines."""
    listing = await asyncio.to_thread(parse_listing, fetched.body, url=fetched.url,
                                      selector=source.links,
                                      content_type=fetched.content_type)
    if source.links is None and listing.feeds:
        feed = await ctx.get(listing.feeds[0])
        return await asyncio.to_thread(_read_feed, source.name, feed)
    entries = [_link_entry(source.name, link) for link in listing.links]
    warnings = [] if entries else ["no article links found on the page"]
    return Parsed(entries, warnings, None, [])


async def _read_sitemap(source: Source, fetched: Fetched, ctx: _Context) -> Parsed:
    sitemap = await asyncio.to_thread(parse_sitemap, fetched.body, source=source.name,
                                      url=fetched.url, max_bytes=ctx.settings.max_bytes)
    entries, warnings, problems = list(sitemap.entries), [], list(sitemap.problems)
    for child_url in sitemap.children[:MAX_CHILD_SITEMAPS]:
        try:
            child = await ctx.get(child_url)
            parsed = await asyncio.to_thread(parse_sitemap, child.body, source=source.name,
                                             url=child.url, max_bytes=ctx.settings.max_bytes)
        except (FetchError, FeedError) as err:
            warnings.append(f"child sitemap {child_url}: {err}")
            continue
        entries.extend(parsed.entries)
        problems.extend(f"child sitemap {child_url}: {p}" for p in parsed.problems)
    return Parsed(entries, warnings, None, problems)


def _link_entry(source: str, link: Link) -> Entry:
    return Entry(source=source, key=link.url, url=link.url, title=link.title, summary="")


def dated(entry: Entry, now: datetime) -> Entry:
    """All times UTC; a missing date is the time we first saw the item, and a date in the
    future (a wrong clock or a hostile feed) is now."""
    if entry.published is None or entry.published > now:
        return _replace(entry, published=now)
    return entry


def _replace(entry: Entry, **changes) -> Entry:
    from dataclasses import replace

    return replace(entry, **changes)


async def fetch_articles(entries: list[Entry], *, client: httpx.AsyncClient,
                         settings: PollSettings, gate: HostGate | None = None) -> list[Entry]:
    """Fill in each entry's text (and better metadata) from its article page. An article
    that cannot be fetched keeps what the source gave. At most `max_articles` per call, the
    first listed (newest, on news pages and feeds): the rest are matched on what the source
    gave — on a source's first poll those are old news, afterwards rarely more than a few."""
    from monitor.extract import extract_article

    async def one(entry: Entry) -> Entry:
        if not entry.url:
            return entry
        try:
            page = await fetch_url(entry.url, client=client, timeout=settings.timeout,
                               max_bytes=settings.max_bytes, gate=gate)
            article = await asyncio.to_thread(extract_article, page.body, page.url)
        except FetchError as err:
            log.info("article %s not fetched: %s", entry.url, err)
            return entry
        except Exception:  # an extractor bug costs this article's text, nothing more
            log.exception("extracting %s failed", entry.url)
            return entry
        return _replace(entry, title=entry.title or article.title, content=article.text,
                        url=article.canonical_url or entry.url,
                        published=entry.published or article.published)

    wanted = entries[:settings.max_articles]
    done = await asyncio.gather(*(one(e) for e in wanted))
    return list(done) + entries[settings.max_articles:]
