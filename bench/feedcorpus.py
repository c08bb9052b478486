"""feedparser's own test feeds as a yardstick: which cases feedparser passes, and whether
another parser reads those the way feedparser does.

A case is one file of the corpus whose header comment carries an `Expect:` expression (and
optionally `Header: Content-type: …` lines, the HTTP headers feedparser's test server sends
with it; without one the server sends `application/xml`). feedparser passes a case when
`feedparser.parse(body, response_headers=headers)`, with its defaults, makes the expression
true; the expression is evaluated as feedparser's test suite does, over the parse result.

A reader's *reading* of a case is:
- encoding: the codec the document was decoded with (as `codecs.lookup(...).name`);
- entries: for each entry, in document order,
  - title: the title as the daemon shows it: markup (an HTML title, or a title with "<")
    turned into text by `html_to_text`, plain text cleaned by `clean`, as `feeds._as_text`
    does; so a title that differs only in markup the daemon removes anyway matches;
  - link: the entry's `link`, stripped of surrounding white space, byte for byte otherwise;
  - date: the first of published, updated, created as a UTC datetime to the second (the
    date the daemon keeps, `feeds._date`), or None.
A reading *agrees* with feedparser's when the encodings are equal, the entry counts are
equal, and every entry's title, link and date are equal. A reader that raises disagrees. A
reader that does not say which encoding it read (fastfeedparser) agrees on the encoding when
it agrees on everything else: its text is then what a right decoding gives.

The daemon's own paths (feedparser as the project calls it, and the chosen path) read the
case as `parse_feed_full` does: the same HTTP Content-Type, the document decoded and
defused by `xmltext` (whose codec is their encoding), entity-declaring documents refused
(a refusal reads as no entries, which disagrees unless feedparser read none either).
"""

from __future__ import annotations

import codecs
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from monitor.text import clean, html_to_text

CORPUS = Path(
    os.environ.get("NEWS_MONITOR_FEED_CORPUS")
    or Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser-tests"
)
_COMMENT = re.compile(rb"<!--(.*?)-->", re.S)
_FIELD = re.compile(r"^\s*(Description|Expect|Header):\s*(.*?)\s*$", re.M)


@dataclass(frozen=True, slots=True)
class Case:
    path: Path
    body: bytes
    expect: str
    headers: dict[str, str]

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/xml")


@dataclass(frozen=True, slots=True)
class Reading:
    encoding: str | None  # None: the reader does not say
    entries: tuple[tuple[str, str, datetime | None], ...]

    def agrees(self, reference: Reading) -> bool:
        if self.entries != reference.entries:
            return False
        return self.encoding is None or self.encoding == reference.encoding


def load(root: Path = CORPUS) -> list[Case]:
    """Every case under root with an Expect line, in path order."""
    cases = []
    for path in sorted(root.rglob("*.xml")):
        body = path.read_bytes()
        comment = _COMMENT.search(body[:4096])
        if comment is None:
            continue
        fields = _FIELD.findall(comment.group(1).decode("latin-1"))
        expect = next((v for k, v in fields if k == "Expect"), None)
        if expect is None:
            continue
        headers = {}
        for key, value in fields:
            if key == "Header" and ":" in value:
                name, _, content = value.partition(":")
                headers[name.strip().lower()] = content.strip()
        headers.setdefault("content-type", "application/xml")
        cases.append(Case(path, body, expect, headers))
    return cases


def reference_parse(case: Case) -> Any:
    """feedparser with its defaults, as its own test suite runs it."""
    return feedparser.parse(case.body, response_headers=dict(case.headers))


def passes(case: Case, result: Any) -> bool:
    """Whether feedparser's result makes the case's Expect expression true."""
    scope = {"time": time, "datetime": __import__("datetime")}
    try:
        return bool(eval(case.expect, scope, result))  # noqa: S307 - the corpus's own tests
    except Exception:
        return False


def show_title(value: str, kind: str) -> str:
    if "html" in kind or (kind == "" and "<" in value):
        return html_to_text(value, 500)
    return clean(value, 500)


