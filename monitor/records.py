"""Typed records that travel between the pipeline's steps.

Every step (fetch → parse → extract → match → dedupe → route → deliver) takes and
returns these small, immutable records, never loose dicts, so that each module can be
tested alone and the seams stay obvious.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

Field = Literal["title", "text"]
Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of one source, as parsed: the unit we record as seen."""

    source: str  # the Source's name
    key: str  # stable id within the source (guid, else link, else a content hash)
    url: str  # canonical article URL ("" when the item has none)
    title: str  # plain text, untrusted
    summary: str  # plain text, untrusted
    content: str = ""  # full plain text when the source carries it, untrusted
    published: datetime | None = None  # UTC; None when the feed gave no usable date


@dataclass(frozen=True, slots=True)
class Document:
    """The text a watchlist is matched against: one per entry."""

    title: str
    text: str  # summary and full text joined; offsets of hits refer to this string


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of one rule term, located in the original (unnormalised) text."""

    term: str  # the term as the analyst (or a catalog) wrote it
    field: Field
    start: int  # offset into Document.title or Document.text
    end: int
    concept: str | None = None  # what an alias stands for: "Aleppo" for a hit on "Halab"
    kind: str | None = None  # "place" or "group" when the rule lists the term there


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that fired on a document, with the evidence for it."""

    watchlist: str
    rule: str
    priority: Priority
    score: float
    hits: tuple[Hit, ...]
    channels: tuple[str, ...]  # channel names this rule notifies


@dataclass(frozen=True, slots=True)
class Snippet:
    """A short excerpt of the text with the spans of matched words, ready to render."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()  # (start, end) offsets into `text`


@dataclass(frozen=True, slots=True)
class Fired:
    """One rule that fired for a story, as a message names it."""

    watchlist: str
    rule: str
    priority: Priority
    terms: tuple[str, ...]  # distinct matched terms, in order of first appearance
    score: float | None = None
    hits: tuple[Hit, ...] = ()
    url: str = ""  # the entry it fired on (the hits' offsets are into its title and text)


@dataclass(frozen=True, slots=True)
class Alert:
    """What a channel is asked to deliver: one story, and the rules it fired on the channel.

    The fields watchlist … story describe the leading rule (the highest priority, then the
    highest score); `also` holds the others that fired for the same story on the same
    channel, in the same order. A desk gets one message naming every rule, not one per rule.
    """

    watchlist: str
    rule: str
    priority: Priority
    title: str  # untrusted
    url: str
    source: str
    published: datetime | None
    snippet: Snippet
    terms: tuple[str, ...]  # distinct matched terms, in order of first appearance
    sources: tuple[str, ...] = field(default=())  # every source that carried the story
    # The evidence, for structured channels (webhook://); rows queued before these were kept
    # come back with the defaults.
    score: float | None = None  # the rule's score on this story
    hits: tuple[Hit, ...] = ()  # every hit of the rule, in reading order
    story: str = ""  # the story key, set by the outbox from the alert's row
    also: tuple[Fired, ...] = ()  # the other rules, highest priority first
    # when each source first carried the story (seconds since the epoch, UTC), in the order
    # of `sources`; empty when not known
    carried_at: tuple[float, ...] = ()
    lead_url: str = ""  # the leading rule's entry, when not the one at `url`

    def all_sources(self) -> tuple[str, ...]:
        return self.sources or (self.source,)

    def lead(self) -> Fired:
        return Fired(self.watchlist, self.rule, self.priority, self.terms, self.score,
                     self.hits, self.lead_url or self.url)

    def rules(self) -> tuple[Fired, ...]:
        """Every rule of the message, the leading one first."""
        return (self.lead(), *self.also)

    def with_rules(self, more: Iterable[Fired]) -> Alert:
        """The alert naming these rules too (each watchlist and rule once, the first kept),
        the highest priority leading."""
        named: dict[tuple[str, str], Fired] = {}
        for fired in (*self.rules(), *more):
            named.setdefault((fired.watchlist, fired.rule), fired)
        ordered = sorted(named.values(), key=_rank)
        lead = ordered[0]
        return replace(self, watchlist=lead.watchlist, rule=lead.rule, priority=lead.priority,
                       terms=lead.terms, score=lead.score, hits=lead.hits,
                       lead_url="" if lead.url == self.url else lead.url,
                       also=tuple(ordered[1:]))


def _rank(fired: Fired) -> tuple[int, float]:
    """Highest priority first, then highest score; sorted() keeps the order of ties."""
    return (-PRIORITIES.index(fired.priority), -(fired.score or 0.0))


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers of a source between polls (and restarts)."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_check_at: datetime | None = None
    last_check_at: datetime | None = None
    last_success_at: datetime | None = None
    error_count: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    entries_seen: int = 0
    kind: str = "feed"
    interval: float | None = None  # the interval chosen at the last poll, seconds
    created_at: datetime | None = None
    failing_since: datetime | None = None  # the first error of the current run of errors
    last_new_at: datetime | None = None  # the last poll that brought a new entry
    health: str = "ok"  # the health state last announced: ok | failing | silent
    health_at: datetime | None = None  # ... since then


@dataclass(frozen=True, slots=True)
class Poll:
    """The outcome of one poll of one source: fetch and parse, before matching."""

    source: str
    checked_at: datetime
    entries: tuple[Entry, ...] = ()
    not_modified: bool = False  # 304, or the same body as last time: nothing parsed
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    error: str | None = None  # why the poll failed; None on success
    warnings: tuple[str, ...] = ()
    retry_after: float | None = None  # seconds the server asked us to wait (429/503)
    fresh_for: float | None = None  # seconds the server says its answer stays fresh
    # what a successful poll refused or dropped (a link the address guard refused, an
    # article page over the cap, an item whose text failed): the source's last error, but
    # not a failed poll
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Seen:
    """A new entry to record, with the alerts it raised: written in one transaction."""

    entry: Entry
    story: str  # story key: entries with the same key are one story
    text: str  # the text kept for backtests
    alerts: tuple[tuple[str, Alert], ...] = ()  # (channel name, alert)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A pending alert for one channel, as claimed by the delivery worker."""

    id: int
    channel: str
    alert: Alert
    attempts: int
    created_at: datetime
    story: str = ""
