"""JSON Feed 1.0 and 1.1 bytes → Entry records, with the same bounds as RSS and Atom.

JSON has no entities to expand, so the defences here are about shape: the body must be a JSON
object with an `items` list (else FeedError); any item that is not an object, or that has
neither text nor a URL, is skipped with a warning; every field is type-checked (a title that
is a number or a list counts as missing) and cut to MAX_TITLE / MAX_TEXT; at most MAX_ENTRIES
items are read, the newest by date (a feed listed oldest first keeps what it just added);
nesting deep enough to exhaust the decoder's recursion is refused. An integer
too long for Python's int() (4,300 digits) reads as a float rather than failing the feed.

One bad item costs that item: each text field is converted on its own, a field that fails is
dropped, an item that fails as a whole is skipped, and either is reported in
`Parsed.problems` (see `items`) by `parse_json_feed_full`.

Choices:
- key: the item's `id` (a number is coerced to a string, as the spec asks), else its URL, else
  a hash of its text (as feeds.py does).
- url: `url`, else `external_url`, resolved against `home_page_url` (itself resolved against
  the feed's URL) and put in canonical form; javascript:, data: and the like become "".
- An item with a URL but no text is kept: a source with `fetch_article` gets its text later.
- date: `date_published`, else `date_modified`, parsed by `iso_datetime` (also used for
  sitemaps); an unparsable date is None, never an error.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from monitor.records import Entry
from monitor.sources.feeds import MAX_ENTRIES, MAX_TEXT, MAX_TITLE, FeedError, Parsed, newest
from monitor.sources.items import ItemText, Problems, reason
from monitor.text import clean, own_thread
from monitor.urls import canonical_url

__all__ = ["parse_json_feed", "parse_json_feed_full", "looks_like_json_feed", "iso_datetime"]

_JSON_TYPES = frozenset({"application/feed+json", "application/json"})
_VERSION = re.compile(rb'"version"\s*:\s*"https?://(?:www\.)?jsonfeed\.org/version/', re.I)
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")
_UTF8_BOM = b"\xef\xbb\xbf"
_MAX_DATE_CHARS = 64
_MAX_INT_DIGITS = 4000  # below CPython's int() limit of 4,300 digits


def looks_like_json_feed(body: bytes, content_type: str | None) -> bool:
    """Whether feed bytes should go to `parse_json_feed` rather than the RSS/Atom parser.

    A JSON content type decides, unless the body plainly is markup (a feed mislabelled as
    JSON); any other body decides by itself: an object whose "version" is a jsonfeed.org URL.
    """
    start = body[:4096].removeprefix(_UTF8_BOM).lstrip()
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _JSON_TYPES:
        return not start.startswith(b"<")
    return start.startswith(b"{") and _VERSION.search(body) is not None


def parse_json_feed(body: bytes, *, source: str,
                    url: str) -> tuple[list[Entry], list[str]]:
    """Parse JSON Feed bytes; return its entries (in feed order, newest first by convention)
    and warnings worth recording. Raises FeedError when the body is not a JSON Feed."""
    parsed = parse_json_feed_full(body, source=source, url=url)
    return parsed.entries, parsed.warnings


@own_thread
def parse_json_feed_full(body: bytes, *, source: str, url: str) -> Parsed:
    """parse_json_feed, plus the problems of its items (`ttl` is always None)."""
    try:
        feed = json.loads(body, parse_int=_integer)
    except RecursionError:
        raise FeedError("not a JSON Feed: JSON nested too deeply") from None
    except ValueError as err:  # JSONDecodeError, or bytes that are no Unicode at all
        raise FeedError(f"not a JSON Feed: invalid JSON ({_short(err)})") from None
    if not isinstance(feed, dict):
        raise FeedError(f"not a JSON Feed: the document is a JSON {_kind(feed)}, not an object")
    items = feed.get("items")
    if not isinstance(items, list):
        raise FeedError("not a JSON Feed: no `items` list")
    warnings = []
    version = feed.get("version")
    if not (isinstance(version, str) and "jsonfeed.org/version/" in version):
        warnings.append(f"version is not a JSON Feed URL ({_short(repr(version))}); read as 1.1")
    numbered = list(enumerate(items, start=1))
    if len(items) > MAX_ENTRIES:
        warnings.append(f"feed lists {len(items)} items; only its newest {MAX_ENTRIES} are "
                        "read")
        numbered = newest(numbered, MAX_ENTRIES, _item_date)
    base = _base(feed.get("home_page_url"), url)
    entries, problems = [], Problems()
    for number, item in numbered:
        if not isinstance(item, dict):
            warnings.append(f"item {number} skipped: a JSON {_kind(item)}, not an object")
            continue
        label = _string(item.get("title")) or _string(item.get("url"))
        try:
            entry = _entry(item, source, base, problems.item(number, label))
        except Exception as err:  # one item's failure costs that item
            problems.add(number, label, f"skipped: {reason(err)}")
            continue
        if entry is None:
            warnings.append(f"item {number} skipped: no text and no URL")
            continue
        entries.append(entry)
    return Parsed(entries, warnings, None, problems.result())


def _item_date(numbered: tuple[int, Any]) -> datetime | None:
    """An item's date for choosing the newest, before the item itself is read."""
    item = numbered[1]
    if not isinstance(item, dict):
        return None
    return iso_datetime(item.get("date_published")) or iso_datetime(item.get("date_modified"))


