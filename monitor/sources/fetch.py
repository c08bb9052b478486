"""Fetching a source's bytes, over HTTP or from a local file, within hard limits.

httpx's own time-outs apply per read, so a server dripping one byte a second would never trip
them: the whole request runs under one deadline instead. The body cap is enforced while
streaming (after decompression), so a 1 GB body or a gzip bomb costs at most `max_bytes`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx


class FetchError(Exception):
    """The source could not be fetched; the message is short and safe to show and store.

    `retry_after` is the server's Retry-After (429/503) in seconds, when it gave one.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    url: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    fresh_for: float | None = None  # seconds the server says the body stays fresh


class HostGate:
    """At most `limit` requests in flight to any one host, however many sources it serves:
    a site with fifty feeds should not see fifty connections at once."""

    def __init__(self, limit: int):
        self.limit = limit
        self._gates: dict[str, asyncio.Semaphore] = {}

    def __call__(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).hostname or "" if "://" in url else ""
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = asyncio.Semaphore(self.limit)
        return gate


KEEPALIVE = 0  # idle connections kept: see make_client


def make_client(*, timeout: float, user_agent: str, concurrency: int) -> httpx.AsyncClient:
    """One client for all polls, without keep-alive.

    httpcore scans its whole pool on every request, so idle connections cost CPU on every
    poll, while polls of one host are minutes apart and its idle connections would expire
    (after 5 s) before reuse. bench/poll.py measured, for 2,000 feeds on a local server:
    no keep-alive 856 polls/s (304s) and 555/s (200s); 8 idle connections 856 and 516; a
    pool as large as the concurrency, as httpx keeps by default, 794 and 458. Loopback has
    no TLS: over HTTPS a burst to one host (a listing page, then its articles) would gain
    from reuse — measure that before changing this.
    """
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=5,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=KEEPALIVE),
        headers={"User-Agent": user_agent, "Accept": "application/rss+xml, application/atom+xml"
                 ", application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
    )


async def fetch(location: str, *, client: httpx.AsyncClient, timeout: float, max_bytes: int,
                etag: str | None = None, last_modified: str | None = None,
                gate: HostGate | None = None) -> Fetched:
    """Fetch `location` (http(s) URL or file path); raise FetchError on any failure."""
    if not location.lower().startswith(("http://", "https://")):
        return await asyncio.to_thread(_read_file, Path(location), max_bytes)
    try:
        async with asyncio.timeout(timeout):
            if gate is None:
                return await _get(client, location, max_bytes, etag, last_modified)
            async with gate(location):
                return await _get(client, location, max_bytes, etag, last_modified)
    except TimeoutError:
        raise FetchError(f"timed out after {timeout:g}s") from None
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.HTTPError as err:
        raise FetchError(_describe(err)) from None


async def _get(client: httpx.AsyncClient, url: str, max_bytes: int, etag: str | None,
               last_modified: str | None) -> Fetched:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with client.stream("GET", url, headers=headers) as resp:
        validators = {"etag": resp.headers.get("etag"),
                      "last_modified": resp.headers.get("last-modified"),
                      "fresh_for": fresh_for(resp.headers)}
        if resp.status_code == 304:
            await resp.aread()  # empty, but reading it lets the connection be reused
            return Fetched(b"", str(resp.url), not_modified=True, **validators)
        if resp.status_code >= 400:
            wait = retry_after(resp.headers.get("retry-after")) \
                if resp.status_code in (429, 503) else None
            raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip()
                             + (f"; asked to wait {wait:.0f}s" if wait else ""), wait)
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"body of {int(declared):,} bytes is over the {max_bytes:,}-byte cap")
        body = bytearray()
        async for chunk in resp.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"body is over the {max_bytes:,}-byte cap")
        return Fetched(bytes(body), str(resp.url), resp.headers.get("content-type"),
                       **validators)


def _read_file(path: Path, max_bytes: int) -> Fetched:
    try:
        with path.open("rb") as f:
            body = f.read(max_bytes + 1)
    except OSError as err:
        raise FetchError(f"cannot read {path}: {err.strerror or err}") from None
    if len(body) > max_bytes:
        raise FetchError(f"file is over the {max_bytes:,}-byte cap")
    return Fetched(body, path.as_uri())


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    return float(value) if value.isdigit() else _seconds_until(value, now)


def fresh_for(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """How long the server says a response stays fresh: Cache-Control max-age (or
    s-maxage), else Expires. no-cache / no-store mean no promise at all."""
    control = headers.get("cache-control", "").lower()
    if "no-cache" in control or "no-store" in control:
        return None
    ages = re.findall(r"(?:s-)?max-age\s*=\s*\"?(\d+)", control)
    if ages:
        return float(max(int(a) for a in ages))
    expires = headers.get("expires")
    return _seconds_until(expires, now) if expires else None


def _seconds_until(http_date: str, now: datetime | None) -> float | None:
    """Seconds from now until an HTTP date (never negative); None if it is not a date."""
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _describe(err: httpx.HTTPError) -> str:
    name = type(err).__name__
    detail = str(err).strip()
    return f"{name}: {detail}"[:300] if detail else name
