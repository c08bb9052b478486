"""Typed records that travel between the pipeline's steps.

Every step (fetch → parse → extract → match → dedupe → route → deliver) takes and
returns these small, immutable records, never loose dicts, so that each module can be
tested alone and the seams stay obvious.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from monitor.facts.figures import Casualties

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
    kind: str | None = None  # "place", "group" or "event" when the rule lists the term there


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
class Corroboration:
    """What a rule asks of a story before it alerts: `min_sources` independent outlets,
    waited for at most `wait` seconds (then it goes, marked single source: never dropped),
    and the priority it takes while one outlet carries it."""

    min_sources: int = 1
    wait: float = 7200.0
    single_source_priority: Priority | None = None


@dataclass(frozen=True, slots=True)
class Carrier:
    """One source that carried a story: when we first saw it there, and its outlet (the
    registrable domain of its article, monitor/outlets.py)."""

    source: str
    first_seen: datetime
    outlet: str


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
    min_sources: int = 1  # independent outlets the rule waits for (Corroboration)


@dataclass(frozen=True, slots=True)
class UpdatePolicy:
    """When a channel hears again of a story it was told of: at most `max_updates` times,
    `interval` seconds apart at least, for `outlets` more independent outlets or a place or
    group not named before."""

    max_updates: int = 3
    interval: float = 1800.0
    outlets: int = 3


@dataclass(frozen=True, slots=True)
class Update:
    """An alert that follows up one sent before on the same channel: what changed."""

    number: int  # 1 for the first update of the story on the channel
    of_title: str  # the first message's headline (untrusted)
    of_sent_at: float  # when it was sent, seconds since the epoch (UTC)
    changes: tuple[str, ...]  # "3 more independent outlets", "now also: Manbij, SDF"
    thread: str = ""  # the story's thread id on the channel (email References)


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
    # the outlet (registrable domain) of each source, in the order of `sources`; empty when
    # not known (rows queued by older versions)
    outlets: tuple[str, ...] = ()
    single_source: bool = False  # its rules waited for corroboration and none came
    min_sources: int = 1  # the leading rule's Fired.min_sources
    update: Update | None = None  # set when this follows up an alert sent before
    # the casualty figures of the story's article (monitor/facts); none known: empty
    casualties: Casualties = Casualties()

    def concepts(self) -> tuple[str, ...]:
        """The places and groups its rules matched (what an alias stands for, else the
        name as matched), in reading order."""
        hits = sorted((h for f in self.rules() for h in f.hits),
                      key=lambda h: (h.field != "title", h.start))
        return tuple(dict.fromkeys(h.concept or h.term for h in hits
                                   if h.kind in ("place", "group")))

    def events(self) -> tuple[str, ...]:
        """The event types its rules matched (canonical names, monitor/catalog/events.py),
        in reading order."""
        hits = sorted((h for f in self.rules() for h in f.hits),
                      key=lambda h: (h.field != "title", h.start))
        return tuple(dict.fromkeys(h.concept or h.term for h in hits if h.kind == "event"))

    def corroboration(self) -> tuple[int, int]:
        """(outlets that carry the story, how many of them are independent)."""
        names = self.all_sources()
        if len(self.outlets) != len(names):
            return len(names), len(names)
        return len(names), len({o or n for o, n in zip(self.outlets, names, strict=True)})

    def all_sources(self) -> tuple[str, ...]:
        return self.sources or (self.source,)

    def carried_by(self, carriers: Sequence[Carrier]) -> Alert:
        """The alert naming these as the story's carriers (none known: unchanged)."""
        if not carriers:
            return self
        return replace(self, sources=tuple(c.source for c in carriers),
                       carried_at=tuple(c.first_seen.timestamp() for c in carriers),
                       outlets=tuple(c.outlet for c in carriers))

    def lead(self) -> Fired:
        return Fired(self.watchlist, self.rule, self.priority, self.terms, self.score,
                     self.hits, self.lead_url or self.url, self.min_sources)

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
                       min_sources=lead.min_sources, also=tuple(ordered[1:]))

    def waits_for(self) -> int:
        """The independent outlets this message waits for: its most demanding rule's."""
        return max(f.min_sources for f in self.rules())


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
class SurgeWatch:
    """A rule's `surge:` (or its watchlist's): what it counts stories by, over what window."""

    by: Literal["watchlist", "rule", "place", "group", "event"] = "rule"
    window: float = 3600.0  # seconds
    min_stories: int = 5


@dataclass(frozen=True, slots=True)
class Topic:
    """A watchlist, rule, place or group whose surges are watched (`surge:`), as one entry
    matched it."""

    key: str  # "watchlist:syria", "rule:syria/Fighting in Aleppo", "place:Aleppo"
    label: str  # what a surge alert names: "Aleppo"
    watchlist: str
    channels: tuple[str, ...]  # where its surge alerts go
    window: float = 3600.0  # seconds
    min_stories: int = 5


@dataclass(frozen=True, slots=True)
class Seen:
    """A new entry to record, with the alerts it raised: written in one transaction."""

    entry: Entry
    story: str  # story key: entries with the same key are one story
    text: str  # the text kept for backtests
    alerts: tuple[tuple[str, Alert], ...] = ()  # (channel name, alert)
    # (watchlist, rule) -> seconds at most that the rule waits for corroboration, for the
    # rules of `alerts` with min_sources > 1
    waits: tuple[tuple[str, str, float], ...] = ()
    topics: tuple[Topic, ...] = ()  # the surge topics the entry matched


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A pending alert for one channel, as claimed by the delivery worker."""

    id: int
    channel: str
    alert: Alert
    attempts: int
    created_at: datetime
    story: str = ""
