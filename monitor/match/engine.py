"""The matcher: all rules compiled into one term scanner, an index and one predicate per rule.

    matcher = Matcher.compile(rule_specs)       # raises QueryError (.rule, .part, .position)
    matches = matcher.match(Document(title, text))

How a document is matched:
1. Each field (title, text) is folded once and scanned once by one Aho-Corasick automaton that
   holds every term of every rule (normalize.py, terms.py). Terms are shared: a term that many
   rules use is one pattern, found once.
2. Every rule is indexed under a set of terms of which at least one must be found for it to
   fire: one of its categories, or a set its query needs (query.necessary), whichever holds
   the terms fewest rules use ("Kafr Nubl" rather than "airstrike"). Only rules indexed under
   a found term are evaluated. Compile refuses rules that could fire on a document without
   any of their words (e.g. a bare "NOT football"), which is what makes skipping the other
   rules correct.
3. A candidate rule runs one generated function (query.Source) that checks every category
   has a hit, no exclude term is found and the query holds, with C-level set tests; then its
   score is summed and compared with `min_score`, and only then are its hits built (once per
   term and document, shared by the rules that report it).

Score: a hit scores its term's weight (Term.weight; 1 for plain strings and query words),
times TITLE_WEIGHT (2) when the hit is in the title; a match's score is the sum over its
hits. The hits are every occurrence of every positive term of the rule: category terms, and
query words and alias terms that are not under a NOT; a field-scoped query term contributes
only its hits in that field. Negative terms (exclude, NOT) never score. A term named several
times in one rule (say in places and in the query) is one term: reported once per
occurrence, with its highest weight and its first concept. (One text named both exact-case
and not is two terms finding the same places; identical hits are then reported once, with
the higher weight.) The rule fires when its score is at least min_score: 0 by default, so
any rule whose logic holds fires.

Hits are in reading order: title first, then text, each by start offset (then end, term and
concept). Each carries the term as written (whitespace tidied), its field, offsets into the
original field text and the term's concept.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, KeysView, Sequence
from dataclasses import dataclass
from operator import itemgetter

from monitor.match.normalize import Folded
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
from monitor.match.terms import (
    FIELDS,
    TEXT,
    TITLE,
    Found,
    Occurrences,
    TermError,
    TermPattern,
    TermScanner,
    clean_term,
    compile_term,
)
from monitor.records import Document, Hit, Match

TITLE_WEIGHT = 2


@dataclass(frozen=True, slots=True)
class Reported:
    """A positive term of a rule, as reported: its hits are evidence and score."""

    pattern: int
    term: str
    concept: str | None
    field: int | None  # only hits in this field count (a scoped query term)


# One term's hits in one document, with their reading-order keys, and its unweighted points.
Evidence = tuple[list[tuple[tuple[int, int, int, str, str], Hit]], int]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule reduced to one generated predicate and the terms it reports."""

    spec: RuleSpec
    check: Predicate  # categories, exclude and query in one function (query.Source)
    reported: tuple[tuple[int, int, float], ...]  # (pattern, report number, weight)
    key: frozenset[int]  # the rule is evaluated only when one of these is found
    repeats: bool  # one text named both exact-case and not: merge their hits

    def fire(self, found: Found, evidence: _Evidence) -> Match | None:
        """The match of a rule whose check() holds, unless its score is below min_score."""
        if self.repeats:
            return self._merged(found, evidence)
        keyed: list[tuple[tuple[int, int, int, str, str], Hit]] = []
        score = 0.0
        present = 0
        for pattern, report, weight in self.reported:
            if pattern in found:
                term_hits, points = evidence[report]
                keyed += term_hits
                score += weight * points
                present += 1
        spec = self.spec
        if score < spec.min_score:
            return None
        if present > 1:
            keyed.sort(key=_first)  # each term's hits are in order already
        hits = tuple(map(_second, keyed))
        return Match(spec.watchlist, spec.name, spec.priority, score, hits, spec.channels)

    def _merged(self, found: Found, evidence: _Evidence) -> Match | None:
        """fire() for a rule that names one text both exact-case and not: the two terms
        find the same places, each reported once, with the higher weight."""
        best: dict[Hit, tuple[tuple[int, int, int, str, str], float]] = {}
        for pattern, report, weight in self.reported:
            if pattern in found:
                for key, hit in evidence[report][0]:
                    if hit not in best or best[hit][1] < weight:
                        best[hit] = (key, weight)
        ordered = sorted(best.items(), key=lambda item: item[1][0])
        score = sum(w * (TITLE_WEIGHT if hit.field == "title" else 1) for hit, (_, w) in ordered)
        spec = self.spec
        if score < spec.min_score:
            return None
        hits = tuple(hit for hit, _ in ordered)
        return Match(spec.watchlist, spec.name, spec.priority, score, hits, spec.channels)


