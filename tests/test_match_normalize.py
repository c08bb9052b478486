"""Tests of the text folding under the matcher: the fast, one-character-for-one fold must give
the same words as folding each word on its own, and map its offsets back to the original."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.match.normalize import DROP, SEPARATOR, Folded, fold_char, fold_positional


def _marks() -> str:
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


# The reference: words by regex (letters, digits and marks), each folded on its own.
REFERENCE_WORD = re.compile(f"(?:[^\\W_]|[{_marks()}])+")


def reference_fold(word: str) -> str:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", word.casefold()).casefold())
    kept = "".join(c for c in text if c.isalnum() or unicodedata.category(c) == "Mc")
    return kept.translate(
        str.maketrans({"ٱ": "ا", "ى": "ي", "ة": "ه", "ک": "ك", "ی": "ي", "ـ": None})
    )


def reference_words(text: str) -> list[tuple[int, int, str]]:
    found = []
    for word in REFERENCE_WORD.finditer(text):
        folded = reference_fold(word.group())
        if folded:
            found.append((word.start(), word.end(), folded))
    return found


def folded_words(text: str) -> list[tuple[int, int, str]]:
    doc = Folded(text)
    found = []
    for word in re.finditer(f"[^{SEPARATOR}]+", doc.folded):
        letters = word.group().replace(DROP, "")
        if letters:
            found.append((doc.original(word.start()), doc.original(word.end()), letters))
    return found


INTERESTING = list(
    "aAzZ09 _-.,’“”—\t\n\x00ßẞİıﬁﬃ½™㎏Ⓐ①ǅΣσςЁё"
    "\u0301\u0308\u064e\u0651\u0670"  # combining marks, harakat
    "أإآٱاؤئىيةهکیكـلاﻻ﷽"  # Arabic letters with variants, tatweel, presentation forms
    "\U0001d400\U0001f4f0\u200c\u200d\ufeff"
)


@settings(max_examples=1500, deadline=None)
@given(st.text(st.one_of(st.characters(), st.sampled_from(INTERESTING)), max_size=40))
@example("Stra\u00dfe \ufb01re \u00bd Aleppo")
@example("a \u0301 b\u0301c ـ حَـلَب")
def test_fold_gives_the_same_words_as_folding_each_word(text: str) -> None:
    assert folded_words(text) == reference_words(text)


@settings(max_examples=500, deadline=None)
@given(st.text(st.one_of(st.characters(), st.sampled_from(INTERESTING)), max_size=40))
def test_positional_fold_keeps_one_character_for_one(text: str) -> None:
    positional, _ = fold_positional(text)
    assert len(positional) == len(text)


@pytest.mark.parametrize(
    ("char", "folded"),
    [
        ("É", "e"),
        ("ß", "ss"),
        ("ﬁ", "fi"),
        ("İ", "i"),
        ("أ", "ا"),
        ("إ", "ا"),
        ("آ", "ا"),
        ("ٱ", "ا"),
        ("ؤ", "و"),
        ("ئ", "ي"),
        ("ى", "ي"),
        ("ة", "ه"),
        ("ک", "ك"),
        ("ی", "ي"),
        ("ـ", ""),
        ("\u064e", ""),
    ],
)
def test_fold_char(char: str, folded: str) -> None:
    assert fold_char(char) == folded


def test_ascii_text_folds_in_place() -> None:
    doc = Folded("Air-Strike, (UN) said_it")
    assert doc.folded == "air strike   un  said it"
    assert doc.original(4) == 4


def test_the_shipped_fold_ranges_are_what_the_fold_rules_give() -> None:
    """foldranges.py is generated; a change to the fold rules must regenerate it
    (python scripts/fold_ranges.py), or texts would be folded by stale ranges."""
    from monitor.match import foldranges
    from monitor.match.normalize import identity_ranges

    if unicodedata.unidata_version != foldranges.UNIDATA:
        pytest.skip(f"ranges ship for Unicode {foldranges.UNIDATA}; this Python has "
                    f"{unicodedata.unidata_version} and computes its own")
    assert identity_ranges() == foldranges.RANGES
