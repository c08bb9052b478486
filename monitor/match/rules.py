"""Compiling rules: each RuleSpec checked and reduced to one generated predicate, the
patterns it reports and the index key it is evaluated under (see engine.py for the whole)."""

from __future__ import annotations

from collections.abc import Callable, KeysView
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Protocol

from monitor.facts.minimums import Minimums
from monitor.match.construct import positional
from monitor.match.predicate import NO_FIELDS, Fields, Shape, members
from monitor.match.query import (
    Alias,
    Leaf,
    Node,
    Predicate,
    QueryError,
    Source,
    iter_leaves,
    necessary,
    parse_query,
    query_source,
)
from monitor.match.spec import RuleSpec, Term
from monitor.match.terms import FIELDS, Found, TermError, TermPattern, clean_term, compile_term
from monitor.records import Hit, Match, Point

TITLE_WEIGHT = 2
make_match = positional(Match)
make_hit = positional(Hit)


class EvidenceOf(Protocol):
    """The hits of each reported term in one document (engine._Evidence), by report number."""

    def __getitem__(self, report: int) -> Evidence: ...


@dataclass(frozen=True, slots=True)
class Reported:
    """A positive term of a rule, as reported: its hits are evidence and score."""

    pattern: int
    term: str
    concept: str | None
    field: int | None  # only hits in this field count (a scoped query term)
    kind: str | None = None  # "place", "group" or "event" when the rule lists it there
    point: Point | None = None  # a place term's coordinates, copied onto its hits


# One term's hits in one document: with their reading-order keys (engine._Evidence), alone,
# and its unweighted points.
Evidence = tuple[list[tuple[int, Hit]], tuple[Hit, ...], int]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule reduced to one generated predicate and the terms it reports.

    The predicate is `shape(constants, found, keys, fields)`: categories, exclude and query
    in one function shared by every rule of the same shape (query.Source), with this rule's
    constants. The engine reads these fields once into a tuple per rule (Matcher._hot) and
    fires the rule in its own loop."""

    spec: RuleSpec
    shape: Shape
    constants: tuple[object, ...]
    reported: tuple[tuple[int, int, float], ...]  # (pattern, report number, weight)
    key: frozenset[int]  # the rule is evaluated only when one of these is found
    repeats: bool  # one text named both exact-case and not: merge their hits
    # the spec's casualty minimums when it asks any, else None: decided once here rather
    # than asked of the spec for every rule that fires
    minimums: Minimums | None = None

    def check(self, found: Found, keys: KeysView[int], fields: Fields) -> bool:
        """Whether the rule's logic holds (the engine calls shape directly)."""
        return self.shape(self.constants, found, keys, fields)

    def fire_merged(self, found: Found, evidence: EvidenceOf) -> Match | None:
        """The match of a rule whose check() holds and that names one text both exact-case
        and not (`repeats`), unless its score is below min_score: the two terms find the
        same places, each reported once, with the higher weight. Every other rule fires in
        the engine's matching loop (engine.Matcher._match), which merges the terms' hits
        without this dict."""
        # keyed by the hit less its kind: a place named again in the query is one hit
        best: dict[tuple[object, ...], tuple[int, float, Hit]] = {}
        for pattern, report, weight in self.reported:
            if pattern in found:
                for key, hit in evidence[report][0]:
                    same = (hit.term, hit.field, hit.start, hit.end, hit.concept)
                    old = best.get(same)
                    if old is None or old[1] < weight:
                        kind = hit.kind or (old[2].kind if old else None)
                        best[same] = (key, weight, replace(hit, kind=kind))
                    elif old[2].kind is None and hit.kind is not None:
                        best[same] = (old[0], old[1], hit)
        ordered = sorted(best.values(), key=first)
        score = sum(w * (TITLE_WEIGHT if hit.field == "title" else 1) for _, w, hit in ordered)
        spec = self.spec
        if score < spec.min_score:
            return None
        hits = tuple(hit for _, _, hit in ordered)
        return Match(spec.watchlist, spec.name, spec.priority, score, hits, spec.channels)


# what a category's hits are, for alerts
_KINDS = {"places": "place", "groups": "group", "events": "event"}

first = itemgetter(0)
second = itemgetter(1)


