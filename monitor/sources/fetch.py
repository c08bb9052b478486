"""Fetching a source's bytes, over HTTP or from a local file, within hard limits.

- Time: httpx's own time-outs apply per read, so a server dripping one byte a second would
  never trip them: the whole request, redirects included, runs under one deadline instead.
- Size: at most `max_bytes` arrive on the wire, and at most `max_bytes` come out of
  decompression. We ask only for the codings we decode (gzip, deflate), refuse a body that
  stacks codings ("gzip, gzip" turned 1.9 KB into 2.1 GB) or uses one we did not ask for,
  and inflate in bounded steps in a worker thread, never on the event loop.
- Addresses: redirects are followed here, at most MAX_REDIRECTS, and every hop to a host
  other than the operator's own is checked by the address guard (guard.py) where it
  connects.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from monitor.sources.guard import POLICY_EXTENSION, AddressPolicy, AddressRefused, GuardedTransport
from monitor.sources.offload import offload
from monitor.text import clean

if TYPE_CHECKING:
    from monitor.config import PollSettings

MAX_REDIRECTS = 5
ACCEPT_ENCODING = "gzip, deflate"  # what _inflate decodes, and nothing else
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_STEP = 1 << 20  # bytes inflated per step: a bomb is stopped within one step


class FetchError(Exception):
    """The source could not be fetched; the message is short and safe to show and store.

    `retry_after` is the server's Retry-After (429/503) in seconds, when it gave one;
    `refused` says the address guard refused the request (nothing was sent).
    """

    def __init__(self, message: str, retry_after: float | None = None, refused: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.refused = refused


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    url: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    fresh_for: float | None = None  # seconds the server says the body stays fresh


@dataclass(frozen=True, slots=True)
class Trust:
    """Which hosts a source's requests reach unchecked: the host of the URL the operator
    configured (an intranet feed, a local test server). Every other host is checked
    against `policy`."""

    host: str
    policy: AddressPolicy

    @classmethod
    def of(cls, location: str, policy: AddressPolicy) -> Trust:
        return cls(_host(location), policy)

    def policy_for(self, url: str) -> AddressPolicy | None:
        return None if self.host and _host(url) == self.host else self.policy


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".") if "://" in url else ""
    except ValueError:
        return ""


class HostGate:
    """At most `limit` requests in flight to any one host, however many sources it serves:
    a site with fifty feeds should not see fifty connections at once."""

    def __init__(self, limit: int):
        self.limit = limit
        self._gates: dict[str, asyncio.Semaphore] = {}

    def __call__(self, url: str) -> asyncio.Semaphore:
        host = _host(url)
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = asyncio.Semaphore(self.limit)
        return gate


KEEPALIVE = 0  # idle connections kept: see make_client


def make_client(*, timeout: float, user_agent: str, concurrency: int | None,
                allow_private: tuple[str, ...] = ()) -> httpx.AsyncClient:
    """A client whose connections go through the address guard, without keep-alive.

    No keep-alive, for two reasons. The guard checks a connection when it opens it, for the
    request that opens it; a kept connection would serve a later request of another trust.
    And httpcore scans its whole pool on every request, while polls of one host are minutes
    apart: bench/poll.py measured, for 2,000 feeds on a local server, no keep-alive 856
    polls/s (304s) and 555/s (200s); 8 idle connections 856 and 516; a pool as large as the
    concurrency 794 and 458. Over HTTPS a burst to one host would gain from reuse.

    Redirects are followed by `fetch`, so that each hop is checked. HTTP(S)_PROXY variables
    are not used: the guard must see the address it connects to.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=KEEPALIVE)
    transport = GuardedTransport(limits=limits, default=AddressPolicy.of(allow_private))
    return httpx.AsyncClient(
        transport=transport, follow_redirects=False, timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING,
                 "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9"
                           ", text/xml;q=0.9, */*;q=0.5"})


@dataclass(frozen=True, slots=True)
class Http:
    """The daemon's two clients. Sources' own documents (feeds, listing pages, sitemaps and
    what they advertise) and article pages have a pool and host gates each, so a source
    whose article links lead to servers that never answer cannot take a connection or a
    host slot that another source's poll waits for."""

    polls: httpx.AsyncClient
    articles: httpx.AsyncClient
    poll_gate: HostGate
    article_gate: HostGate

    @classmethod
    def open(cls, settings: PollSettings) -> Http:
        def client(concurrency: int | None) -> httpx.AsyncClient:
            return make_client(timeout=settings.timeout, user_agent=settings.user_agent,
                               concurrency=concurrency, allow_private=settings.allow_private)

        # articles: at most article_concurrency per source, each poll holding one slot of
        # `concurrency`; their pool need not bound them again
        return cls(client(settings.concurrency), client(None), HostGate(settings.per_host),
                   HostGate(settings.per_host))

    async def aclose(self) -> None:
        await self.polls.aclose()
        await self.articles.aclose()

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


