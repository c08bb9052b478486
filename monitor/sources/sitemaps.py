"""Sitemaps (plain, Google News, sitemap indexes; XML, gzipped XML or plain text) → Entry
records or child sitemap URLs.

Defences, since a sitemap is as untrusted as a feed:
- gzip (a body starting with 1f 8b) is inflated incrementally to at most `max_bytes`
  decompressed bytes (the source's byte cap; MAX_XML, 50 MB, the protocol's own limit, by
  default): a gzip bomb fails with FeedError after at most that much, and a body of
  thousands of tiny gzip members costs linear time. A plain body over `max_bytes` is refused.
- The document is decoded as an XML parser would (`xmltext`: BOM, UTF-16/32 and EBCDIC
  patterns, the declared encoding; UTF-8 by default), and the *text* is checked: no sitemap
  needs entity declarations, so one that declares any is refused, and a DOCTYPE in the
  prolog is removed (looked for only there, so "<!DOCTYPE [" repeated costs linear time).
  expat, handed the text as UTF-8, then refuses any DOCTYPE, entity declaration or external
  entity it still meets, and never loads external DTDs.
- The document is read as a stream; memory holds at most MAX_ENTRIES entries and
  MAX_CHILDREN children, however many <url>s the sitemap lists.
- One bad <url> costs that url: a <loc> longer than _FIELD_CHARS (which would be cut into a
  wrong URL) or any failure while reading one is skipped and reported in
  `Sitemap.problems` (see `items`).

Choices:
- Namespaces: the sitemap elements are matched by name in the root's namespace (the standard
  http://www.sitemaps.org/schemas/sitemap/0.9, an older one, or none), so image:loc and
  xhtml:link inside a <url> are never mistaken for its <loc>; news fields are read from any
  namespace whose URI contains "sitemap-news" (Google's .../sitemap-news/0.9).
- An entry's date is news:publication_date, else <lastmod>. With `max_age_days`, dated urls
  older than that (before `now`) are dropped; undated ones are kept, since their age is
  unknown.
- Order and bounds: dated entries newest first (at most MAX_ENTRIES, the newest), then
  undated ones, last listed first (CMSs append new pages at the end of plain sitemaps), until
  MAX_ENTRIES in all. Entries are deduplicated by canonical URL.
- Children of an index: those with <lastmod> newest first, then those without in document
  order; at most MAX_CHILDREN. Children are not filtered by age: a stale <lastmod> on an
  index must not silence a source.
- Trailing junk after the closing root tag (a CMS's debug output) is ignored; any other XML
  error is a FeedError.
- A plain-text sitemap (one URL a line, as the protocol allows) is read too.
"""

from __future__ import annotations

import heapq
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from xml.parsers import expat

from monitor.records import Entry
from monitor.sources.feeds import MAX_ENTRIES, MAX_TITLE, FeedError
from monitor.sources.items import Problems, reason
from monitor.sources.jsonfeed import iso_datetime
from monitor.sources.xmltext import declares_entities, decode_xml, strip_doctype, utf8_document
from monitor.text import clean
from monitor.urls import canonical_url

__all__ = ["Sitemap", "parse_sitemap"]

MAX_XML = 50 * 1024 * 1024
MAX_CHILDREN = 50
MAX_TEXT_LINES = 50_000

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_STEP = 4096  # compressed bytes first fed to a gzip member, doubled up to _GZIP_MAX_STEP
_GZIP_MAX_STEP = 1 << 20
_FIELD_CHARS = 4096  # characters kept of one <loc>, <lastmod> or <news:title>
_NEWS_NS = "sitemap-news"
_ROOTS = ("urlset", "sitemapindex")
_FEED_ROOTS = ("rss", "feed", "RDF")
_JUNK_AFTER_ROOT = expat.errors.codes[expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]


@dataclass(frozen=True, slots=True)
class Sitemap:
    children: tuple[str, ...]  # for a <sitemapindex>: child sitemap URLs, newest first
    entries: tuple[Entry, ...]  # for a <urlset>: one Entry per <url>
    problems: tuple[str, ...] = ()  # urls skipped: `item 7 ("https://…"): skipped: …`


