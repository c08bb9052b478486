"""Terms: what a rule word or phrase compiles to, and the one-pass scanner that finds them.

Every term of every rule goes into one Aho-Corasick automaton over squashed text (see
normalize.py). A raw automaton match counts only when it starts where a word starts and, for
a whole-word term, ends where a word ends; the words it covers map back to offsets in the
original text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from monitor.match.normalize import Squashed, squash, tokenize
from monitor.records import Field


class TermError(ValueError):
    """A term with nothing to match (no letter or digit); callers add where it came from."""


@dataclass(frozen=True, slots=True)
class TermPattern:
    """One term compiled for the automaton.

    keys: the squashed spellings that count as this term (the term and, for whole words, its
    plurals). boundaries: squash offsets where the term as written separates words.
    """

    term: str
    prefix: bool
    keys: tuple[str, ...]
    boundaries: frozenset[int]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place where a term was found: token span (for NEAR) and original offsets."""

    term: str
    field: Field
    first: int  # index of the first word covered
    last: int  # index of the last word covered
    start: int  # offsets into the original field text
    end: int


def clean_term(written: str) -> str:
    """The display form of a term: surrounding and repeated whitespace removed."""
    return " ".join(written.split())


def compile_term(written: str) -> TermPattern:
    """Compile a term. A trailing '*' makes it a prefix (any word starting with it).

    Whole-word terms also match their plurals: +s, +es, and y -> ies. The possessive needs no
    variant: the apostrophe separates "ISIS" from "s", so "ISIS's" contains the word ISIS.
    """
    term = clean_term(written)
    prefix = term.endswith("*")
    words = [token.folded for token in tokenize(term.rstrip("*"))]
    if not words:
        raise TermError("expected a term with at least one letter or digit")
    squashed = "".join(words)
    boundaries: set[int] = set()
    offset = 0
    for word in words[:-1]:
        offset += len(word)
        boundaries.add(offset)
    keys = (squashed,) if prefix else plural_forms(squashed)
    return TermPattern(term, prefix, keys, frozenset(boundaries))


def plural_forms(squashed: str) -> tuple[str, ...]:
    """The word itself and its simple English plurals (a later issue may add languages)."""
    forms = [squashed, squashed + "s", squashed + "es"]
    if squashed.endswith("y") and len(squashed) > 1:
        forms.append(squashed[:-1] + "ies")
    return tuple(forms)


class TermScanner:
    """Finds every occurrence of every term in one pass over a text."""

    def __init__(self, patterns: Iterable[TermPattern]) -> None:
        table: dict[str, list[TermPattern]] = defaultdict(list)
        for pattern in patterns:
            for key in pattern.keys:
                table[key].append(pattern)
        self._automaton: ahocorasick.Automaton | None = None
        if table:
            automaton = ahocorasick.Automaton()
            for key, found in table.items():
                automaton.add_word(key, (len(key), tuple(found)))
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, text: str, field: Field) -> dict[str, list[Occurrence]]:
        """Occurrences per term, in text order; at most one (the longest) per term and start."""
        if self._automaton is None or not text:
            return {}
        squashed = squash(text)
        best: dict[tuple[str, int], Occurrence] = {}
        for last_char, (length, patterns) in self._automaton.iter(squashed.text):
            start = last_char + 1 - length
            first = squashed.start_index.get(start)
            if first is None:
                continue
            for pattern in patterns:
                found = _locate(squashed, pattern, field, first, start, last_char + 1)
                if found is None:
                    continue
                previous = best.get((pattern.term, found.start))
                if previous is None or found.end > previous.end:
                    best[(pattern.term, found.start)] = found
        by_term: dict[str, list[Occurrence]] = defaultdict(list)
        for occurrence in sorted(best.values(), key=lambda o: o.start):
            by_term[occurrence.term].append(occurrence)
        return dict(by_term)


def _locate(
    squashed: Squashed, pattern: TermPattern, field: Field, first: int, start: int, end: int
) -> Occurrence | None:
    """Turn a raw automaton match into an occurrence, or None when it breaks a word edge.

    A prefix term may end inside a word; its occurrence then covers that whole word, so the
    reader sees "bombing" for "bomb*".
    """
    if pattern.prefix:
        last = squashed.token_at(end - 1)
    else:
        found = squashed.end_index.get(end)
        if found is None:
            return None
        last = found
    if not squashed.split_allowed(first, last, start, pattern.boundaries):
        return None
    tokens = squashed.tokens
    return Occurrence(pattern.term, field, first, last, tokens[first].start, tokens[last].end)
