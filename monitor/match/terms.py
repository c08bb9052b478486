"""Terms: what a rule word or phrase compiles to, and the one-pass scanner that finds them.

Every term of every rule goes into one Aho-Corasick automaton over squashed text (see
normalize.py). A raw automaton match counts only when it starts where a word starts and, for
a whole-word term, ends where a word ends; the words it covers map back to offsets in the
original text.

Variants, decided when a term compiles:
- plurals: a whole-word term also matches +s, +es and y -> ies ("city": "cities");
- prefix: a trailing '*' matches any word that starts with the term, but still only from a
  word start: "strike*" does not match inside "airstrike";
- Arabic clitics: an Arabic term of three letters or more also matches after a clitic glued
  to the front of the word: و (and), ب (in, by), ل (for), ال (the) and their combinations
  وال, بال, لل, وب, ول, وبال, ولل; "حلب" matches "بحلب" and "وحلب". The hit covers the whole
  word. The risk is a different word that happens to be clitic + term ("لبنان", Lebanon, is
  ل + "بنان"); make such a term exact_case to turn the clitics off;
- exact_case: matches only where the original text has the term's letters in the same case
  ("IS" matches "IS claimed" not "it is"); no plurals and no clitics;
- names (places and groups from the catalogs): no plurals, and the text may split the name
  only where the name itself separates words or at a joiner such as a hyphen ("Hama" does
  not find "Hamas", "Andover" does not find "and over", "al-Qaeda" finds "al Qaeda").
The possessive needs no variant: the apostrophe separates "ISIS" from "s", so "ISIS's"
contains the word ISIS.

What people may write as a term is check_term()'s to say: words matched literally, a final
'*', and nothing that only makes sense as a regular expression.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import ahocorasick

from monitor.match.normalize import (
    DROP,
    MIN_SPLIT_PART,
    SEPARATOR,
    Folded,
    exact_letters,
    fold_words,
    is_word_char,
)

TITLE, TEXT = 0, 1  # field numbers in occurrences
FIELDS = ("title", "text")

# Clitics that may be glued in front of an Arabic term (folded forms).
CLITICS = frozenset({"و", "ب", "ل", "ال", "وال", "بال", "لل", "وب", "ول", "وبال", "ولل"})
MIN_CLITIC_TERM = 3  # letters an Arabic term needs before clitics are allowed in front of it

# Occurrences of one pattern: (field, start) -> end, offsets into Folded.folded of the field;
# a dict because only the longest match per pattern and start counts.
Occurrences = dict[tuple[int, int], int]
Found = dict[int, Occurrences]  # pattern number -> its occurrences


class TermError(ValueError):
    """A term that cannot be matched as written; callers add where it came from.

    position: 0-based offset into the term as written of the character at fault."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


# Characters that mean something only in a regular expression. Read as the word separators
# they would otherwise be, they make a term match something its writer did not mean:
# "[Aa]leppo" would look for "Aa leppo", "(IS|ISIL)" for "IS ISIL", "C++" for every "C".
REGEX_SYNTAX = frozenset("\\|[]{}^+")


@dataclass(frozen=True, slots=True)
class TermPattern:
    """One term compiled for the automaton.

    keys: the squashed spellings that count as this term (the term and, for whole words, its
    plurals). kept: squash offsets where the term as written separates words. exact: the
    letters an exact-case term must find in the original text (None when case is ignored).
    """

    term: str
    prefix: bool
    keys: tuple[str, ...]
    kept: frozenset[int]
    lengths: tuple[int, ...]  # letters in each word of the term
    spaced: str  # the folded words joined by single separators
    exact: str | None
    clitic: bool
    name: bool = False  # a proper name: no plurals, no splits it does not have


def clean_term(written: str) -> str:
    """The display form of a term: surrounding and repeated whitespace removed."""
    return " ".join(written.split())