def as_date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def entry_date(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        if (date := as_date(entry.get(name))) is not None:
            return date
    return None


def feedparser_like(result: Any, encoding: str | None) -> Reading:
    """The reading of a feedparser-shaped result (feedparser, feedparser-rs, ours)."""
    entries = []
    for e in result.get("entries") or ():
        detail = e.get("title_detail") or {}
        kind = detail.get("type", "") if hasattr(detail, "get") else getattr(detail, "type", "")
        entries.append(
            (
                show_title(e.get("title") or "", kind or ""),
                (e.get("link") or "").strip(),
                entry_date(e),
            )
        )
    return Reading(codec_name(encoding), tuple(entries))


def codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return label.lower()


def agreement(
    cases: list[tuple[Case, Reading]], reader: Callable[[Case], Reading]
) -> tuple[int, list[Path]]:
    """How many of the passing cases `reader` reads as feedparser does, and which it does
    not (a reader that raises disagrees)."""
    same, different = 0, []
    for case, reference in cases:
        try:
            ok = reader(case).agrees(reference)
        except Exception:
            ok = False
        if ok:
            same += 1
        else:
            different.append(case.path)
    return same, different


# --- the readers --------------------------------------------------------------------------


def read_fastfeedparser(case: Case) -> Reading:
    import fastfeedparser

    entries = []
    for e in fastfeedparser.parse(case.body).entries:
        date = _iso(e.get("published")) or _iso(e.get("updated"))
        entries.append((show_title(e.get("title") or "", ""), (e.get("link") or "").strip(), date))
    return Reading(None, tuple(entries))


def read_feedparser_rs(case: Case) -> Reading:
    import feedparser_rs

    parsed = feedparser_rs.parse(case.body, sanitize_html=False, resolve_relative_uris=False)
    return feedparser_like(parsed, parsed.encoding)


def read_project(case: Case, read: Callable[[bytes, dict[str, str]], Any]) -> Reading:
    """A daemon path: decoded and defused as parse_feed_full does, then `read`."""
    from monitor.sources import feeds
    from monitor.sources.xmltext import decode_xml, utf8_content_type

    encoding = decode_xml(case.body, case.content_type).encoding
    try:
        document = feeds._defused(case.body, case.content_type)
    except feeds.FeedError:
        return Reading(codec_name(encoding), ())
    headers = {"content-location": case.headers.get("content-location", "")}
    if utf8_type := utf8_content_type(case.content_type):
        headers["content-type"] = utf8_type
    return feedparser_like(read(document, headers), encoding)


def project_feedparser(document: bytes, headers: dict[str, str]) -> Any:
    """feedparser as the daemon called it before the fast path."""
    return feedparser.parse(
        document, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def chosen(document: bytes, headers: dict[str, str]) -> Any:
    from monitor.sources.fastfeed import read_document
    from monitor.sources.feeds import MAX_ENTRIES

    parsed = read_document(document, headers, max_entries=2 * MAX_ENTRIES)
    return {"entries": parsed.entries}


def _iso(value: Any) -> datetime | None:
    """fastfeedparser's dates are ISO 8601 text."""
    if not value:
        return None
    try:
        date = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (
        (date if date.tzinfo else date.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    )


READERS: dict[str, Callable[[Case], Reading]] = {
    "feedparser, as the project used it": lambda c: read_project(c, project_feedparser),
    "fastfeedparser 0.6.5": read_fastfeedparser,
    "feedparser-rs 0.7.1": read_feedparser_rs,
    "chosen: feedparser-rs, feedparser fallback": lambda c: read_project(c, chosen),
}


def passing_cases(cases: list[Case]) -> list[tuple[Case, Reading]]:
    """The cases feedparser passes, each with feedparser's reading of it."""
    out = []
    for case in cases:
        result = reference_parse(case)
        if passes(case, result):
            out.append((case, feedparser_like(result, result.get("encoding"))))
    return out
