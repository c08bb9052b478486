"""Fetch and parse: one poll of one source → a Poll record. Never raises for a bad source.

Feeds (RSS, Atom, RDF, JSON Feed), site listing pages and (news) sitemaps all end as Entry
records; `fetch_articles` then fills in the text of new entries from their pages for sources
that ask for it.

What a server sends is untrusted, and so are the URLs in it: everything but the source's
own URL (and its host) goes through the address guard; parsing runs off the event loop
under `parse_timeout`; what the poll refused or had to drop along the way is reported in
Poll.problems, which the store records as the source's last error without counting the
poll as failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from monitor.records import Entry, Poll, SourceState
from monitor.sources.feeds import FeedError, Parsed, parse_feed_full
from monitor.sources.fetch import Fetched, FetchError, HostGate, Http, Trust, make_client
from monitor.sources.fetch import fetch as fetch_url
from monitor.sources.guard import AddressPolicy
from monitor.sources.jsonfeed import looks_like_json_feed, parse_json_feed_full
from monitor.sources.offload import Overran, offload
from monitor.sources.schedule import Pace, interval_for, next_check
from monitor.sources.sitemaps import parse_sitemap

if TYPE_CHECKING:
    from monitor.config import PollSettings, Source
    from monitor.sources.sites import Link

__all__ = [
    "poll",
    "fetch_articles",
    "dated",
    "make_client",
    "next_check",
    "interval_for",
    "Pace",
    "HostGate",
    "Http",
    "trust_of",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

MAX_CHILD_SITEMAPS = 3  # newest children of a sitemap index read per poll


def trust_of(source: Source, settings: PollSettings) -> Trust:
    """Whom a source's requests may reach: its own host unchecked, the rest by policy."""
    policy = AddressPolicy.of(settings.allow_private, private_ok=source.allow_private)
    return Trust.of(source.location, policy)