def check_term(written: str) -> None:
    """Raise TermError unless `written` is a term an analyst can mean literally.

    A term is matched as written: its letters and digits, word by word, with punctuation
    separating words as it does in articles ("U.S." finds "U.S." and "U S", "al-Qaeda" finds
    "al Qaeda"). The one wildcard is a final '*'. A term with nothing to match, a '*'
    elsewhere, or regular-expression syntax is refused with what to write instead, rather
    than matched as something else ('.*' used to pass `check` and stop the daemon).
    compile_term() needs less (something to match); this is what config and the query
    lexer ask of what people write.
    """
    _refuse_regex_syntax(written)
    if not fold_words(written.rstrip().rstrip("*")):
        raise TermError(
            f"{clean_term(written)!r} has no letter or digit to look for: write a word or "
            'phrase as it appears in articles, such as ceasefire, bomb* or "Red Cross" '
            "(terms are not regular expressions)"
        )
    _refuse_inner_wildcard(written)


def _refuse_regex_syntax(written: str) -> None:
    for index, char in enumerate(written):
        follows = index + 1 < len(written) and is_word_char(written[index + 1])
        if char in REGEX_SYNTAX or (char == "?" and follows):  # "colou?r", not "why?"
            raise TermError(
                f"{char!r} is regular-expression syntax, and terms are not regular "
                "expressions: write the words as they appear (one term per spelling; "
                "bomb* for words that start with bomb)",
                index,
            )


def _refuse_inner_wildcard(written: str) -> None:
    last = len(written.rstrip()) - 1
    for index, char in enumerate(written):
        if char == "*" and (index != last or not index or not is_word_char(written[index - 1])):
            raise TermError(
                "'*' may only end a term, right after a letter or digit (bomb* finds bomb, "
                "bombing, bombers); there is no other wildcard",
                index,
            )


def compile_term(written: str, exact_case: bool = False, name: bool = False) -> TermPattern:
    """Compile a term (see the module docstring for the variants it matches)."""
    term = clean_term(written)
    prefix = term.endswith("*")
    body = term.rstrip("*")
    words = fold_words(body)
    if not words:
        raise TermError(f"{term!r} has no letter or digit to look for")
    squashed = "".join(words)
    kept: set[int] = set()
    offset = 0
    for word in words[:-1]:
        offset += len(word)
        kept.add(offset)
    keys = (squashed,) if prefix or exact_case or name else plural_forms(squashed)
    clitic = not exact_case and len(squashed) >= MIN_CLITIC_TERM and _is_arabic(squashed[0])
    exact = exact_letters(body) if exact_case else None
    lengths = tuple(map(len, words))
    spaced = SEPARATOR.join(words)
    kept_at = frozenset(kept) if kept else _NOTHING_KEPT
    return TermPattern(term, prefix, keys, kept_at, lengths, spaced, exact, clitic, name)


def plural_forms(squashed: str) -> tuple[str, ...]:
    """The word itself and its simple English plurals (a later issue may add languages)."""
    forms = [squashed, squashed + "s", squashed + "es"]
    if squashed.endswith("y") and len(squashed) > 1:
        forms.append(squashed[:-1] + "ies")
    return tuple(forms)


def _is_arabic(char: str) -> bool:
    return "\u0620" <= char <= "\u064a" or "\u066e" <= char <= "\u06d3"


_NO_FORMS: dict[str, tuple[int, ...]] = {}  # shared, never written to
_NOTHING_KEPT: frozenset[int] = frozenset()


class _Key:
    """What the automaton stores for one key: its patterns, sorted for the scan loop."""

    def __init__(self, key: str, found: Sequence[tuple[int, TermPattern]]) -> None:
        plain = tuple(n for n, p in found if not p.prefix and p.exact is None)
        prefixes = tuple(n for n, p in found if p.prefix and p.exact is None)
        simple = len(plain) + len(prefixes) == len(found)  # no exact-case term
        forms: dict[str, tuple[int, ...]] = {}  # plain terms by their words, single-spaced
        for number, pattern in found:
            if number in plain and SEPARATOR in pattern.spaced:  # one word: never looked up
                forms[pattern.spaced] = (*forms.get(pattern.spaced, ()), number)
        forms = forms or _NO_FORMS  # most keys: one shared empty table
        clitic = any(pattern.clitic for _, pattern in found)
        self.value = (len(key), plain, prefixes, simple, tuple(found), clitic, forms)