class Patterns:
    """Every distinct term (text as cleaned, exact_case, name) of every rule, numbered, and
    for names the longer names whose hits take precedence (`shadows`)."""

    def __init__(self) -> None:
        self.compiled: list[TermPattern] = []
        self._numbers: dict[tuple[object, ...], int] = {}
        self.shadows: dict[int, set[int]] = {}  # pattern -> patterns of longer names
        # Equal sets, tuples and tests of different rules made one object (Source.constant).
        self.interned: dict[object, object] = {}

    def intern(self, value: frozenset[int]) -> frozenset[int]:
        return self.interned.setdefault(value, value)  # type: ignore[return-value]

    def number(
        self, text: str, exact_case: bool, name: bool = False, own: tuple[str, ...] = ()
    ) -> int:
        """The pattern number of a term, compiling it on first use; raises TermError.
        `own`: longer wordings that shadow this pattern alone (see term())."""
        key: tuple[object, ...] = (clean_term(text), exact_case, name, *own)
        number = self._numbers.get(key)
        if number is None:
            self.compiled.append(compile_term(text, exact_case, name))
            number = self._numbers[key] = len(self.compiled) - 1
        return number

    def term(self, term: Term) -> int:
        """number() for a Term, with its longer names registered as its shadows."""
        # A name's longer names are the same for every rule that names it; a keyword's
        # (the excepts of an event phrase: "air raid siren") are its own, so that the same
        # words written as a plain keyword elsewhere keep every hit.
        own = term.longer if term.longer and not term.name else ()
        number = self.number(term.text, term.exact_case, term.name, own)
        if term.longer:
            shadows = self.shadows.setdefault(number, set())
            for longer in term.longer:
                try:
                    shadow = self.number(longer, False, True)
                except TermError:
                    continue  # a longer name with nothing to match cannot hide anything
                if shadow != number:
                    shadows.add(shadow)
        return number


def _as_term(term: Term | str) -> Term:
    return Term(term) if isinstance(term, str) else term


@dataclass(slots=True)
class _Positive:
    """What a rule reports for one pattern, merged over every place the rule names it."""

    term: str
    weight: float
    concept: str | None
    field: int | None
    everywhere: bool  # named at least once without a field scope
    kind: str | None = None  # "place" or "group": the first category that names it
    point: Point | None = None  # the first coordinates a naming of it carries


@dataclass(slots=True)
class _Draft:
    """A rule compiled but for its index key, which depends on all the other rules."""

    spec: RuleSpec
    categories: tuple[frozenset[int], ...]
    check: tuple[Shape, tuple[object, ...]]  # (shape, constants): see CompiledRule
    query: Node | None
    predicate: Predicate | None  # the query alone
    resolve: Callable[[Leaf], frozenset[int]]
    reported: dict[int, _Positive]  # pattern -> how it is reported
    query_terms: frozenset[int]  # the query's positive terms

    def finish(
        self,
        cost: Callable[[frozenset[int]], int],
        reports: dict[Reported, int],
        interned: dict[object, object],
    ) -> CompiledRule:
        """The compiled rule; `reports` numbers the distinct Reported across all rules, and
        `interned` (Patterns.interned) shares equal pieces between rules."""
        options = list(self.categories)
        if self.query is not None and self.predicate is not None:
            needed = necessary(self.query, self.resolve, cost)
            if needed is not None:
                options.append(needed)
            elif not self.predicate({}, _NOTHING, NO_FIELDS):
                # No structural answer (NOTs): a query that is false on an empty document
                # stays false while none of its positive terms is found.
                options.append(self.query_terms)
        key = min(options, key=cost)
        reported = []
        for pattern, positive in self.reported.items():
            field = None if positive.everywhere else positive.field
            entry = Reported(
                pattern, positive.term, positive.concept, field, positive.kind, positive.point
            )
            number = reports.setdefault(entry, len(reports))
            triple = (pattern, number, positive.weight)
            reported.append(interned.setdefault(triple, triple))
        terms = [positive.term for positive in self.reported.values()]
        shape, constants = self.check
        return CompiledRule(
            spec=self.spec,
            shape=shape,
            constants=constants,
            reported=tuple(reported),
            key=interned.setdefault(key, key),  # type: ignore[arg-type]
            repeats=len(set(terms)) < len(terms),
            minimums=self.spec.minimums if self.spec.minimums else None,
        )


