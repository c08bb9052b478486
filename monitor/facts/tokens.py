"""Words, numbers and punctuation of a text, folded for comparison, with original offsets.

The casualty reader compares words with small vocabularies in three scripts, so every word is
folded the way those vocabularies are: lower case, accents and Arabic harakat dropped, the
Arabic letters written several ways brought to one (أ إ آ → ا, ة → ه, ى → ي), and digits of any
script (Arabic-Indic ١٥, Persian ۱۵) turned into ASCII. Each token keeps where it stood in the
original text, so a figure can quote the words it was read from as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_LETTER = rf"[^\W\d_](?:[^\W\d_]|[{MARKS}])*"
_DIGITS = r"[0-9\u0660-\u0669\u06f0-\u06f9]"
# A number as written: 32, 1,200, 1.200, 1 200 (French spaces, thin or not), 1.5 (before
# "million"); a group separator is followed by exactly three digits.
_NUMBER = rf"{_DIGITS}+(?:[,.\u00a0\u202f\u2009 \u066c]{_DIGITS}{{3}}(?!{_DIGITS}))*" \
          rf"(?:[.,\u066b]{_DIGITS}+)?"
_TOKEN = re.compile(
    rf"(?P<n>{_NUMBER})|(?P<w>{_LETTER}(?:['’\-]{_LETTER})*)|(?P<p>[.!?;:,،؛؟()\[\]\"“”«»—–\n])"
)
SENTENCE_ENDS = frozenset(".!?؟\n")
MAX_SENTENCE = 120  # tokens
CLAUSE_ENDS = frozenset(".!?؟\n;:,،؛()[]—–\"“”«»")

_ARABIC = str.maketrans({"\u0671": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647",
                         "\u06a9": "\u0643", "\u06cc": "\u064a", "\u0640": None,
                         "’": "'", "\u2010": "-", "\u2011": "-"})


@dataclass(frozen=True, slots=True)
class Token:
    """One word, number or punctuation mark; `text` folded, `start`/`end` into the original."""

    text: str
    start: int
    end: int
    kind: str  # "w" word, "n" number (digits), "p" punctuation
    upper: bool = False  # written in capitals ("UN" is not the French "un")
    suffix: bool = False  # a case ending after a number and an apostrophe: Turkish "15'ten"


@lru_cache(maxsize=4096)
def fold(word: str) -> str:
    """The comparable form of one word (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = kept.translate(_ARABIC)
    if any(c.isdigit() and not c.isascii() for c in kept):
        kept = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in kept)
    return kept


def folded_words(*groups: str) -> frozenset[str]:
    """The folded forms of the space-separated words of `groups`: how the readers write
    their cue lists, one line per language."""
    return frozenset(fold(w) for group in groups for w in group.split())


def tokens(text: str) -> list[Token]:
    """Every token of `text`, in order; a line break counts as the end of a sentence."""
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "p"
        raw = match.group()
        if kind == "p":
            out.append(Token(raw, match.start(), match.end(), "p"))
        else:
            after_number = (kind == "w" and out and out[-1].kind == "n"
                            and text[out[-1].end:match.start()] in ("'", "’"))
            out.append(Token(fold(raw), match.start(), match.end(), kind,
                             len(raw) > 1 and raw.isupper(), bool(after_number)))
    return out


def sentences(items: list[Token]) -> list[list[Token]]:
    """The tokens cut into sentences at . ! ? ؟ and line breaks (the marks dropped); a full
    stop inside a number (1.200) is part of the number, not an end. A run longer than
    MAX_SENTENCE tokens is cut there too: no reporter's sentence is that long, and the work
    per sentence stays bounded whatever a page holds."""
    out: list[list[Token]] = []
    current: list[Token] = []
    for token in items:
        if token.kind == "p" and token.text in SENTENCE_ENDS:
            if current:
                out.append(current)
            current = []
        else:
            current.append(token)
            if len(current) >= MAX_SENTENCE:
                out.append(current)
                current = []
    if current:
        out.append(current)
    return out


def is_clause_end(token: Token) -> bool:
    return token.kind == "p" and token.text in CLAUSE_ENDS
