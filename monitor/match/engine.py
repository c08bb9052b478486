"""The matcher: all rules compiled into one term scanner plus an index term -> rules.

match() scans each field once for every term of every rule, then evaluates only the rules that
have at least one of their positive terms in the document. Compile refuses rules that could fire
on a document without any of their words (e.g. a bare "NOT football"), which is what makes
skipping the other rules correct.

Score (v1): the number of hits, a hit in the title counting 2. A later issue adds weights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.match.query import Node, QueryError, evaluate, iter_terms, parse_query
from monitor.match.spec import RuleSpec
from monitor.match.terms import (
    Occurrence,
    TermError,
    TermPattern,
    TermScanner,
    compile_term,
)
from monitor.records import Document, Field, Hit, Match

TITLE_WEIGHT = 2


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule reduced to term names: what must be found, what must not, what is reported."""

    spec: RuleSpec
    categories: tuple[tuple[str, ...], ...]  # the non-empty ones; each needs one hit
    query: Node | None
    exclude: tuple[str, ...]
    positive: tuple[str, ...]  # terms whose hits are reported and that make the rule a candidate
    patterns: tuple[TermPattern, ...]  # every term the rule needs to look for

    def fires(self, found: dict[str, list[Occurrence]]) -> bool:
        if not all(any(term in found for term in category) for category in self.categories):
            return False
        if self.query is not None and not evaluate(self.query, found):
            return False
        return not any(term in found for term in self.exclude)

    def to_match(self, found: dict[str, list[Occurrence]]) -> Match:
        """The evidence: every occurrence of every positive term, sorted by (field, start).

        Field names sort as strings, so "text" hits come before "title" hits.
        """
        hits = sorted(
            (Hit(o.term, o.field, o.start, o.end) for t in self.positive for o in found.get(t, ())),
            key=lambda hit: (hit.field, hit.start, hit.end, hit.term),
        )
        score = sum(TITLE_WEIGHT if hit.field == "title" else 1 for hit in hits)
        return Match(
            watchlist=self.spec.watchlist,
            rule=self.spec.name,
            priority=self.spec.priority,
            score=float(score),
            hits=tuple(hits),
            channels=self.spec.channels,
        )


class Matcher:
    """Matches documents against a fixed set of rules. Build it with Matcher.compile."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self._rules = tuple(rules)
        patterns = {p.term: p for rule in self._rules for p in rule.patterns}
        self._scanner = TermScanner(patterns.values())
        index: dict[str, list[int]] = defaultdict(list)
        for number, rule in enumerate(self._rules):
            for term in rule.positive:
                index[term].append(number)
        self._index = {term: tuple(numbers) for term, numbers in index.items()}

    @classmethod
    def compile(cls, rules: Sequence[RuleSpec]) -> Matcher:
        """Compile rules; raises QueryError naming the rule (and part) at fault."""
        return cls([compile_rule(spec) for spec in rules])

    @property
    def rule_count(self) -> int:
        return len(self._rules)

    def match(self, doc: Document) -> list[Match]:
        """Every rule that fires on the document, sorted by (watchlist, rule)."""
        found = self._find(doc)
        candidates = sorted({n for term in found for n in self._index.get(term, ())})
        matches = [
            self._rules[n].to_match(found) for n in candidates if self._rules[n].fires(found)
        ]
        return sorted(matches, key=lambda m: (m.watchlist, m.rule))

    def _find(self, doc: Document) -> dict[str, list[Occurrence]]:
        found: dict[str, list[Occurrence]] = defaultdict(list)
        fields: tuple[tuple[Field, str], ...] = (("title", doc.title), ("text", doc.text))
        for field, text in fields:
            for term, occurrences in self._scanner.scan(text, field).items():
                found[term].extend(occurrences)
        return dict(found)


def compile_rule(spec: RuleSpec) -> CompiledRule:
    """Check and compile one rule; errors say which part of the rule is wrong."""
    patterns: dict[str, TermPattern] = {}
    named = (("places", spec.places), ("groups", spec.groups), ("keywords", spec.keywords))
    categories = tuple(_compile_list(spec, name, terms, patterns) for name, terms in named if terms)
    exclude = _compile_list(spec, "exclude", spec.exclude, patterns)
    query = _compile_query(spec, patterns)
    positive = dict.fromkeys(term for category in categories for term in category)
    if query is not None:
        positive.update(dict.fromkeys(term.text for term, plus in iter_terms(query) if plus))
    if not categories and (query is None or evaluate(query, {})):
        raise QueryError("rule needs at least one word that must appear", 0).in_rule(
            spec.watchlist, spec.name, "query" if query is not None else "rule"
        )
    return CompiledRule(spec, categories, query, exclude, tuple(positive), tuple(patterns.values()))


def _compile_list(
    spec: RuleSpec, name: str, terms: Iterable[str], patterns: dict[str, TermPattern]
) -> tuple[str, ...]:
    compiled: list[str] = []
    for number, written in enumerate(terms):
        try:
            pattern = compile_term(written)
        except TermError as error:
            raise QueryError(str(error), 0).in_rule(
                spec.watchlist, spec.name, f"{name}[{number}]"
            ) from None
        patterns[pattern.term] = pattern
        compiled.append(pattern.term)
    return tuple(compiled)


def _compile_query(spec: RuleSpec, patterns: dict[str, TermPattern]) -> Node | None:
    if spec.query is None:
        return None
    try:
        query = parse_query(spec.query)
        for term, _positive in iter_terms(query):
            patterns[term.text] = _compile_query_term(term.text, term.position)
    except QueryError as error:
        raise error.in_rule(spec.watchlist, spec.name, "query") from None
    return query


def _compile_query_term(term: str, position: int) -> TermPattern:
    try:
        return compile_term(term)
    except TermError as error:
        raise QueryError(str(error), position) from None