_first = itemgetter(0)
_second = itemgetter(1)


class _Evidence(dict[int, Evidence]):
    """Hits of each reported term in one document, built on first use however many rules
    report them."""

    def __init__(self, fields: Sequence[Folded], found: Found, reports: Sequence[Reported]) -> None:
        super().__init__()
        self._fields = fields
        self._found = found
        self._reports = reports

    def __missing__(self, report: int) -> Evidence:
        reported = self._reports[report]
        term, concept, only = reported.term, reported.concept, reported.field
        tie = concept or ""
        keyed = []
        points = 0
        for (field, start), end in self._found[reported.pattern].items():
            if only is not None and field != only:
                continue
            doc = self._fields[field]
            if doc.shifted:
                start, end = doc.original(start), doc.original(end)
            hit = Hit(term, FIELDS[field], start, end, concept)
            keyed.append(((field, start, end, term, tie), hit))
            points += TITLE_WEIGHT if field == TITLE else 1
        if len(keyed) > 1:
            keyed.sort(key=_first)
        self[report] = evidence = (keyed, points)
        return evidence


class Matcher:
    """Matches documents against a fixed set of rules. Build it with Matcher.compile."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        patterns: Sequence[TermPattern],
        reports: Sequence[Reported],
    ) -> None:
        self._rules = tuple(rules)
        self._scanner = TermScanner(patterns)
        self._reports = tuple(reports)
        index: dict[int, list[int]] = {}
        for number, rule in enumerate(self._rules):
            for pattern in rule.key:
                index.setdefault(pattern, []).append(number)
        self._index = {pattern: tuple(numbers) for pattern, numbers in index.items()}

    @classmethod
    def compile(cls, rules: Sequence[RuleSpec]) -> Matcher:
        """Compile rules; raises QueryError naming the rule (and part) at fault.

        The cyclic garbage collector is paused meanwhile: compiling allocates many small
        objects that form no cycles, and with ten thousand rules the collector's full passes
        over them took most of the time (1.1 s instead of 0.4 s here).
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            return cls._compile(rules)
        finally:
            if paused:
                gc.enable()

    @classmethod
    def _compile(cls, rules: Sequence[RuleSpec]) -> Matcher:
        patterns = _Patterns()
        drafts = [_draft(spec, patterns) for spec in rules]
        uses: dict[int, int] = {}  # pattern -> how many rules report it
        for draft in drafts:
            for pattern in draft.reported:
                uses[pattern] = uses.get(pattern, 0) + 1

        def cost(numbers: frozenset[int]) -> int:
            return sum(uses.get(n, 0) for n in numbers)

        reports: dict[Reported, int] = {}
        compiled = [draft.finish(cost, reports) for draft in drafts]
        # In output order, so that matches come out sorted by (watchlist, rule) for free.
        compiled.sort(key=lambda rule: (rule.spec.watchlist, rule.spec.name))
        return cls(compiled, patterns.compiled, list(reports))

    @property
    def rule_count(self) -> int:
        return len(self._rules)

    def match(self, doc: Document) -> list[Match]:
        """Every rule that fires on the document, sorted by (watchlist, rule)."""
        fields, found, candidates = self._candidates(doc)
        if not candidates:
            return []
        evidence = _Evidence(fields, found, self._reports)
        rules = self._rules
        keys = found.keys()
        matches = []
        for number in sorted(candidates):
            rule = rules[number]
            if rule.check(found, keys, fields):
                match = rule.fire(found, evidence)
                if match is not None:
                    matches.append(match)
        return matches  # rules are numbered in (watchlist, rule) order

    def stats(self, doc: Document) -> dict[str, int]:
        """How much work a document makes: distinct terms found, rules evaluated (their
        index terms were found), rules fired. For benchmarks and diagnostics."""
        _, found, candidates = self._candidates(doc)
        return {
            "terms found": len(found),
            "rules evaluated": len(candidates),
            "rules fired": len(self.match(doc)),
        }

    def _candidates(self, doc: Document) -> tuple[tuple[Folded, Folded], Found, set[int]]:
        fields = (Folded(doc.title), Folded(doc.text))
        found: defaultdict[int, Occurrences] = defaultdict(dict)
        self._scanner.scan(fields[TITLE], TITLE, found)
        self._scanner.scan(fields[TEXT], TEXT, found)
        index = self._index
        candidates: set[int] = set()
        for pattern in found:
            numbers = index.get(pattern)
            if numbers is not None:
                candidates.update(numbers)
        return fields, found, candidates


