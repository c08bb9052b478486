"""The pure core between a parsed entry and what the store records: match, dedupe, route.

No I/O here: given an entry and the compiled rules, say which alerts it raises and for which
channels. The service feeds it and writes the result in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from monitor.alerts import make_snippet
from monitor.facts import FiguresOf
from monitor.match import Matcher
from monitor.records import (
    Alert,
    Corroboration,
    Document,
    Entry,
    Fired,
    Hit,
    Match,
    Seen,
    Snippet,
)
from monitor.stories import story_key

SNIPPET_WIDTH = 240


@dataclass(frozen=True, slots=True)
class Found:
    """An entry with the rules it matched: what `once --json` and `test` report."""

    entry: Entry
    document: Document
    matches: tuple[Match, ...]
    figures: FiguresOf | None = None  # its casualty figures, read once (monitor/facts)


def document_for(entry: Entry) -> Document:
    parts = [p for p in (entry.summary, entry.content) if p]
    return Document(title=entry.title, text="\n\n".join(parts))


def examine(entry: Entry, matcher: Matcher) -> Found:
    """The entry matched. An entry that fires a rule has its casualty figures read here too
    (once, whatever asked first): the daemon examines in a worker thread, and the alerts
    made later on the event loop then only look them up."""
    document = document_for(entry)
    figures = FiguresOf(document.title, document.text)
    matches = tuple(matcher.match(document, figures))
    if matches:
        figures()
    return Found(entry, document, matches, figures)


Needs = Callable[[Match], Corroboration | None]


def seen_record(
    found: Found,
    story: str | None = None,
    route: Callable[[Match], tuple[str, ...]] | None = None,
    needs: Needs | None = None,
) -> Seen:
    """The entry, its story (by default: the one it would start) and one outbox row per
    channel that `route` keeps (by default: every channel of the rule), naming every rule
    that goes there: a story firing four rules is one message, not four.

    `needs` gives a rule's corroboration settings, as the caller has applied them to this
    story: a `single_source_priority` only while one outlet carries it (the rule then fires
    at that priority, before routing, so a channel's min_priority sees it), `min_sources`
    for the store to hold the rule's messages until enough outlets carry the story."""
    story = story or story_key(found.entry)
    asked = {(m.watchlist, m.rule): needs(m) for m in found.matches} if needs else {}
    asked = {rule: need for rule, need in asked.items() if need is not None}
    found = _at_single_source_priority(found, asked)
    by_channel: dict[str, list[int]] = {}
    for number, match in enumerate(found.matches):
        for channel in route(match) if route else match.channels:
            by_channel.setdefault(channel, []).append(number)
    least = {rule: need.min_sources for rule, need in asked.items() if need.min_sources > 1}
    made: dict[tuple[int, ...], Alert] = {}  # channels with the same rules share an alert
    pairs = []
    for channel, numbers in by_channel.items():
        key = tuple(numbers)
        if key not in made:
            made[key] = make_alert(found, [found.matches[n] for n in numbers], least)
        pairs.append((channel, made[key]))
    waits = tuple((*rule, asked[rule].wait) for rule in least)
    return Seen(found.entry, story, found.document.text, tuple(pairs), waits)


def _at_single_source_priority(found: Found, asked: dict[tuple[str, str], Corroboration]) -> Found:
    if not any(need.single_source_priority for need in asked.values()):
        return found
    matches = []
    for match in found.matches:
        need = asked.get((match.watchlist, match.rule))
        lower = need.single_source_priority if need else None
        matches.append(replace(match, priority=lower) if lower else match)
    return replace(found, matches=tuple(matches))


def make_alert(
    found: Found,
    matches: Match | Sequence[Match],
    min_sources: Mapping[tuple[str, str], int] | None = None,
) -> Alert:
    """One alert for the rules that fired: the highest priority leads, the snippet shows
    the stretch of text with the most of their terms. `min_sources`: the independent
    outlets a rule waits for, when more than one."""
    matches = [matches] if isinstance(matches, Match) else list(matches)
    entry, text = found.entry, found.document.text
    least = min_sources or {}
    fired = [fired_rule(entry, m, least.get((m.watchlist, m.rule), 1)) for m in matches]
    first = fired[0]
    alert = Alert(
        watchlist=first.watchlist,
        rule=first.rule,
        priority=first.priority,
        title=entry.title or "(untitled)",
        url=entry.url,
        source=entry.source,
        published=entry.published,
        snippet=Snippet(""),
        terms=first.terms,
        score=first.score,
        hits=first.hits,
        min_sources=first.min_sources,
        casualties=(found.figures or FiguresOf(entry.title, text))(),
    )
    if len(fired) > 1:
        alert = alert.with_rules(fired[1:])
    return replace(alert, snippet=make_snippet(text, _spans(alert), SNIPPET_WIDTH))


def _spans(alert: Alert) -> list[tuple[int, int]]:
    """The leading rule's best stretch of text, with the other rules' words inside it
    marked too: the highest priority decides what the excerpt shows."""
    lead = focus([h for h in alert.hits if h.field == "text"], SNIPPET_WIDTH)
    if not lead or not alert.also:
        return lead
    low, high = lead[0][0], lead[-1][1]
    spans = set(lead)
    for other in alert.also:
        spans.update(
            (h.start, h.end)
            for h in other.hits
            if h.field == "text" and low <= h.start and h.end <= high
        )
    return sorted(spans)


def fired_rule(entry: Entry, match: Match, min_sources: int = 1) -> Fired:
    """A matched rule as a message names it: its terms in reading order, title first."""
    reading_order = sorted(match.hits, key=lambda h: (h.field != "title", h.start))
    terms = tuple(dict.fromkeys(h.term for h in reading_order))
    return Fired(
        match.watchlist,
        match.rule,
        match.priority,
        terms,
        match.score,
        tuple(reading_order),
        entry.url,
        min_sources,
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
        window = hits[first : last + 1]
        score = (len({h.term for h in window}), len(window))
        if score > best:
            best, best_range = score, (first, last + 1)
    return [(h.start, h.end) for h in hits[best_range[0] : best_range[1]]]
