"""RSS 0.9x/1.0/2.0 and Atom bytes → Entry records, defended against hostile feeds.

feedparser expands "safe" entities even when it strips the DOCTYPE: a 106 KB feed with one
100 KB entity used 2,000 times became a 200-million-character title and 670 MB of memory.
No news feed needs internal entity declarations, so a feed that declares any is refused,
and a plain DOCTYPE is removed before feedparser sees the bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

import feedparser

from monitor.records import Entry
from monitor.text import clean, html_to_text
from monitor.urls import canonical_url

MAX_ENTRIES = 500
MAX_TITLE = 500
MAX_TEXT = 100_000

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_PROLOG = 4096
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.I | re.S)
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_BOMS = (("utf-32", (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")),
         ("utf-16", (b"\xff\xfe", b"\xfe\xff")))


class FeedError(Exception):
    """The body is not a usable feed, or is refused as hostile."""


class Parsed(NamedTuple):
    entries: list[Entry]
    warnings: list[str]
    ttl: float | None  # RSS <ttl>: seconds the publisher asks us to wait between polls


def parse_feed(body: bytes, *, source: str, url: str,
               content_type: str | None = None) -> tuple[list[Entry], list[str]]:
    """Parse feed bytes; return its entries (newest first as the feed lists them) and
    warnings worth recording. Raises FeedError when nothing usable can be had."""
    parsed = parse_feed_full(body, source=source, url=url, content_type=content_type)
    return parsed.entries, parsed.warnings


def parse_feed_full(body: bytes, *, source: str, url: str,
                    content_type: str | None = None) -> Parsed:
    """parse_feed, plus what the feed says about polling it."""
    body = _defuse(_to_utf8(body))
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers,
                              sanitize_html=False, resolve_relative_uris=False)
    warnings = []
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        if not parsed.entries and not parsed.get("version"):
            raise FeedError(f"not an RSS or Atom feed ({_short(problem)})")
        if not isinstance(problem, _HARMLESS_BOZO):
            warnings.append(f"feed is not well-formed: {_short(problem)}")
    base = parsed.feed.get("link") or url
    entries = [_entry(e, source, base) for e in parsed.entries[:MAX_ENTRIES]]
    return Parsed([e for e in entries if e is not None], warnings, _ttl(parsed.feed))


def _ttl(feed: Any) -> float | None:
    value = str(feed.get("ttl") or "").strip()
    return float(value) * 60 if value.isdigit() and 0 < int(value) < 100_000 else None


def _to_utf8(body: bytes) -> bytes:
    """Byte-level defences need ASCII-compatible bytes: re-encode UTF-16/32 documents."""
    for codec, boms in _BOMS:
        if body.startswith(boms):
            text = body.decode(codec, errors="replace").lstrip("\ufeff")
            text = re.sub(r"^(<\?xml[^>]*?encoding=)[\"'][^\"']*[\"']", r'\1"utf-8"', text)
            return text.encode("utf-8")
    return body


def _defuse(body: bytes) -> bytes:
    if _ENTITY_DECL.search(body):
        raise FeedError("feed declares XML entities (<!ENTITY>); refused as a possible "
                        "entity-expansion attack")
    # A DOCTYPE belongs before the root element: look only there, so that a body of
    # repeated "<!DOCTYPE [" cannot make the (non-greedy) pattern scan quadratically.
    head = body[:_PROLOG]
    return _DOCTYPE.sub(b"", head, count=1) + body[_PROLOG:]


def _entry(e: Any, source: str, base: str) -> Entry | None:
    title = _text_of(e, "title", MAX_TITLE)
    summary = _text_of(e, "summary", MAX_TEXT)
    content = ""
    for part in e.get("content") or ():
        content = _as_text(part.get("value", ""), part.get("type", ""), MAX_TEXT)
        if content:
            break
    if content == summary:
        content = ""
    link = canonical_url(e.get("link", ""), base)
    key = clean(e.get("id") or "", 2000) or link or _content_key(title, summary)
    if not (title or summary or content):
        return None
    return Entry(source=source, key=key, url=link, title=title, summary=summary,
                 content=content, published=_date(e))


def _text_of(e: Any, name: str, limit: int) -> str:
    value = e.get(name) or ""
    detail = e.get(f"{name}_detail") or {}
    return _as_text(value, detail.get("type", ""), limit)


def _as_text(value: str, kind: str, limit: int) -> str:
    if "html" in kind or (kind == "" and "<" in value):
        return html_to_text(value, limit)
    return clean(value, limit)


def _content_key(title: str, summary: str) -> str:
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


def _date(e: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = e.get(name)
        if value:
            try:
                return datetime(*value[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _short(problem: Any) -> str:
    text = str(problem or "unknown problem").strip().splitlines()
    return (text[0] if text else type(problem).__name__)[:200]