async def fetch(location: str, *, client: httpx.AsyncClient, timeout: float, max_bytes: int,
                trust: Trust, etag: str | None = None, last_modified: str | None = None,
                gate: HostGate | None = None) -> Fetched:
    """Fetch `location` (http(s) URL or file path); raise FetchError on any failure."""
    if not location.lower().startswith(("http://", "https://")):
        return await asyncio.to_thread(_read_file, Path(location), max_bytes)
    try:
        async with asyncio.timeout(timeout):
            if gate is None:
                return await _get(client, location, trust, max_bytes, etag, last_modified)
            async with gate(location):
                return await _get(client, location, trust, max_bytes, etag, last_modified)
    except TimeoutError:
        raise FetchError(f"timed out after {timeout:g}s") from None
    except AddressRefused as err:
        raise FetchError(str(err), refused=True) from None
    except httpx.HTTPError as err:
        raise FetchError(_describe(err)) from None
    except httpx.InvalidURL as err:
        raise FetchError(f"invalid URL: {clean(str(err), 200)}") from None


async def _get(client: httpx.AsyncClient, url: str, trust: Trust, max_bytes: int,
               etag: str | None, last_modified: str | None) -> Fetched:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _ in range(MAX_REDIRECTS + 1):
        request = client.build_request("GET", url, headers=headers,
                                       extensions={POLICY_EXTENSION: trust.policy_for(url)})
        resp = await client.send(request, stream=True)
        try:
            if resp.status_code in _REDIRECTS and resp.headers.get("location"):
                url = _next_hop(resp.url, resp.headers["location"])
                continue
            return await _answer(resp, max_bytes)
        finally:
            await resp.aclose()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _next_hop(current: httpx.URL, location: str) -> str:
    try:
        target = current.join(location.strip())
    except (httpx.InvalidURL, ValueError):
        raise FetchError("redirected to an invalid URL") from None
    if target.scheme not in ("http", "https"):
        raise FetchError(f"redirected to a {clean(target.scheme, 20)!r} URL; only http(s) "
                         "is followed")
    return str(target)


async def _answer(resp: httpx.Response, max_bytes: int) -> Fetched:
    validators = {"etag": resp.headers.get("etag"),
                  "last_modified": resp.headers.get("last-modified"),
                  "fresh_for": fresh_for(resp.headers)}
    if resp.status_code == 304:
        return Fetched(b"", str(resp.url), not_modified=True, **validators)
    if resp.status_code >= 400:
        wait = retry_after(resp.headers.get("retry-after")) \
            if resp.status_code in (429, 503) else None
        reason = clean(resp.reason_phrase or "", 80)
        raise FetchError(f"HTTP {resp.status_code} {reason}".strip()
                         + (f"; asked to wait {wait:.0f}s" if wait else ""), wait)
    coding = _coding(resp.headers)
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"body of {int(declared):,} bytes is over the {max_bytes:,}-byte cap")
    raw = bytearray()
    async for chunk in resp.aiter_raw():
        raw += chunk
        if len(raw) > max_bytes:
            raise FetchError(f"body is over the {max_bytes:,}-byte cap")
    body = bytes(raw) if coding is None else await offload(_inflate, bytes(raw), coding,
                                                           max_bytes)
    return Fetched(body, str(resp.url), resp.headers.get("content-type"), **validators)


def _coding(headers: httpx.Headers) -> str | None:
    """The one content-coding of a body (None for none), or FetchError."""
    codings = [c.strip().lower() for c in headers.get_list("content-encoding", split_commas=True)]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        raise FetchError(f"body has {len(codings)} content-codings "
                         f"({clean(', '.join(codings), 80)}); at most one is accepted")
    if codings and codings[0] not in _WBITS:
        raise FetchError(f"body uses content-coding {clean(codings[0], 40)!r}, which was not "
                         f"asked for (we accept {ACCEPT_ENCODING})")
    return codings[0] if codings else None


def _inflate(raw: bytes, coding: str, limit: int) -> bytes:
    """Decompress at most `limit` bytes; FetchError beyond. Several gzip members are joined;
    'deflate' is zlib-wrapped or raw, as servers disagree."""
    wbits = _WBITS[coding]
    try:
        return _inflate_with(raw, wbits, limit)
    except zlib.error as err:
        if coding != "deflate":
            raise FetchError(f"body is not valid {coding} ({err})") from None
    try:
        return _inflate_with(raw, -zlib.MAX_WBITS, limit)
    except zlib.error as err:
        raise FetchError(f"body is not valid deflate ({err})") from None


def _inflate_with(raw: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    data = raw
    while data:
        inflater = zlib.decompressobj(wbits)
        while data:
            out += inflater.decompress(data, min(_INFLATE_STEP, limit + 1 - len(out)))
            if len(out) > limit:
                raise FetchError(f"body inflates to more than the {limit:,}-byte cap; refused "
                                 "as a possible decompression bomb")
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
        rest = inflater.unused_data if inflater.eof else b""
        data = rest if wbits > 16 and rest.startswith(_GZIP_MAGIC) else b""  # next member
    return bytes(out)


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
    detail = clean(str(err), 300)
    return f"{name}: {detail}"[:300] if detail else name
