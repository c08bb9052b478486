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
   has a hit, no exclude term is found and the query holds, with C-level set tests (a
   field-scoped term asks the set of patterns found in that field; a NEAR test is answered
   once per document however many rules ask it); then its score is summed and compared with
   `min_score`, and only then are its hits built (once per term and document, shared by the
   rules that report it, each with an integer key so that merging terms sorts integers).

What 50,000 rules cost (bench/match.py): the compiled rules share every equal piece (sets of
terms, constant tuples, NEAR tests, one function per rule shape), so they keep about 43 MB;
per article the cost grows with the rules that are evaluated and fire, not with the rules
compiled. Measured on one core of a 2-core machine: a typical 5 KB article (134 rules
evaluated, 54 fire) 1,900/s at 50,000 rules against 8,200/s at 100; a dense one (427
evaluated, 227 fire) 700/s against 7,700/s. Of the dense article's time at 50,000 rules
about a quarter is the scan (folding is 14 us of it, the automaton about 100 us, the rest
the Python checks of its ~190 raw matches), a fifth the predicates (NEAR tests half of
that), and the rest building hits and matches: the loop over the rules that fire, a few
microseconds each, is what a pure-Python matcher cannot make much smaller.

Score: a hit scores its term's weight (Term.weight; 1 for plain strings and query words),
times TITLE_WEIGHT (2) when the hit is in the title; a match's score is the sum over its
hits. The hits are every occurrence of every positive term of the rule: category terms, and
query words and alias terms that are not under a NOT; a field-scoped query term contributes
only its hits in that field. Negative terms (exclude, NOT) never score. A term named several
times in one rule (say in places and in the query) is one term: reported once per
occurrence, with its highest weight and its first concept. (One text named both exact-case
and not is two terms finding the same places; identical hits are then reported once, with
the higher weight.) The rule fires when its score is at least min_score: 0 by default, so
any rule whose logic holds fires. Two checks on the document's facts follow, each read once
per document and only when a rule asks: a rule listing `events:` needs one of its event
phrases told as happening, not only denied, foiled or planned (facts/happened.py), and a
rule with casualty minimums needs the figures to meet them.

Hits are in reading order: title first, then text, each by start offset (then end, term and
concept). Each carries the term as written (whitespace tidied), its field, offsets into the
original field text, the term's concept and, for a place, its point (coordinates).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Sequence
from itertools import repeat

from monitor.facts.casualties import FiguresOf
from monitor.facts.happened import HappenedIn
from monitor.match.normalize import Folded
from monitor.match.predicate import Fields
from monitor.match.rules import (
    TITLE_WEIGHT,
    CompiledRule,
    Evidence,
    Patterns,
    Reported,
    draft,
    first,
    make_hit,
    make_match,
    second,
)
from monitor.match.spec import RuleSpec
from monitor.match.terms import FIELDS, TEXT, TITLE, Found, Occurrences, TermPattern, TermScanner
from monitor.records import Document, Hit, Match, Point


