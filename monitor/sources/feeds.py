"""RSS 0.9x/1.0/2.0 and Atom bytes → Entry records, defended against hostile feeds.

feedparser expands "safe" entities even when it strips the DOCTYPE: a 106 KB feed with one
100 KB entity used 2,000 times became a 200-million-character title and 670 MB of memory.
No news feed needs internal entity declarations, so a feed that declares any is refused,
and a plain DOCTYPE is removed before any parser sees the document. Both checks read the
decoded text (`xmltext`: UTF-16/32 with or without a BOM, EBCDIC, any declared charset), and
the parser is handed that text as UTF-8: feedparser-rs, or feedparser wherever feedparser-rs
would read it differently (`fastfeed`: a tenth of the CPU on a typical news feed).

One bad item costs that item: each item's title, summary and content are converted on their
own; a part that fails is dropped, an item that fails as a whole is skipped, and either is
reported in `Parsed.problems` (see `items`), apart from the feed's benign warnings.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from monitor.records import Entry
from monitor.sources.fastfeed import read_document
from monitor.sources.items import ItemText, Problems, reason
from monitor.sources.xmltext import (
    declares_entities,
    decode_xml,
    strip_doctype,
    utf8_content_type,
    utf8_document,
)
from monitor.text import clean, own_thread
from monitor.urls import canonical_url

MAX_ENTRIES = 500
MAX_TITLE = 500
MAX_TEXT = 100_000


def _harmless(problem: BaseException | None) -> bool:
    """feedparser's notes that are no fault of the feed (a charset it overrode, a text/xml
    type). Only feedparser's readings are bozo, so asking loads nothing new."""
    import feedparser

    return isinstance(problem, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType))


class FeedError(Exception):
    """The body is not a usable feed, or is refused as hostile."""


class Parsed(NamedTuple):
    entries: list[Entry]
    warnings: list[str]
    ttl: float | None  # RSS <ttl>: seconds the publisher asks us to wait between polls
    problems: list[str]  # item-level failures: `item 3 ("Title…"): summary dropped: …`


def parse_feed(
    body: bytes, *, source: str, url: str, content_type: str | None = None
) -> tuple[list[Entry], list[str]]:
    """Parse feed bytes; return its entries (newest first as the feed lists them) and
    warnings worth recording. Raises FeedError when nothing usable can be had."""
    parsed = parse_feed_full(body, source=source, url=url, content_type=content_type)
    return parsed.entries, parsed.warnings


@own_thread
def parse_feed_full(
    body: bytes, *, source: str, url: str, content_type: str | None = None
) -> Parsed:
    """parse_feed, plus what the feed says about polling it and the problems of its items."""
    document = _defused(body, content_type)
    headers = {"content-location": url}
    if utf8_type := utf8_content_type(content_type):  # the charset is ours now
        headers["content-type"] = utf8_type
    parsed = read_document(document, headers, max_entries=2 * MAX_ENTRIES)
    warnings = []
    if parsed.bozo:
        problem = parsed.problem
        if not parsed.entries and not parsed.version:
            raise FeedError(f"not an RSS or Atom feed ({_short(problem)})")
        if not _harmless(problem):
            warnings.append(f"feed is not well-formed: {_short(problem)}")
    base = parsed.feed.get("link") or url
    entries, problems = _entries(newest(parsed.entries, MAX_ENTRIES), source, base)
    return Parsed(entries, warnings, _ttl(parsed.feed), problems)


def _ttl(feed: Any) -> float | None:
    value = str(feed.get("ttl") or "").strip()
    return float(value) * 60 if value.isdigit() and 0 < int(value) < 100_000 else None


def _defused(body: bytes, content_type: str | None) -> bytes:
    """The feed as UTF-8 without a DOCTYPE and with at most 2 × MAX_ENTRIES items (its first
    and its last, see `edge_items`); FeedError if its text declares entities."""
    text = decode_xml(body, content_type).text
    if declares_entities(text):
        raise FeedError(
            "feed declares XML entities (<!ENTITY>); refused as a possible entity-expansion attack"
        )
    return utf8_document(edge_items(strip_doctype(text), MAX_ENTRIES))


_ITEM = r"(?:[\w.-]+:)?(?:item|entry)"
_ITEM_END = re.compile(rf"</{_ITEM}\s*>")
_MARK = re.compile(r"<!\[CDATA\[|<!--|<\?|<(/?)([\w.:-]+)[^<>]*?(/?)>")
_CLOSERS = {"<![CDATA[": "]]>", "<!--": "-->", "<?": "?>"}
_IS_ITEM = re.compile(_ITEM)


def first_items(text: str, keep: int) -> str:
    """The document cut after its `keep`-th item and closed again, when it has more.

    feedparser builds every item of a document before we keep the first MAX_ENTRIES: a
    10 MB feed of 70,000 tiny items took 9 s and 175 MB here. The cut keeps exactly the
    items that were kept before, for a fraction of that. The elements still open at the cut
    (rss and channel, feed, rdf:RDF) are closed again in order. One pass over the text up
    to the cut; CDATA sections, comments and processing instructions are skipped whole.
    """
    if len(_ITEM_END.findall(text)) <= keep:  # the usual case, at C speed
        return text
    stack: list[str] = []  # elements open outside items
    items, inside = 0, False
    for closing, name, empty, end in _tags(text):
        if _IS_ITEM.fullmatch(name):
            inside = not closing and not empty
            items += bool(closing or empty)
            if items == keep and (closing or empty):
                cut, outside = end, list(stack)
            elif items > keep:
                return text[:cut] + "".join(f"</{n}>" for n in reversed(outside))
        elif not inside:
            _track(stack, closing, name, empty)
    return text


