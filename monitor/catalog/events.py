"""The event catalog: what happened, as conflict analysts code it.

A watch rule says `events: [airstrike, suicide bombing]`; the config layer asks the
EventCatalog for the Terms those names stand for and compiles them like a category of
keywords (places, groups, events, keywords: each listed category needs a hit). The hits are
reported with kind "event" and concept the canonical event type, so alerts, webhooks and
`news-monitor test` can say which event each matched word belongs to.

Types follow ACLED's event and sub-event types (each entry names them under `acled:`), so a
rule written against this catalog codes the news the way an ACLED analyst would: airstrike is
Explosions/Remote violence: Air/drone strike, armed clash is Battles: Armed clash, and so on.
A car bomb is a remote explosive, a suicide car bomb a suicide bombing, as ACLED has it.

Why terms and not a new matcher: the phrases go through the same folding, word boundaries,
plurals, prefixes (`kidnap*`) and Arabic clitics as everything else a rule matches, in the
same one-pass scan, so `events_in()`, a rule with `events:` and a rule that lists the same
phrases as keywords agree on every text. What a language inflects beyond that (French and
Turkish plurals and cases, Arabic accusative endings) the catalog lists, or covers with a
prefix. `except:` lists longer wordings that contain a phrase but mean something else ("air
raid siren", "shelling out", "clash of"; a workers' strike needs none, as no airstrike phrase
is "strike" alone); they become the phrase's Term.longer, which the matcher already uses to
give a hit inside a longer known name to that name: such a hit does not count. A phrase's
other, longer phrases of the same type are its Term.longer too, so "warplanes" inside
"warplanes struck" is reported once, as the longer phrase. Term.longer of a keyword (not a
name) is the pattern's own (match/rules.py): the same words written as a plain keyword in
another rule keep every hit.

Layers, each applied over the one before (as groups.yaml extends the groups catalog): the
shipped monitor/data/events.yaml, then the user's config/events.yaml. A user entry whose name
is a known type or alias changes that type: its phrases and excepts are added, `remove:`
drops phrases or excepts, `aliases:` adds names, `acled:` replaces the coding, and `replace:
true` starts the entry over. Any other name defines a new type.

A Turkish phrase with a dotless ı is also looked for with i: folding lower-cases a capital
I to i, so "HAVA SALDIRISI" in a headline (or text typed without Turkish letters) has i where
the phrase has ı.

Phrases of at most three letters in a cased script ("IED", "EYP") match only as written, as
short group aliases do. A rule may name a type by its canonical name, an alias, or its ACLED
sub-event type; an unknown name is an error with a "did you mean" (a misspelt event type
would otherwise silently match nothing).

Cost: the shipped file holds thousands of phrases in four languages; reading it with
positions, checking every phrase and expanding them into Terms costs tens of milliseconds,
so what that gives is cached on disk as the gazetteer is (eventcache.py): a start reads the
entries and the Terms of each shipped type back, and a type the user's file changes gets
its Terms built afresh. The user's file is always read (it is small, and its problems are
reported at file:line). events_in() compiles one matcher per catalog, once.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.catalog import diskcache, eventcache
from monitor.catalog.eventfiles import EventEntry, parse_events
from monitor.catalog.files import CatalogError
from monitor.catalog.names import _DATA, EXACT_CASE_MAX_LETTERS, cased, fold_key, letters
from monitor.facts.aerial import air_attacks
from monitor.facts.assaults import assaults
from monitor.facts.reported import reported_types
from monitor.facts.seizures import abductions
from monitor.match import Matcher
from monitor.match.spec import RuleSpec, Term
from monitor.match.terms import plural_forms
from monitor.records import Document

__all__ = ["EventCatalog", "EventType", "events_in", "shipped_events"]

log = logging.getLogger(__name__)

SHIPPED = _DATA / "events.yaml"
# Languages every shipped type must have phrases in (tests hold the catalog to it).
REQUIRED_LANGUAGES = ("en", "ar", "fr", "tr")
ABDUCTION, AIRSTRIKE, CLASH = "abduction", "airstrike", "armed clash"


# Folding lower-cases "I" to "i", never to Turkish "ı": a headline in capitals ("HAVA
# SALDIRISI") or text typed without Turkish letters ("hava saldirisi") has "i" where the
# catalog writes "ı", so each such Turkish phrase is also looked for with "i".
_TURKISH_I = str.maketrans({"ı": "i"})


@dataclass(frozen=True, slots=True)
class EventType:
    """One event type with everything that signals it."""

    name: str  # canonical: what rules, alerts and webhooks call it
    aliases: tuple[str, ...] = ()
    event_type: str = ""  # ACLED event type
    sub_event_type: str = ""  # ACLED sub-event type
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (language, phrases)
    excepts: tuple[str, ...] = ()

    def all_phrases(self) -> tuple[str, ...]:
        """Every phrase, one per folded form, in catalog order; a Turkish phrase with a
        dotless ı also as written with i (see _TURKISH_I)."""
        seen: set[str] = set()
        out = []
        for language, listed in self.phrases:
            for written in listed:
                forms = [written]
                if language == "tr" and "ı" in written:
                    forms.append(written.translate(_TURKISH_I))
                for phrase in forms:
                    key = fold_key(phrase) + ("*" if phrase.endswith("*") else "")
                    if key not in seen:
                        seen.add(key)
                        out.append(phrase)
        return tuple(out)

    def languages(self) -> tuple[str, ...]:
        return tuple(language for language, listed in self.phrases if listed)


def merge_events(layers: Iterable[tuple[EventEntry, ...]]) -> list[EventType]:
    """The shipped types, then each user entry applied in turn (see the module docstring)."""
    types: list[EventType] = []

    def find(name: str) -> int:
        key = fold_key(name)
        for i, known in enumerate(types):
            if fold_key(known.name) == key:
                return i
        for i, known in enumerate(types):
            if key in {fold_key(a) for a in known.aliases}:
                return i
        return -1

    for layer in layers:
        for entry in layer:
            at = find(entry.name)
            new = EventType(
                entry.name,
                entry.aliases,
                entry.event_type,
                entry.sub_event_type,
                entry.phrases,
                entry.excepts,
            )
            if at < 0 or entry.replace:
                if at >= 0:
                    types[at] = new
                else:
                    types.append(new)
                continue
            old = types[at]
            removed = {_key(r) for r in entry.remove}

            def kept(phrases: Iterable[str], removed: set[str] = removed) -> tuple[str, ...]:
                return tuple(p for p in phrases if not removed & _forms(p))

            languages: dict[str, tuple[str, ...]] = dict(old.phrases)
            for language, listed in entry.phrases:
                languages[language] = (*languages.get(language, ()), *listed)
            types[at] = EventType(
                old.name,
                (*old.aliases, *entry.aliases),
                entry.event_type or old.event_type,
                entry.sub_event_type or old.sub_event_type,
                tuple((language, kept(listed)) for language, listed in languages.items()),
                kept((*old.excepts, *entry.excepts)),
            )
    return types


@dataclass(frozen=True, eq=False)
class EventCatalog:
    """The event types a rule can name. Build with `EventCatalog.load`."""

    user_file: Path | None = None
    types: tuple[EventType, ...] = ()
    _index: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _state: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, user_file: Path | None = None) -> EventCatalog:
        """The shipped catalog extended by the user's file (None or missing: none).

        Raises CatalogError, naming file:line:col, when a file is not valid."""
        user_file = Path(user_file) if user_file is not None else None
        user = parse_events(user_file) if user_file is not None and user_file.is_file() else ()
        return cls.from_types(merge_events([_shipped(), user]), user_file)

    @classmethod
    def from_types(cls, types: Iterable[EventType], user_file: Path | None = None) -> EventCatalog:
        types = tuple(types)
        index: dict[str, list[int]] = {}
        for i, known in enumerate(types):
            for name in (known.name, *known.aliases, known.sub_event_type):
                key = fold_key(name) if name else ""
                if key:
                    bucket = index.setdefault(key, [])
                    if i not in bucket:
                        bucket.append(i)
        return cls(user_file, types, {k: tuple(v) for k, v in index.items()})

    def names(self) -> list[str]:
        """Canonical event type names, in catalog order."""
        return [t.name for t in self.types]

    def get(self, name: str) -> EventType:
        """The type a rule's name stands for (canonical name first, then aliases and ACLED
        sub-event types); LookupError with a suggestion for an unknown or ambiguous name."""
        key = fold_key(name)
        found = [i for i in self._index.get(key, ()) if fold_key(self.types[i].name) == key]
        found = found or list(self._index.get(key, ()))
        if not found:
            raise LookupError(f"unknown event type '{name}'{self._suggest(key)}")
        if len(found) > 1:
            names = " or ".join(f"'{self.types[i].name}'" for i in found)
            raise LookupError(f"'{name}' names several event types: write {names}")
        return self.types[found[0]]

    def terms(self, name: str) -> tuple[Term, ...]:
        """The Terms of an event type: every phrase, concept the canonical name, each with
        the type's excepts that contain it as its `longer`; LookupError if unknown. A
        shipped type the user's file leaves as it is has its Terms from the disk cache."""
        cache = self._state.setdefault("terms", {})
        known = self.get(name)
        if known.name not in cache:
            cache[known.name] = _cached_terms(known) or _terms(known)
        return cache[known.name]

    def _suggest(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self._index), n=1, cutoff=0.6)
        if not close:
            listed = ", ".join(self.names())
            return f" (known event types: {listed}; add your own in events.yaml)"
        return f"; did you mean '{self.types[self._index[close[0]][0]].name}'?"

    def matcher(self) -> Matcher:
        """One rule per event type, compiled once (for events_in)."""
        with _LOCK:
            if "matcher" not in self._state:
                self._state["matcher"] = Matcher.compile(
                    [
                        RuleSpec(watchlist="events", name=t.name, events=self.terms(t.name))
                        for t in self.types
                        if t.all_phrases()
                    ]
                )
            return self._state["matcher"]