def iso_datetime(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 / W3C date-time as an aware UTC datetime, or None.

    Also accepts what real feeds and sitemaps write instead: a bare date, a year-month or a
    year (W3C datetime allows them), a space for the "T", and RFC 822 dates. A time without a
    zone is taken as UTC.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_DATE_CHARS:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _partial_date(text) or _rfc822(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 at +01:00 is before datetime.min
        return None


def _partial_date(text: str) -> datetime | None:
    m = _YEAR_MONTH.fullmatch(text)
    if m is None:
        return None
    try:
        return datetime(int(m[1]), int(m[2] or 1), 1)
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _base(home_page_url: Any, url: str) -> str:
    """The URL relative item links are resolved against: the site's home page when the feed
    names a usable one, else the feed's own URL."""
    if isinstance(home_page_url, str) and home_page_url.strip():
        try:
            home = urljoin(url, home_page_url.strip())
            if urlsplit(home).scheme.lower() in ("http", "https"):
                return home
        except ValueError:
            pass
    return url


def _entry(item: dict[str, Any], source: str, base: str, text: ItemText) -> Entry | None:
    title = text.part("title", lambda: clean(_string(item.get("title")), MAX_TITLE))
    summary = text.part("summary", lambda: clean(_string(item.get("summary")), MAX_TEXT))
    content = text.html("content_html", _string(item.get("content_html")), MAX_TEXT)
    if not content:
        content = text.part("content_text",
                            lambda: clean(_string(item.get("content_text")), MAX_TEXT))
    if content == summary:
        content = ""
    link = (canonical_url(_string(item.get("url")), base)
            or canonical_url(_string(item.get("external_url")), base))
    if not (title or summary or content or link):
        return None
    key = clean(_identifier(item.get("id")), 2000) or link or _content_key(title, summary)
    published = iso_datetime(item.get("date_published")) or iso_datetime(
        item.get("date_modified"))
    return Entry(source=source, key=key, url=link, title=title, summary=summary,
                 content=content, published=published)


def _integer(digits: str) -> int | float:
    """A JSON integer; one too long for int() becomes a float (inf) instead of an error
    that would lose the whole feed."""
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else float(digits)


def _content_key(title: str, summary: str) -> str:
    """The key feeds.py gives an item with neither id nor link (same formula, same keys)."""
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _identifier(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return _string(value)


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = str(value).strip().splitlines()
    return (text[0] if text else "")[:200]