def newest(
    items: list[Any], keep: int, date_of: Callable[[Any], datetime | None] | None = None
) -> list[Any]:
    """The `keep` newest items by date (`date_of`, by default a feedparser entry's), in
    document order; undated ones (by document order) only fill what the dated ones leave.
    A feed is cut to its newest items, not its first: a feed that lists the oldest first
    must not lose what it just added."""
    if len(items) <= keep:
        return items
    dates = [(date_of or _date)(e) for e in items]
    dated = sorted(
        (i for i, d in enumerate(dates) if d is not None), key=lambda i: dates[i], reverse=True
    )  # type: ignore[arg-type, return-value]
    chosen = set(dated[:keep])
    chosen.update([i for i, d in enumerate(dates) if d is None][: keep - len(chosen)])
    return [e for i, e in enumerate(items) if i in chosen]


def edge_items(text: str, keep: int) -> str:
    """The document with only its first `keep` and its last `keep` items, when it has more.

    The same bound on the parser's work as `first_items` (twice the items, whatever the
    document holds), but a feed listed oldest first keeps its newest items too: `newest`
    then picks among both ends. The middle is cut out only where the elements open around
    both cut points are the same (it closes nothing it does not reopen); otherwise the
    document is cut after its first `keep` items as `first_items` does.
    """
    if len(_ITEM_END.findall(text)) <= 2 * keep:  # the usual case, at C speed
        return text
    spans: list[tuple[int, int, tuple[str, ...]]] = []  # each item's start, end, and parents
    stack: list[str] = []
    inside, start = False, 0
    for closing, name, empty, end, begin in _tags(text, starts=True):
        if _IS_ITEM.fullmatch(name):
            if not closing:
                start = begin
            inside = not closing and not empty
            if closing or empty:
                spans.append((start, end, tuple(stack)))
        elif not inside:
            _track(stack, closing, name, empty)
    if len(spans) <= 2 * keep:
        return text
    head, tail = spans[keep - 1], spans[len(spans) - keep]
    if head[2] == tail[2] and tail[0] >= head[1]:
        return text[: head[1]] + text[tail[0] :]
    return first_items(text, keep)  # rare: a second pass, up to the cut


def _track(stack: list[str], closing: str, name: str, empty: str) -> None:
    if closing:
        if name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name) :]
    elif not empty:
        stack.append(name)


def _tags(text: str, starts: bool = False) -> Iterator[Any]:
    """(closing "/", name, empty "/", end offset) of each tag, in order; with `starts`, the
    tag's start offset too."""
    position = 0
    while (found := _MARK.search(text, position)) is not None:
        token = found.group()
        closer = _CLOSERS.get(token)
        if closer is not None:
            close = text.find(closer, found.end())
            if close < 0:
                return
            position = close + len(closer)
            continue
        position = found.end()
        if starts:
            yield found.group(1), found.group(2), found.group(3), position, found.start()
        else:
            yield found.group(1), found.group(2), found.group(3), position


def _entries(items: list[Any], source: str, base: str) -> tuple[list[Entry], list[str]]:
    problems = Problems()
    entries = []
    for number, e in enumerate(items, start=1):
        label = str(e.get("title") or e.get("link") or "")
        try:
            entry = _entry(e, source, base, problems.item(number, label))
        except Exception as err:  # one item's failure costs that item
            problems.add(number, label, f"skipped: {reason(err)}")
            continue
        if entry is not None:
            entries.append(entry)
    return entries, problems.result()


def _entry(e: Any, source: str, base: str, item: ItemText) -> Entry | None:
    title = _text_of(e, "title", MAX_TITLE, item)
    summary = _text_of(e, "summary", MAX_TEXT, item)
    content = ""
    for part in e.get("content") or ():
        content = _as_text(item, "content", part.get("value", ""), part.get("type", ""), MAX_TEXT)
        if content:
            break
    if content == summary:
        content = ""
    link = canonical_url(e.get("link", ""), base)
    key = clean(e.get("id") or "", 2000) or link or _content_key(title, summary)
    if not (title or summary or content or link):  # a link alone (a media post) is news
        return None
    return Entry(
        source=source,
        key=key,
        url=link,
        title=title,
        summary=summary,
        content=content,
        published=_date(e),
    )


def _text_of(e: Any, name: str, limit: int, item: ItemText) -> str:
    value = e.get(name) or ""
    detail = e.get(f"{name}_detail") or {}
    return _as_text(item, name, value, detail.get("type", ""), limit)


def _as_text(item: ItemText, name: str, value: str, kind: str, limit: int) -> str:
    if "html" in kind or (kind == "" and "<" in value):
        return item.html(name, value, limit)
    return item.part(name, lambda: clean(value, limit))


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