_LOCK = threading.Lock()


def _terms(known: EventType) -> tuple[Term, ...]:
    """One Term per phrase that finds something no earlier phrase finds ("warplanes" is
    "warplane"'s plural). Each phrase's `longer` holds the type's
    excepts and its other phrases that contain it, so a hit inside "air raid siren" does
    not count and one inside "warplanes struck" is reported as that longer phrase."""
    phrases = []
    covered: set[str] = set()
    for phrase in known.all_phrases():
        prefix = phrase.endswith("*")
        body = _squash(phrase.rstrip("*"))
        exact = cased(phrase) and letters(phrase) <= EXACT_CASE_MAX_LETTERS
        words = fold_key(phrase.rstrip("*"))  # words, not squashed: "US-led" does not
        key = words + ("*" if prefix else "")  # find "U.S.-led", which splits u|s
        if key in covered:
            continue
        covered.update([key] if prefix or exact else plural_forms(words))
        phrases.append((phrase, body, exact))
    wordings = [(e, _squash(e)) for e in known.excepts]
    wordings += [(p, body) for p, body, _ in phrases if not p.endswith("*")]
    return tuple(
        Term(
            phrase,
            exact_case=exact,
            concept=known.name,
            longer=tuple(
                dict.fromkeys(
                    w for w, folded in wordings if body in folded and len(folded) > len(body)
                )
            ),
        )
        for phrase, body, exact in phrases
    )