def parse_sitemap(body: bytes, *, source: str, url: str, max_age_days: float | None = 2,
                  now: datetime | None = None, max_bytes: int = MAX_XML) -> Sitemap:
    """Parse sitemap bytes. Raises FeedError for anything that is not a sitemap, and for a
    hostile one (gzip bomb, entity declarations, more than `max_bytes` of XML).

    `now` (default: the current time) is what `max_age_days` counts back from."""
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body, max_bytes)
    elif len(body) > max_bytes:
        raise FeedError(f"sitemap is larger than {max_bytes:,} bytes")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    cutoff = None if max_age_days is None else now - timedelta(days=max_age_days)
    text = decode_xml(body).text
    del body
    start = text[:4096].lstrip()
    if start[:8].lower().startswith(("http://", "https://")):
        entries = _Entries(source, cutoff)
        _read_text(text, entries.add)
        return Sitemap(children=(), entries=entries.result())
    if declares_entities(text):
        raise FeedError("sitemap declares XML entities (<!ENTITY>); refused as a possible "
                        "entity-expansion attack")
    return _read_xml(utf8_document(strip_doctype(text)), source, url, cutoff)


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Inflate every gzip member, refusing to produce more than `max_bytes` bytes.

    Each member is fed in growing slices, so the rest of the body is never copied per
    member (zlib copies its unused input: 80,000 empty members cost 1.1 s that way)."""
    out = bytearray()
    view = memoryview(body)
    position = 0
    while body.startswith(_GZIP_MAGIC, position):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        step = _GZIP_STEP
        while not inflater.eof:
            chunk = view[position:position + step]
            if not chunk:
                raise FeedError("gzipped sitemap is truncated")
            try:
                out += inflater.decompress(chunk, max_bytes + 1 - len(out))
            except zlib.error as err:
                raise FeedError(f"sitemap is not valid gzip ({err})") from None
            if len(out) > max_bytes or inflater.unconsumed_tail:
                raise FeedError(f"gzipped sitemap inflates to more than {max_bytes:,} bytes; "
                                "refused as a possible gzip bomb")
            position += len(chunk) - len(inflater.unused_data)
            step = min(2 * step, _GZIP_MAX_STEP)
    return bytes(out)  # after the last member: trailing padding, ignored


def _read_text(text: str, add: Callable[[str, str, datetime | None], None]) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if number > MAX_TEXT_LINES:
            break
        line = line.strip()
        if not line:
            continue
        loc = canonical_url(line)
        if not loc:
            raise FeedError(f"not a sitemap: line {number} of a text sitemap is not a URL")
        add(loc, "", None)


def _read_xml(body: bytes, source: str, url: str, cutoff: datetime | None) -> Sitemap:
    entries = _Entries(source, cutoff)
    children = _Children()
    reader = _Reader(url, entries.add, children.add)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.data
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    try:
        parser.Parse(body, True)
    except expat.ExpatError as err:
        if not (reader.done and err.code == _JUNK_AFTER_ROOT):
            raise FeedError(f"not a sitemap: XML error ({expat.ErrorString(err.code)} at "
                            f"line {err.lineno}, column {err.offset})") from None
    if reader.root is None:
        raise FeedError("not a sitemap: no root element")
    problems = tuple(reader.problems.result())
    if reader.root == "sitemapindex":
        return Sitemap(children=children.result(), entries=(), problems=problems)
    return Sitemap(children=(), entries=entries.result(), problems=problems)


def _refuse_doctype(*_args: object) -> None:
    raise FeedError("sitemap has a DOCTYPE declaration; refused")


def _refuse_entity(*_args: object) -> int:
    raise FeedError("sitemap declares or references XML entities; refused as a possible "
                    "entity-expansion attack")


class _Reader:
    """expat callbacks: turns <url> and <sitemap> elements into (loc, title, date) calls."""

    def __init__(self, url: str, on_url: Callable[[str, str, datetime | None], None],
                 on_child: Callable[[str, datetime | None], None]):
        self.url, self.on_url, self.on_child = url, on_url, on_child
        self.root: str | None = None
        self.namespace = ""
        self.done = False  # the root element has closed
        self.depth = 0
        self.record: dict[str, str] | None = None  # fields of the current <url>/<sitemap>
        self.in_news = False
        self.field: str | None = None  # the field whose text is being read
        self.field_depth = 0
        self.text: list[str] = []
        self.size = 0
        self.records = 0  # <url>/<sitemap> elements met
        self.overlong: set[str] = set()  # fields of the current record cut at _FIELD_CHARS
        self.problems = Problems()

    def start(self, name: str, _attrs: object) -> None:
        namespace, _, local = name.rpartition(" ")
        self.depth += 1
        if self.depth == 1:
            if local not in _ROOTS:
                hint = " (a feed: make it a `feed:` source)" if local in _FEED_ROOTS else ""
                raise FeedError(f"not a sitemap: the document is <{local[:50]}>, not <urlset> "
                                f"or <sitemapindex>{hint}")
            self.root, self.namespace = local, namespace
            return
        if self.record is None:
            record = "url" if self.root == "urlset" else "sitemap"
            if self.depth == 2 and local == record and namespace == self.namespace:
                self.record, self.records = {}, self.records + 1
                self.overlong.clear()
            return
        if self.field is not None:
            return
        if self.depth == 3:
            if namespace == self.namespace and local in ("loc", "lastmod"):
                self._begin(local)
            elif local == "news" and _NEWS_NS in namespace:
                self.in_news = True
        elif (self.depth == 4 and self.in_news and _NEWS_NS in namespace
              and local in ("publication_date", "title")):
            self._begin(f"news:{local}")

    def _begin(self, field: str) -> None:
        self.field, self.field_depth = field, self.depth
        self.text, self.size = [], 0

    def data(self, text: str) -> None:
        if self.field is not None and self.size < _FIELD_CHARS:
            self.text.append(text[:_FIELD_CHARS - self.size])
            self.size += len(text)
            if self.size > _FIELD_CHARS:
                self.overlong.add(self.field)

    def end(self, _name: str) -> None:
        if self.field is not None and self.depth == self.field_depth:
            if self.record is not None:
                self.record.setdefault(self.field, "".join(self.text).strip())
            self.field = None
        elif self.depth == 3:
            self.in_news = False
        elif self.depth == 2 and self.record is not None:
            self._emit_safely(self.record)
            self.record = None
        elif self.depth == 1:
            self.done = True
        self.depth -= 1

    def _emit_safely(self, record: dict[str, str]) -> None:
        """One bad <url> costs that url: a cut <loc> would be a wrong URL, and any failure
        is reported instead of ending the parse."""
        label = record.get("loc", "")
        if "loc" in self.overlong:
            self.problems.add(self.records, label,
                              f"skipped: <loc> longer than {_FIELD_CHARS:,} characters")
            return
        try:
            self._emit(record)
        except Exception as err:
            self.problems.add(self.records, label, f"skipped: {reason(err)}")

    def _emit(self, record: dict[str, str]) -> None:
        loc = canonical_url(record.get("loc", ""), self.url)
        if not loc:
            return
        lastmod = iso_datetime(record.get("lastmod"))
        if self.root == "sitemapindex":
            self.on_child(loc, lastmod)
        else:
            published = iso_datetime(record.get("news:publication_date")) or lastmod
            self.on_url(loc, clean(record.get("news:title", ""), MAX_TITLE), published)


class _Entries:
    """The entries kept: dated newest first, then undated last listed first, bounded."""

    def __init__(self, source: str, cutoff: datetime | None):
        self.source, self.cutoff = source, cutoff
        self.dated: list[tuple[datetime, int, Entry]] = []  # a min-heap of the newest
        self.undated: deque[Entry] = deque(maxlen=MAX_ENTRIES)
        self.order = count()

    def add(self, loc: str, title: str, published: datetime | None) -> None:
        entry = Entry(source=self.source, key=loc, url=loc, title=title, summary="",
                      published=published)
        if published is None:
            self.undated.append(entry)
        elif self.cutoff is None or published >= self.cutoff:
            # ties keep document order: of two entries with one date, the first listed wins
            item = (published, -next(self.order), entry)
            if len(self.dated) < MAX_ENTRIES:
                heapq.heappush(self.dated, item)
            else:
                heapq.heappushpop(self.dated, item)

    def result(self) -> tuple[Entry, ...]:
        ordered = [e for *_, e in sorted(self.dated, key=lambda i: i[:2], reverse=True)]
        ordered.extend(reversed(self.undated))
        unique: dict[str, Entry] = {}
        for entry in ordered:
            unique.setdefault(entry.key, entry)
            if len(unique) >= MAX_ENTRIES:
                break
        return tuple(unique.values())


class _Children:
    """Child sitemaps kept: dated newest first, then undated in document order, bounded."""

    def __init__(self) -> None:
        self.dated: list[tuple[datetime, int, str]] = []
        self.undated: list[str] = []
        self.order = count()

    def add(self, loc: str, lastmod: datetime | None) -> None:
        if lastmod is None:
            if len(self.undated) < MAX_CHILDREN:
                self.undated.append(loc)
            return
        item = (lastmod, -next(self.order), loc)
        if len(self.dated) < MAX_CHILDREN:
            heapq.heappush(self.dated, item)
        else:
            heapq.heappushpop(self.dated, item)

    def result(self) -> tuple[str, ...]:
        ordered = [loc for *_, loc in sorted(self.dated, reverse=True)]
        return tuple(dict.fromkeys(ordered + self.undated))[:MAX_CHILDREN]
