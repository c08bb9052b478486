"""Fetching a source's bytes, over HTTP or from a local file, within hard limits.

httpx's own time-outs apply per read, so a server dripping one byte a second would never trip
them: the whole request runs under one deadline instead. The body cap is enforced while
streaming (after decompression), so a 1 GB body or a gzip bomb costs at most `max_bytes`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx


class FetchError(Exception):
    """The source could not be fetched; the message is short and safe to show and store."""


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    url: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


def make_client(*, timeout: float, user_agent: str, concurrency: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=5,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        headers={"User-Agent": user_agent, "Accept": "application/rss+xml, application/atom+xml"
                 ", application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
    )


async def fetch(location: str, *, client: httpx.AsyncClient, timeout: float, max_bytes: int,
                etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """Fetch `location` (http(s) URL or file path); raise FetchError on any failure."""
    if not location.lower().startswith(("http://", "https://")):
        return await asyncio.to_thread(_read_file, Path(location), max_bytes)
    try:
        async with asyncio.timeout(timeout):
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
                      "last_modified": resp.headers.get("last-modified")}
        if resp.status_code == 304:
            return Fetched(b"", str(resp.url), not_modified=True, **validators)
        if resp.status_code >= 400:
            raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
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


def _describe(err: httpx.HTTPError) -> str:
    name = type(err).__name__
    detail = str(err).strip()
    return f"{name}: {detail}"[:300] if detail else name