class _Evidence(dict[int, Evidence]):
    """Hits of each reported term in one document, built on first use however many rules
    report them.

    Each hit comes with an integer that sorts as its reading-order key (field, start, end,
    term, concept) would: `rank` numbers every reported (term, concept) in sorted order at
    compile time, so that a rule merging several terms' hits sorts plain integers. The
    offsets take as many bits as this document's longer field needs, and the ranks as many
    as the compiled rules need (`rank_bits`): short keys are cheaper to build and compare.
    """

    def __init__(self, fields: Fields, found: Found, rows: Sequence[_Row], rank_bits: int) -> None:
        super().__init__()
        self._fields = fields
        self._found = found
        self._rows = rows
        self._in_title = fields.present[TITLE]
        self._shifted = any(doc.shifted for doc in fields)
        self._width = max(len(doc.folded) for doc in fields).bit_length()
        self._rank_bits = rank_bits

    def __missing__(self, report: int) -> Evidence:
        pattern, term, concept, only, kind, point, rank = self._rows[report]
        occurrences = self._found[pattern]
        width, rank_bits = self._width, self._rank_bits
        if only is None and not self._shifted:  # the common case, in one comprehension
            keyed = [
                (
                    (((field << width) | start) << width | end) << rank_bits | rank,
                    make_hit(term, FIELDS[field], start, end, concept, kind, point),
                )
                for (field, start), end in occurrences.items()
            ]
            points = len(keyed)
            if pattern in self._in_title:
                points += (TITLE_WEIGHT - 1) * sum(1 for where in occurrences if where[0] == TITLE)
        else:
            keyed = []
            points = 0
            fields = self._fields
            for (field, start), end in occurrences.items():
                if only is not None and field != only:
                    continue
                doc = fields[field]
                if doc.shifted:
                    start, end = doc.original(start), doc.original(end)
                hit = make_hit(term, FIELDS[field], start, end, concept, kind, point)
                keyed.append(((((field << width) | start) << width | end) << rank_bits | rank, hit))
                points += TITLE_WEIGHT if field == TITLE else 1
        if len(keyed) > 1:
            keyed.sort(key=first)
        self[report] = evidence = (keyed, tuple(map(second, keyed)), points)
        return evidence


# What _Evidence needs of a report, in one tuple: (pattern, term, concept, field, kind,
# point, rank); one tuple unpacked costs less than six attributes read.
_Row = tuple[int, str, str | None, int | None, str | None, Point | None, int]


def _rows(reports: Sequence[Reported]) -> list[_Row]:
    """For each report its _Row, with the rank of its (term, concept) among all reports'."""
    order = sorted({(r.term, r.concept or "") for r in reports})
    rank = {key: number for number, key in enumerate(order)}
    return [
        (r.pattern, r.term, r.concept, r.field, r.kind, r.point, rank[(r.term, r.concept or "")])
        for r in reports
    ]