# ------------------------------------------------------------------------------ compiling


class _Patterns:
    """Every distinct term (text as cleaned, exact_case) of every rule, numbered."""

    def __init__(self) -> None:
        self.compiled: list[TermPattern] = []
        self._numbers: dict[tuple[str, bool], int] = {}

    def number(self, text: str, exact_case: bool) -> int:
        """The pattern number of a term, compiling it on first use; raises TermError."""
        key = (clean_term(text), exact_case)
        number = self._numbers.get(key)
        if number is None:
            self.compiled.append(compile_term(text, exact_case))
            number = self._numbers[key] = len(self.compiled) - 1
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


@dataclass(slots=True)
class _Draft:
    """A rule compiled but for its index key, which depends on all the other rules."""

    spec: RuleSpec
    categories: tuple[frozenset[int], ...]
    check: Predicate
    query: Node | None
    predicate: Predicate | None  # the query alone
    resolve: Callable[[Leaf], frozenset[int]]
    reported: dict[int, _Positive]  # pattern -> how it is reported
    query_terms: frozenset[int]  # the query's positive terms

    def finish(
        self, cost: Callable[[frozenset[int]], int], reports: dict[Reported, int]
    ) -> CompiledRule:
        """The compiled rule; `reports` numbers the distinct Reported across all rules."""
        options = list(self.categories)
        if self.query is not None and self.predicate is not None:
            needed = necessary(self.query, self.resolve, cost)
            if needed is not None:
                options.append(needed)
            elif not self.predicate({}, _NOTHING, ()):
                # No structural answer (NOTs): a query that is false on an empty document
                # stays false while none of its positive terms is found.
                options.append(self.query_terms)
        key = min(options, key=cost)
        reported = []
        for pattern, positive in self.reported.items():
            field = None if positive.everywhere else positive.field
            entry = Reported(pattern, positive.term, positive.concept, field)
            number = reports.setdefault(entry, len(reports))
            reported.append((pattern, number, positive.weight))
        terms = [positive.term for positive in self.reported.values()]
        return CompiledRule(
            spec=self.spec,
            check=self.check,
            reported=tuple(reported),
            key=key,
            repeats=len(set(terms)) < len(terms),
        )


def _draft(spec: RuleSpec, patterns: _Patterns) -> _Draft:
    """Check and compile one rule; errors say which part of the rule is wrong."""
    reported: dict[int, _Positive] = {}

    def term_number(term: Term, part: str) -> int:
        try:
            return patterns.number(term.text, term.exact_case)
        except TermError as error:
            raise QueryError(str(error), 0).in_rule(spec.watchlist, spec.name, part) from None

    def report(number: int, term: Term, field: int | None) -> None:
        old = reported.get(number)
        if old is None:
            display = patterns.compiled[number].term
            reported[number] = _Positive(display, term.weight, term.concept, field, field is None)
            return
        old.weight = max(old.weight, term.weight)
        if old.concept is None:
            old.concept = term.concept
        if field is None:
            old.everywhere = True
        elif old.field != field:
            old.everywhere = True  # scoped to the title in one place, the text in another

    categories: list[frozenset[int]] = []
    for name in ("places", "groups", "keywords"):
        numbers = []
        for position, written in enumerate(getattr(spec, name)):
            term = _as_term(written)
            number = term_number(term, f"{name}[{position}]")
            numbers.append(number)
            report(number, term, None)
        if numbers:
            categories.append(frozenset(numbers))
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
            return frozenset(number for number, _ in alias(leaf))
        try:
            return frozenset({patterns.number(leaf.text, False)})
        except TermError as error:
            raise QueryError(str(error), leaf.position).in_rule(
                spec.watchlist, spec.name, "query"
            ) from None

    source = Source()
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
    if not categories and (predicate is None or predicate({}, _NOTHING, ())):
        raise QueryError("rule needs at least one word that must appear", 0).in_rule(
            spec.watchlist, spec.name, "query" if query is not None else "rule"
        )
    checks = [_any_of(category, source) for category in categories]
    if exclude:
        checks.append(f"keys.isdisjoint({source.constant(exclude)})")
    if query_expression:
        checks.append(query_expression)
    return _Draft(
        spec=spec,
        categories=tuple(categories),
        check=source.predicate(" and ".join(f"({check})" for check in checks)),
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
    return f"not keys.isdisjoint({source.constant(numbers)})"