def _squash(text: str) -> str:
    return fold_key(text).replace(" ", "")


def _key(phrase: str) -> str:
    """What a phrase looks for, as removal compares it: "air raid" and "airraid" are one."""
    return _squash(phrase.rstrip("*")) + ("*" if phrase.endswith("*") else "")


def _forms(phrase: str) -> set[str]:
    """The keys that `remove:` drops a phrase for: its own, and for a whole word its
    plurals (removing "warplanes" removes "warplane", which finds it)."""
    key = _key(phrase)
    return {key} if key.endswith("*") else set(plural_forms(key))


_shipped_entries: tuple[EventEntry, ...] | None = None
# shipped type name -> (the type, its Terms' cache section), when the disk cache has them
_shipped_terms: dict[str, tuple[EventType, bytes]] = {}
_shipped_catalog: EventCatalog | None = None
_SHIPPED_LOCK = threading.Lock()


def _shipped() -> tuple[EventEntry, ...]:
    """The shipped file's entries: from the disk cache when it holds them for the file as
    it is, else parsed (and, with the Terms of every type, written to the cache)."""
    global _shipped_entries
    with _SHIPPED_LOCK:
        if _shipped_entries is None:
            cached = eventcache.read(SHIPPED)
            if cached is not None:
                entries, sections = cached
                _shipped_terms.update(
                    (t.name, (t, sections[t.name]))
                    for t in merge_events([entries])
                    if t.name in sections
                )
            else:
                entries = parse_events(SHIPPED)
                if diskcache.cache_dir() is not None:
                    eventcache.write(
                        SHIPPED, entries, {t.name: _terms(t) for t in merge_events([entries])}
                    )
            _shipped_entries = entries
        return _shipped_entries