class TermScanner:
    """Finds every occurrence of every term in one pass over a folded text.

    Patterns are numbered by their position in the sequence given; scan() reports
    occurrences under those numbers, as (field, start, end) offsets into Folded.folded.
    """

    def __init__(self, patterns: Sequence[TermPattern]) -> None:
        table: dict[str, list[tuple[int, TermPattern]]] = {}
        for number, pattern in enumerate(patterns):
            for key in pattern.keys:
                table.setdefault(key, []).append((number, pattern))
        self._automaton: ahocorasick.Automaton | None = None
        if table:
            automaton = ahocorasick.Automaton()
            for key, found in table.items():
                automaton.add_word(key, _Key(key, found).value)
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, doc: Folded, field: int, found: defaultdict[int, Occurrences]) -> None:
        """Add the occurrences in `doc` to `found` (pattern number -> occurrences); at most
        one, the longest, per pattern and start.

        The automaton skips separators and DROPs, so a raw match may span several words;
        it counts when it starts at a word start (or after a clitic, for Arabic terms) and,
        unless the term is a prefix, ends at a word end. The loop below settles the common
        cases (one whole word; a phrase split as written) in a few steps and leaves the
        rest to _check().
        """
        automaton = self._automaton
        text = doc.folded
        if automaton is None or not text:
            return
        size = len(text)
        drops = doc.drops
        find = text.find
        count = text.count
        for end, value in automaton.iter(text, 0, size, True):
            length, plain, prefixes, simple, entries, clitic, forms = value
            start = end + 1 - length
            if drops:
                _check(doc, field, start, end, entries, clitic, found, None)
            elif find(SEPARATOR, start, end) < 0:  # within one word
                if start and text[start - 1] != SEPARATOR:
                    if clitic:
                        _check(doc, field, start, end, entries, clitic, found, False)
                    continue  # inside a word: the most common raw match that fails
                stop = end + 1
                whole = stop == size or text[stop] == SEPARATOR
                if whole:
                    for number in plain:
                        found[number][(field, start)] = stop  # a later end is longer
                if prefixes:
                    tail = stop if whole else find(SEPARATOR, end)
                    tail = size if tail < 0 else tail
                    for number in prefixes:
                        found[number][(field, start)] = tail
                if not simple:
                    _check(doc, field, start, end, entries, clitic, found, False)
            else:  # across words: the real start is further back by the separators skipped
                missing = count(SEPARATOR, start, end)
                while missing:
                    start, previous = start - missing, start
                    missing = count(SEPARATOR, start, previous)
                if start and text[start - 1] != SEPARATOR:  # starts inside a word
                    if clitic:  # perhaps after a clitic: _check() knows
                        _check(doc, field, start, end, entries, clitic, found, True)
                    continue
                stop = end + 1
                if simple and not prefixes:
                    if stop < size and text[stop] != SEPARATOR:
                        continue  # ends inside a word, and no term here is a prefix
                    numbers = forms.get(text[start:stop])
                    if numbers is not None and len(numbers) == len(plain):
                        for number in numbers:  # split exactly as the terms are
                            found[number][(field, start)] = stop
                        continue
                _check(doc, field, start, end, entries, clitic, found, True)


