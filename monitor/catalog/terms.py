"""The Terms of one place name: one per folded form, names matched as names, each with the
longer known names that contain it (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace as replace_field

from monitor.catalog.gazetteer import Gazetteer
from monitor.catalog.names import EXACT_CASE_MAX_LETTERS, cased, common_words, fold_key, letters
from monitor.catalog.phrases import added_words, area_only
from monitor.match.spec import Term


class TermList:
    """Terms in order, one per folded form."""

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self._seen: set[str] = set()

    def add(self, text: str, concept: str) -> None:
        key = fold_key(text)
        if not key or key in self._seen:
            return
        self._seen.add(key)
        exact = cased(text) and letters(text) <= EXACT_CASE_MAX_LETTERS
        words = common_words()
        if not exact and text[:1].isupper() and (
                key in words or all(w in words for w in key.split())):
            # A name that is also a word ("Reading", "Turkey", "Nice") is looked for only
            # capitalised, as written or in capitals: "reading" and "turkey" are words.
            self.terms.append(Term(text, exact_case=True, concept=concept, name=True))
            self.terms.append(Term(text.upper(), exact_case=True, concept=concept, name=True))
            return
        self.terms.append(Term(text, exact_case=exact, concept=concept, name=True))

    def keys(self) -> set[str]:
        return set(self._seen)

    def with_longer(self, gaz: Gazetteer, own: set[str], defined: dict[str, list[str]]
                    ) -> tuple[Term, ...]:
        """The terms, each with the longer known names that contain it (own names of the
        places asked for excepted; `defined`: the names of places defined in files, by
        word): hits inside those are theirs."""
        out = []
        for term in self.terms:
            key = fold_key(term.text)
            longer = [n for n in gaz.longer_names(key) if n not in own]
            words = key.split()
            rarest = min(words, key=lambda w: len(defined.get(w, ()))) if words else ""
            for name in defined.get(rarest, ()):
                extra = added_words(name, key)
                if extra and not area_only(extra) and name not in own and name not in longer:
                    longer.append(name)
            out.append(replace_field(term, longer=tuple(longer)))
        return tuple(out)

    def extend(self, texts: Iterable[str], concept: str) -> None:
        for text in texts:
            self.add(text, concept)
