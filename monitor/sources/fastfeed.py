"""Reading a defused feed document: feedparser-rs first, feedparser whenever the fast reading
could differ from feedparser's.

feedparser spends ~26 ms of CPU on a typical 50-item news feed, most of the cost of a new
entry; feedparser-rs (a Rust parser with feedparser's result shape) reads the same feed in
about a tenth of that (bench/parse.py). On feedparser's own test corpus it alone reads 92%
of the cases feedparser passes as feedparser does (97.5% once the encoding is ours); what
it reads differently is recognisable before anything is used, so feedparser reads the
document again when feedparser-rs
- raises, marks the document bozo (ill-formed XML, an undefined entity, nesting past its
  limit of 100 levels: feedparser's loose parser recovers in its own way), or names no
  RSS/Atom version;
- reads a different number of entries than the document has item or entry end tags (CDF,
  RSS in unusual namespaces, items it skips or caps);
- reads an entry without a date in a document that has date elements (feedparser knows
  more of them: Dublin Core terms, CDF's lastmod, …), or with a link that is empty
  (feedparser-rs blanks every URL to a loopback or private address, 127.0.0.1, 10.x,
  localhost: an intranet's feeds are news too) or not absolute (feedparser resolves it
  against xml:base and the Content-Location);
- reads an Atom title or summary that has no type attribute and holds markup or entities
  (feedparser-rs calls it HTML, Atom and feedparser say text: see `_entry`);
- or the document has a text construct that is neither text nor (X)HTML, base64 (which
  feedparser decodes), C1 control characters or references to them (which feedparser reads
  as windows-1252's quotes and dashes), or an XHTML body or a `fullitem` (text that only
  feedparser reads).
With these rules the reading matches feedparser's on ≥ 99% of the corpus's passing cases
(bench/parse.py prints the figure; tests/test_fastfeed.py checks it on a sample).

The input is already decoded, stripped of its DOCTYPE, refused if it declares entities and
cut to at most 2 × MAX_ENTRIES items (feeds.py): both readers see the same bounded bytes.
Both parsers would fetch a `str` that looks like a URL, so they are only ever given bytes.
feedparser is imported at its first reading: a daemon whose feeds all take the fast path
never loads it (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import feedparser_rs

__all__ = ["Document", "read_document"]

_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_TEXT_TYPE = re.compile(
    rb"<(?:[\w.-]+:)?(?:title|summary|content|subtitle|rights|tagline|info|copyright)\s"
    rb"[^<>]*?\btype\s*=\s*[\"']([^\"']*)[\"']"
)
# One search each: as one alternation they cost 20 times as much (3 ms on a 78 KB feed).
_ODD = tuple(
    re.compile(pattern)
    for pattern in (
        rb"mode\s*=\s*[\"']\s*base64",
        rb"<(?:[\w.-]+:)?(?:body|fullitem)[\s>]",
        rb"\xc2[\x80-\x9f]",
        rb"&#(?:0*1(?:2[89]|[3-5]\d)|[xX]0*[89][0-9a-fA-F]);",
    )
)
_TEXT_TYPES = frozenset(
    {
        b"text",
        b"html",
        b"xhtml",
        b"text/plain",
        b"text/html",
        b"application/xhtml+xml",
        b"escaped",
        b"xml",
    }
)
_UNTYPED = re.compile(rb"<(?:[\w.-]+:)?(title|summary)(?=[\s/>])(?![^<>]*\btype\s*=)[^<>]*>")
_DATE_ELEMENT = re.compile(
    rb"<(?:[\w.-]+:)?(?:[\w.-]*date|created|issued|modified|lastmod|published|updated)[\s/>]", re.I
)
_COPIED = frozenset({"text/plain", "text/html", "application/xhtml+xml"})
_DATES = ("published_parsed", "updated_parsed", "created_parsed")
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# feedparser's own first test of looks_like_html: text without one of these is never HTML.
_MAY_BE_HTML = (re.compile(r"</(\w+)>"), re.compile(r"&#?\w+;"))


@dataclass(frozen=True, slots=True)
class Document:
    """What feeds.py needs of a parse, whichever parser made it."""

    feed: dict[str, Any]  # "link", "ttl"
    entries: list[dict[str, Any]]  # feedparser's entry keys (see `_entry`)
    version: str
    bozo: bool = False
    problem: BaseException | None = None
    reader: str = "feedparser"  # or "feedparser-rs": which parser's reading this is
    why: str = field(default="", compare=False)  # why feedparser read it, when it did


def read_document(document: bytes, headers: dict[str, str], *, max_entries: int) -> Document:
    """The document's reading: feedparser-rs's when it passes the module's rules, else
    feedparser's (with the project's options: no sanitising, no URI rewriting)."""
    fast, why = _fast(document, max_entries)
    if fast is not None:
        return fast
    import feedparser

    parsed = feedparser.parse(
        io.BytesIO(document),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    return Document(
        parsed.feed,
        parsed.entries,
        parsed.get("version") or "",
        bool(parsed.get("bozo")),
        parsed.get("bozo_exception"),
        "feedparser",
        why,
    )


def _fast(document: bytes, max_entries: int) -> tuple[Document | None, str]:
    """feedparser-rs's reading, or None and the rule that sends the document to feedparser."""
    for pattern in _ODD:
        if (odd := pattern.search(document)) is not None:
            return None, f"has {odd.group()[:12]!r}"
    for found in _TEXT_TYPE.finditer(document):
        if found.group(1).strip().lower() not in _TEXT_TYPES:
            return None, "text construct of another type"
    limits = feedparser_rs.ParserLimits(max_entries=max_entries + 1)
    try:
        parsed = feedparser_rs.parse_with_limits(
            document, limits=limits, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as err:  # any failure of the fast path is feedparser's to handle
        return None, f"raised {type(err).__name__}"
    if parsed.bozo or not parsed.version:
        return None, "bozo" if parsed.bozo else "no version"
    ends = [found.end() for found in _ITEM_END.finditer(document)]
    if len(parsed.entries) != len(ends):
        return None, "entry count"
    atom = parsed.version.startswith("atom")
    entries = []
    for number, e in enumerate(parsed.entries):
        untyped = (
            _untyped(document, ends[number - 1] if number else 0, ends[number]) if atom else set()
        )
        entry = _entry(e, atom, untyped)
        if entry is None:
            return None, "untyped Atom text with markup"
        if not any(entry[name] for name in _DATES) and _DATE_ELEMENT.search(document):
            return None, "entry without a date"
        if not entry["link"]:  # feedparser-rs blanks links to loopback and private hosts
            return None, "entry without a link"
        if not _ABSOLUTE.match(entry["link"]):
            return None, "relative link"
        entries.append(entry)
    feed = {"link": parsed.feed.get("link"), "ttl": parsed.feed.get("ttl")}
    return Document(feed, entries, parsed.version, reader="feedparser-rs"), ""


def _untyped(document: bytes, start: int, end: int) -> set[str]:
    """The names among title and summary that the entry ending at `end` (the one after
    `start`) has without a type attribute; from its start tag when it can be found, else
    from `start` (which may count the feed's own title: then its text is only checked)."""
    begin = document.rfind(b"<entry", start, end)
    chunk = document[begin if begin >= 0 else start : end]
    return {name.decode() for name in _UNTYPED.findall(chunk)}


def _entry(e: Any, atom: bool, untyped: set[str]) -> dict[str, Any] | None:
    """A feedparser-rs entry as the plain dict feeds.py reads from a feedparser entry, or
    None when a text's type cannot be told: feedparser-rs calls an Atom title or summary
    without a type attribute HTML, where Atom (and feedparser) say text. Where the entry
    has such untyped elements, a text without markup or entities reads the same either way
    and is given feedparser's type; one with them might be either, so feedparser decides."""
    entry: dict[str, Any] = {"link": e.get("link") or "", "id": e.get("id") or ""}
    for name in ("title", "summary"):
        value = e.get(name) or ""
        kind = getattr(e.get(f"{name}_detail"), "type", "") or ""
        if not atom and name == "title":
            kind = _rss_title_kind(value)
        elif atom and kind == "text/html" and name in untyped:
            if "<" in value or "&" in value:
                return None
            kind = "text/plain"
        entry[name], entry[f"{name}_detail"] = value, {"type": kind}
    entry["content"] = [
        {"value": c.value or "", "type": c.type or ""} for c in e.get("content") or ()
    ]
    first = entry["content"][0] if entry["content"] else None
    copied = (
        first is not None
        and first["type"] in _COPIED
        and (not entry["summary"] or entry["summary"] == first["value"])
    )
    if copied:  # without a summary, both copy the content there; feedparser without its type
        entry["summary"], entry["summary_detail"] = first["value"], {}
    for name in _DATES:
        entry[name] = e.get(name)
    return entry


def _rss_title_kind(value: str) -> str:
    """The type feedparser gives an RSS title: RSS says none, and feedparser calls it HTML
    only when it looks like HTML (its own test); feedparser-rs calls every RSS title HTML."""
    if not any(pattern.search(value) for pattern in _MAY_BE_HTML):
        return "text/plain"  # feedparser's answer too, without loading it
    import feedparser

    looks_like_html = feedparser.mixin._FeedParserMixin.looks_like_html
    return "text/html" if looks_like_html(value) else "text/plain"