def _cached_terms(known: EventType) -> tuple[Term, ...] | None:
    """The Terms of a shipped type from the disk cache, if it has them and the user's file
    left the type as shipped; None otherwise (or when the section does not decode)."""
    _shipped()
    cached = _shipped_terms.get(known.name)
    if cached is None or cached[0] != known:
        return None
    try:
        return eventcache.terms_from(cached[1])
    except (ValueError, TypeError) as err:
        log.info("events cache: the terms of %s not used (%s): building them", known.name, err)
        return None


def shipped_events() -> EventCatalog:
    """The shipped catalog alone, loaded once per process."""
    global _shipped_catalog
    if _shipped_catalog is None:
        _shipped_catalog = EventCatalog.load()
    return _shipped_catalog


def events_in(text: str, catalog: EventCatalog | None = None) -> dict[str, tuple[str, ...]]:
    """Event type canonical name → the catalog phrases of it found in `text` (distinct, in
    reading order), for every type with a hit, types in catalog order; the shipped catalog
    when `catalog` is None. A phrase inside a longer phrase of its type is reported as the
    longer one; one inside an except of its type is not reported.

    Found as a rule with `events: [that type]` finds them, then read as an analyst codes: a
    type counts only where the text reports the event as happening (facts/reported.py: not
    only denied, foiled, planned, threatened, feared, commemorated, judged or negated, nor
    the word's other sense), and an abduction told with a verb of taking ("gunmen seized two
    aid workers", facts/seizures.py) counts too, as does an armed clash told as an attack on
    soldiers with no weapon named (facts/assaults.py), and an air strike told as an aircraft
    near its attack verb (facts/aerial.py). A rule's `events:` reads the same cues
    (facts/happened.py) but not those extra readings: they name no catalog phrase."""
    chosen = catalog if catalog is not None else shipped_events()
    matches = chosen.matcher().match(Document("", text))
    hits = [(m.rule, h.start, h.end, h.term) for m in matches for h in m.hits]
    if ABDUCTION in chosen.names():  # "gunmen seized two aid workers" (facts/seizures.py)
        hits += [(ABDUCTION, a, b, text[a:b]) for a, b in abductions(text)]
    if CLASH in chosen.names():  # "opened fire on a bus carrying soldiers" (facts/assaults.py)
        hits += [(CLASH, a, b, text[a:b]) for a, b in assaults(text)]
    if AIRSTRIKE in chosen.names():  # "Russian jets carried out 20 raids" (facts/aerial.py)
        named = [(a, b) for event, a, b, _ in hits if event == AIRSTRIKE]
        hits += [
            (AIRSTRIKE, a, b, text[a:b])
            for a, b in air_attacks(text)
            if not any(a < end and start < b for start, end in named)  # a phrase said it
        ]
    kept = reported_types(text, ((event, a, b) for event, a, b, _ in hits))
    found: dict[str, tuple[str, ...]] = {}
    for event, _, _, term in hits:
        if event in kept:
            found[event] = (*found.get(event, ()), term)
    found = {event: tuple(dict.fromkeys(terms)) for event, terms in found.items()}
    order = {name: i for i, name in enumerate(chosen.names())}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))


__all__ += ["CatalogError", "REQUIRED_LANGUAGES", "merge_events"]