class _Context:
    """What one poll needs to fetch more than its first URL (feeds a page advertises,
    children of a sitemap index), and what it gathers on the way."""

    def __init__(self, source: Source, http: Http, settings: PollSettings):
        self.http, self.settings = http, settings
        self.trust = trust_of(source, settings)
        self.problems: list[str] = []

    async def get(self, url: str, state: SourceState | None = None) -> Fetched:
        return await fetch_url(
            url,
            client=self.http.polls,
            timeout=self.settings.timeout,
            max_bytes=self.settings.max_bytes,
            gate=self.http.poll_gate,
            trust=self.trust,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
        )

    async def parse(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run a parser off the event loop, under the poll's parse deadline."""
        return await offload(fn, *args, timeout=self.settings.parse_timeout, **kwargs)


async def poll(
    source: Source, state: SourceState | None, *, http: Http, settings: PollSettings, now: datetime
) -> Poll:
    """Poll one source. Failures come back as Poll.error so one bad source stops nothing."""
    state = state or SourceState(source.name)
    ctx = _Context(source, http, settings)
    try:
        fetched = await ctx.get(source.location, state)
    except FetchError as err:
        return Poll(source.name, now, error=str(err), retry_after=err.retry_after)
    unchanged = Poll(
        source.name,
        now,
        not_modified=True,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        fresh_for=fetched.fresh_for,
    )
    if fetched.not_modified:
        return unchanged
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest == state.body_hash:
        return unchanged
    try:
        entries, warnings, ttl, problems = await _read(source, fetched, ctx)
    except (FeedError, FetchError, Overran) as err:
        return Poll(source.name, now, error=str(err), retry_after=getattr(err, "retry_after", None))
    except Exception as err:  # a parser bug must not take the daemon down
        log.exception("parser failed on %s", source.name)
        return Poll(source.name, now, error=f"parser failed: {type(err).__name__}: {err}"[:300])
    fresh_for = max(filter(None, (fetched.fresh_for, ttl)), default=None)
    return Poll(
        source.name,
        now,
        entries=tuple(entries),
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        body_hash=digest,
        warnings=tuple(warnings),
        fresh_for=fresh_for,
        problems=(*ctx.problems, *problems),
    )


async def _read(source: Source, fetched: Fetched, ctx: _Context) -> Parsed:
    if source.kind == "site":
        return await _read_site(source, fetched, ctx)
    if source.kind == "sitemap":
        return await _read_sitemap(source, fetched, ctx)
    return await ctx.parse(_read_feed, source.name, fetched)


def _read_feed(name: str, fetched: Fetched) -> Parsed:
    if looks_like_json_feed(fetched.body, fetched.content_type):
        return parse_json_feed_full(fetched.body, source=name, url=fetched.url)
    return parse_feed_full(
        fetched.body, source=name, url=fetched.url, content_type=fetched.content_type
    )


async def _read_site(source: Source, fetched: Fetched, ctx: _Context) -> Parsed:
    """A listing page: its links by selector; or, with none, the feed it advertises (the
    publisher's own list of articles, with dates and summaries), else its headlines.
    sites.py (Beautiful Soup, soupsieve) is imported here: feeds alone never load it."""
    from monitor.sources.sites import parse_listing

    listing = await ctx.parse(
        parse_listing,
        fetched.body,
        url=fetched.url,
        selector=source.links,
        content_type=fetched.content_type,
    )
    if source.links is None and listing.feeds:
        feed = await ctx.get(listing.feeds[0])
        return await ctx.parse(_read_feed, source.name, feed)
    entries = [_link_entry(source.name, link) for link in listing.links]
    warnings = [] if entries else ["no article links found on the page"]
    return Parsed(entries, warnings, None, [])


async def _read_sitemap(source: Source, fetched: Fetched, ctx: _Context) -> Parsed:
    sitemap = await ctx.parse(
        parse_sitemap,
        fetched.body,
        source=source.name,
        url=fetched.url,
        max_bytes=ctx.settings.max_bytes,
    )
    entries, warnings, problems = list(sitemap.entries), [], list(sitemap.problems)
    for child_url in sitemap.children[:MAX_CHILD_SITEMAPS]:
        try:
            child = await ctx.get(child_url)
            parsed = await ctx.parse(
                parse_sitemap,
                child.body,
                source=source.name,
                url=child.url,
                max_bytes=ctx.settings.max_bytes,
            )
        except (FetchError, FeedError, Overran) as err:
            if getattr(err, "refused", False):
                ctx.problems.append(f"child sitemap {child_url}: {err}")
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
        return replace(entry, published=now)
    return entry


async def fetch_articles(
    entries: list[Entry], *, source: Source, http: Http, settings: PollSettings
) -> tuple[list[Entry], list[str]]:
    """Fill in each entry's text (and better metadata) from its article page; return the
    entries and what went wrong (the problems to record on the source).

    At most `max_articles` pages per poll, the first listed (newest, on news pages and
    feeds), `article_concurrency` at a time, all within `article_budget`: the rest, and
    any page that cannot be fetched, keep what the source gave. An entry whose link the
    address guard refused loses the link too, so an alert never carries it.
    """
    trust = trust_of(source, settings)
    slots = asyncio.Semaphore(settings.article_concurrency)
    wanted = [i for i, e in enumerate(entries[: settings.max_articles]) if e.url]
    done: dict[int, Entry] = {}
    problems: list[str] = []

    async def one(index: int) -> None:
        entry = entries[index]
        async with slots:
            done[index] = await _article(entry, http, trust, settings, problems)

    tasks = [asyncio.create_task(one(i)) for i in wanted]
    try:
        late: set[asyncio.Task] = set()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=settings.article_budget)
    finally:  # the budget is spent, or the poll itself is cancelled: none may outlive it
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
    if late:
        problems.append(
            f"{len(late)} of {len(tasks)} article pages not fetched within "
            f"the {settings.article_budget:g}s article budget"
        )
    return [done.get(i, e) for i, e in enumerate(entries)], problems


async def _article(
    entry: Entry, http: Http, trust: Trust, settings: PollSettings, problems: list[str]
) -> Entry:
    from monitor.extract import MAX_PAGE, extract_article

    try:  # the extractor reads no more than MAX_PAGE: a larger page is not worth holding
        page = await fetch_url(
            entry.url,
            client=http.articles,
            timeout=settings.timeout,
            max_bytes=min(settings.max_bytes, MAX_PAGE),
            gate=http.article_gate,
            trust=trust,
        )
        article = await offload(
            extract_article,
            page.body,
            page.url,
            page.content_type,
            timeout=settings.parse_timeout,
            what="extracting",
        )
    except (FetchError, Overran) as err:
        log.info("article %s not fetched: %s", entry.url, err)
        problems.append(f"article {entry.url}: {err}")
        return replace(entry, url="") if getattr(err, "refused", False) else entry
    except Exception as err:  # an extractor bug costs this article's text, nothing more
        log.exception("extracting %s failed", entry.url)
        problems.append(f"article {entry.url}: extractor failed: {type(err).__name__}")
        return entry
    return replace(
        entry,
        title=entry.title or article.title,
        content=article.text,
        url=article.canonical_url or entry.url,
        published=entry.published or article.published,
    )
