"""The pure core between a parsed entry and what the store records: match, dedupe, route.

No I/O here: given an entry and the compiled rules, say which alerts it raises and for which
channels. The service feeds it and writes the result in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.alerts import make_snippet
from monitor.match import Matcher
from monitor.records import Alert, Document, Entry, Hit, Match, Seen
from monitor.stories import story_key

SNIPPET_WIDTH = 240


@dataclass(frozen=True, slots=True)
class Found:
    """An entry with the rules it matched: what `once --json` and `test` report."""

    entry: Entry
    document: Document
    matches: tuple[Match, ...]


def document_for(entry: Entry) -> Document:
    parts = [p for p in (entry.summary, entry.content) if p]
    return Document(title=entry.title, text="\n\n".join(parts))


def examine(entry: Entry, matcher: Matcher) -> Found:
    document = document_for(entry)
    return Found(entry, document, tuple(matcher.match(document)))


def seen_record(found: Found, story: str | None = None,
                route: Callable[[Match], tuple[str, ...]] | None = None) -> Seen:
    """The entry, its story (by default: the one it would start) and one outbox row per
    matched rule × channel that `route` keeps (by default: every channel of the rule)."""
    story = story or story_key(found.entry)
    pairs = tuple((channel, make_alert(found, match))
                  for match in found.matches
                  for channel in (route(match) if route else match.channels))
    return Seen(found.entry, story, found.document.text, pairs)


def make_alert(found: Found, match: Match) -> Alert:
    entry, text = found.entry, found.document.text
    spans = focus([h for h in match.hits if h.field == "text"], SNIPPET_WIDTH)
    reading_order = sorted(match.hits, key=lambda h: (h.field != "title", h.start))
    terms = tuple(dict.fromkeys(h.term for h in reading_order))
    return Alert(
        watchlist=match.watchlist, rule=match.rule, priority=match.priority,
        title=entry.title or "(untitled)", url=entry.url, source=entry.source,
        published=entry.published, snippet=make_snippet(text, spans, SNIPPET_WIDTH),
        terms=terms, score=match.score, hits=tuple(reading_order),
    )


def focus(hits: list[Hit], width: int) -> list[tuple[int, int]]:
    """The hits of the stretch of text, at most `width` long, that shows the most different
    terms (then the most hits): "Aleppo" ten times says less than "airstrikes … Aleppo"."""
    hits = sorted(hits, key=lambda h: h.start)
    best: tuple[int, int] = (0, 0)
    best_range = (0, 0)
    last = 0
    for first in range(len(hits)):
        last = max(last, first)
        while last + 1 < len(hits) and hits[last + 1].end - hits[first].start <= width:
            last += 1
        window = hits[first:last + 1]
        score = (len({h.term for h in window}), len(window))
        if score > best:
            best, best_range = score, (first, last + 1)
    return [(h.start, h.end) for h in hits[best_range[0]:best_range[1]]]