class Matcher:
    """Matches documents against a fixed set of rules. Build it with Matcher.compile."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        patterns: Sequence[TermPattern],
        reports: Sequence[Reported],
        shadows: dict[int, set[int]] | None = None,
    ) -> None:
        self._rules = tuple(rules)
        self._scanner = TermScanner(patterns)
        self._shadows = {p: tuple(s) for p, s in (shadows or {}).items() if s}
        self._evidence_rows = _rows(reports)
        self._rank_bits = len(self._evidence_rows).bit_length()
        # What the matching loop reads of each rule, in one tuple (see _match).
        self._hot = [
            (
                rule.shape,
                rule.constants,
                rule.reported,
                rule.spec,
                rule.minimums,
                rule if rule.repeats else None,
                bool(rule.spec.events),
            )
            for rule in self._rules
        ]
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
        patterns = Patterns()
        drafts = [draft(spec, patterns) for spec in rules]
        uses: dict[int, int] = {}  # pattern -> how many rules report it
        for one in drafts:
            for pattern in one.reported:
                uses[pattern] = uses.get(pattern, 0) + 1

        def cost(numbers: frozenset[int]) -> int:
            return sum(uses.get(n, 0) for n in numbers)

        reports: dict[Reported, int] = {}
        compiled = [one.finish(cost, reports, patterns.interned) for one in drafts]
        # In output order, so that matches come out sorted by (watchlist, rule) for free.
        compiled.sort(key=lambda rule: (rule.spec.watchlist, rule.spec.name))
        return cls(compiled, patterns.compiled, list(reports), patterns.shadows)

    @property
    def rule_count(self) -> int:
        return len(self._rules)

    def match(
        self, doc: Document, figures: FiguresOf | None = None, short: list[Match] | None = None
    ) -> list[Match]:
        """Every rule that fires on the document, sorted by (watchlist, rule).

        A rule with casualty minimums (`min_killed` …) fires only when the document's
        figures meet them; `figures` reads them once however many rules ask (the caller
        passes its own to reuse them for the alert; by default one for this document).
        Rules whose words matched but whose minimums the figures fall short of are added
        to `short`, when given (`test` says why they did not fire).

        The cyclic garbage collector is paused meanwhile, as in compile(): matching makes
        hundreds of short-lived records and dicts that form no cycles and die by reference
        counting, and with 50,000 rules compiled the collections they set off (young
        passes, and now and then a full pass over the compiled rules) took about a tenth
        of a dense article's time (bench/match.py).
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._match(doc, figures or FiguresOf(doc.title, doc.text), short)
        finally:
            if paused:
                gc.enable()

    def _match(self, doc: Document, figures: FiguresOf, short: list[Match] | None) -> list[Match]:
        fields, found, candidates = self._candidates(doc)
        if not candidates:
            return []
        evidence = _Evidence(fields, found, self._evidence_rows, self._rank_bits)
        hot = self._hot
        keys = found.keys()
        happened = HappenedIn(doc.title, doc.text)
        matches = []
        for number in sorted(candidates):
            shape, constants, reported, spec, minimums, merging, events = hot[number]
            if not shape(constants, found, keys, fields):
                continue
            if merging is not None:  # one text named exact-case and not: CompiledRule knows
                match = merging.fire_merged(found, evidence)
                if match is None:
                    continue
            else:  # inline rather than a method: this runs for every rule that fires
                merged = lead = None
                hits: tuple[Hit, ...] = ()
                score = 0.0
                for pattern, report, weight in reported:
                    if pattern in found:
                        keyed, term_hits, points = evidence[report]
                        if term_hits:
                            if lead is None:
                                lead, hits = keyed, term_hits
                            elif merged is None:
                                merged = lead + keyed
                            else:
                                merged += keyed
                            score += weight * points
                if score < spec.min_score:
                    continue
                if merged is not None:
                    merged.sort(key=first)
                    hits = tuple(map(second, merged))
                match = make_match(
                    spec.watchlist, spec.name, spec.priority, score, hits, spec.channels
                )
            if events and not happened.any_reported(match.hits):
                continue  # its event phrases are only denied, foiled, planned, … (happened.py)
            if minimums is None or minimums.met_by(figures()):
                matches.append(match)
            elif short is not None:
                short.append(match)
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

    def _candidates(self, doc: Document) -> tuple[Fields, Found, set[int]]:
        title, text = Folded(doc.title), Folded(doc.text)
        found: defaultdict[int, Occurrences] = defaultdict(dict)
        in_title: defaultdict[int, Occurrences] = defaultdict(dict)
        self._scanner.scan(text, TEXT, found)
        self._scanner.scan(title, TITLE, in_title)
        present = (set(in_title), set(found))  # the patterns found in each field
        for number, occurrences in in_title.items():  # the title is short: merge it in
            if number in found:
                found[number].update(occurrences)
            else:
                found[number] = occurrences
        if self._shadows:
            for number in _drop_shadowed(found, self._shadows):
                for field, numbers in enumerate(present):
                    if not any(where[0] == field for where in found.get(number, ())):
                        numbers.discard(number)
        fields = Fields((title, text), present)
        # the rules indexed under any pattern found, gathered at C level
        candidates: set[int] = set().union(*map(self._index.get, found, repeat(())))
        return fields, found, candidates


def _drop_shadowed(
    found: defaultdict[int, Occurrences], shadows: dict[int, tuple[int, ...]]
) -> list[int]:
    """Remove the hits of a name that lie inside a hit of a longer name it is part of ("York"
    inside "New York"): the longest known name wins. A rule that names the longer one too
    still has that name's own hit. Returns the patterns that lost hits."""
    dropped = []
    for pattern, longer in shadows.items():
        hits = found.get(pattern)
        if not hits:
            continue
        spans = [
            (field, start, end)
            for number in longer
            if number in found
            for (field, start), end in found[number].items()
        ]
        if not spans:
            continue
        for (field, start), end in list(hits.items()):
            if any(
                f == field and s <= start and end <= e and e - s > end - start for f, s, e in spans
            ):
                del hits[(field, start)]
                dropped.append(pattern)
        if not hits:
            del found[pattern]
    return dropped