def draft(spec: RuleSpec, patterns: Patterns) -> _Draft:
    """Check and compile one rule; errors say which part of the rule is wrong."""
    reported: dict[int, _Positive] = {}

    def term_number(term: Term, part: str) -> int:
        try:
            return patterns.term(term)
        except TermError as error:
            raise QueryError(str(error), 0).in_rule(spec.watchlist, spec.name, part) from None

    def report(number: int, term: Term, field: int | None, kind: str | None = None) -> None:
        old = reported.get(number)
        if old is None:
            display = patterns.compiled[number].term
            reported[number] = _Positive(
                display, term.weight, term.concept, field, field is None, kind, term.point
            )
            return
        old.weight = max(old.weight, term.weight)
        if old.concept is None:
            old.concept = term.concept
        if old.kind is None:
            old.kind = kind
        if old.point is None:
            old.point = term.point
        if field is None:
            old.everywhere = True
        elif old.field != field:
            old.everywhere = True  # scoped to the title in one place, the text in another

    categories: list[frozenset[int]] = []
    for name in ("places", "groups", "events", "keywords"):
        numbers = []
        for position, written in enumerate(getattr(spec, name)):
            term = _as_term(written)
            number = term_number(term, f"{name}[{position}]")
            numbers.append(number)
            report(number, term, None, _KINDS.get(name))
        if numbers:
            categories.append(patterns.intern(frozenset(numbers)))
    exclude = frozenset(
        term_number(_as_term(t), f"exclude[{i}]") for i, t in enumerate(spec.exclude)
    )

    alias_terms: dict[str, tuple[tuple[int, Term], ...]] = {}

    def alias(leaf: Alias) -> tuple[tuple[int, Term], ...]:
        if leaf.name not in alias_terms:
            written = spec.aliases[leaf.name]
            if not written:
                raise QueryError(f"alias '@{leaf.name}' has no terms", leaf.position).in_rule(
                    spec.watchlist, spec.name, "query"
                )
            terms = [_as_term(t) for t in written]
            alias_terms[leaf.name] = tuple(
                (term_number(term, f"aliases.{leaf.name}[{i}]"), term)
                for i, term in enumerate(terms)
            )
        return alias_terms[leaf.name]

    def resolve(leaf: Leaf) -> frozenset[int]:
        if isinstance(leaf, Alias):
            return patterns.intern(frozenset(number for number, _ in alias(leaf)))
        try:
            return patterns.intern(frozenset({patterns.number(leaf.text, False)}))
        except TermError as error:
            raise QueryError(str(error), leaf.position).in_rule(
                spec.watchlist, spec.name, "query"
            ) from None

    source = Source(patterns.interned)
    query: Node | None = None
    predicate: Predicate | None = None
    query_expression = ""
    query_terms: set[int] = set()
    if spec.query is not None:
        try:
            query = parse_query(spec.query, aliases=spec.aliases.keys())
        except QueryError as error:
            raise error.in_rule(spec.watchlist, spec.name, "query") from None
        for leaf, positive in iter_leaves(query):
            field = None if leaf.field is None else FIELDS.index(leaf.field)
            if isinstance(leaf, Alias):
                named = alias(leaf)
            else:
                (number,) = resolve(leaf)
                named = ((number, Term(leaf.text)),)
            if positive:
                for number, term in named:
                    report(number, term, field)
                    query_terms.add(number)
        query_expression = query_source(query, resolve, source)
        predicate = source.predicate(query_expression)
    if not categories and (predicate is None or predicate({}, _NOTHING, NO_FIELDS)):
        raise QueryError("rule needs at least one word that must appear", 0).in_rule(
            spec.watchlist, spec.name, "query" if query is not None else "rule"
        )
    checks = [_any_of(category, source) for category in categories]
    if exclude:
        checks.append(f"keys.isdisjoint({source.constant(members(exclude))})")
    if query_expression:
        checks.append(query_expression)
    return _Draft(
        spec=spec,
        categories=tuple(categories),
        check=source.parts(" and ".join(f"({check})" for check in checks)),
        query=query,
        predicate=predicate,
        resolve=resolve,
        reported=reported,
        query_terms=frozenset(query_terms),
    )


_NOTHING: KeysView[int] = {}.keys()  # the keys of an empty document


def _any_of(numbers: frozenset[int], source: Source) -> str:
    """The expression for "one of these patterns was found"."""
    if len(numbers) == 1:
        (number,) = numbers
        return f"{source.constant(number)} in found"
    return f"not keys.isdisjoint({source.constant(members(numbers))})"