def _check(
    doc: Folded,
    field: int,
    start: int,
    end: int,
    entries: tuple[tuple[int, TermPattern], ...],
    clitic: bool,
    found: defaultdict[int, Occurrences],
    spaced: bool | None,
) -> None:
    """The general case of a raw match from `start` to `end` (inclusive): it may span words,
    follow a clitic, stop inside a word (prefixes) or need exact case. `spaced` says whether
    it spans separators (start is then already moved back over them); None when not known
    yet, start being end + 1 - its length."""
    text = doc.folded
    size = len(text)
    if spaced is None:
        spaced = doc.letters(start, end + 1) < end + 1 - start
        if spaced:
            start = _real_start(doc, start, end)
    if start == 0 or text[start - 1] == SEPARATOR:
        head = start
        glued = False
    elif not (clitic or doc.drops):
        return
    else:
        head = text.rfind(SEPARATOR, 0, start) + 1
        before = text[head:start].replace(DROP, "")
        glued = bool(before)
        if glued and (not clitic or before not in CLITICS):
            return
    stop = end + 1
    if stop < size and text[stop] != SEPARATOR:
        stop = _word_end(text, stop) if doc.drops and text[stop] == DROP else -1
    for number, pattern in entries:
        if pattern.prefix:
            tail = text.find(SEPARATOR, end)
            tail = size if tail < 0 else tail
        elif stop >= 0:
            tail = stop
        else:
            continue
        if glued and not pattern.clitic:
            continue
        if spaced and not _split_allowed(doc, head, start, tail, pattern):
            continue
        if pattern.exact is not None and not _same_case(doc, head, tail, pattern):
            continue
        found[number][(field, head)] = tail  # a later end is a longer match


def _real_start(doc: Folded, start: int, end: int) -> int:
    """Where a raw match that skipped separators or DROPs starts: end + 1 - length is too
    late by the number of skipped characters, and those before it may hold more."""
    stop = end + 1
    missing = (stop - start) - doc.letters(start, stop)
    while missing:
        start, stop = start - missing, start
        missing = (stop - start) - doc.letters(start, stop)
    return start


def _word_end(text: str, index: int) -> int:
    """Past the DROPs at `index`: the word end there, or -1 when the word goes on."""
    size = len(text)
    while index < size and text[index] == DROP:
        index += 1
    return index if index == size or text[index] == SEPARATOR else -1


_WORD = re.compile(f"[^{SEPARATOR}]+")


def _split_allowed(doc: Folded, head: int, start: int, stop: int, pattern: TermPattern) -> bool:
    """Whether the words of folded[head:stop] may be read as one term that starts at `start`.

    The text may always split where the term itself separates words (pattern.kept, offsets in
    letters from the term start). Other splits need a joiner or long words.
    """
    if head == start and doc.folded[start:stop] == pattern.spaced:
        return True  # the usual case: the text splits a phrase where the term does, once
    if (
        head == start
        and not doc.drops
        and tuple(map(len, doc.folded[start:stop].split())) == pattern.lengths
    ):
        return True  # the same with longer separators ("Bab  al-Hawa", "Red Cross (ICRC)")
    kept = pattern.kept
    words = [
        (found.start(), found.end())
        for found in _WORD.finditer(doc.folded, head, stop)
        if not doc.drops or doc.letters(found.start(), found.end())  # not a lone mark
    ]
    for (first, first_end), (second, second_end) in pairwise(words):
        if doc.letters(start, first_end) in kept:
            continue
        if doc.joined(first_end, second):
            continue
        if pattern.name:
            return False  # a name splits only where it does, or at a joiner
        shortest = min(doc.letters(first, first_end), doc.letters(second, second_end))
        if shortest < MIN_SPLIT_PART:
            return False
    return True


def _same_case(doc: Folded, start: int, stop: int, pattern: TermPattern) -> bool:
    written = doc.text[doc.original(start) : doc.original(stop)]
    if not (written.isascii() and written.isalnum()):  # one ASCII word is its own letters
        written = exact_letters(written)
    assert pattern.exact is not None
    if pattern.prefix:
        return written.startswith(pattern.exact)
    return written == pattern.exact
