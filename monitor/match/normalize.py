"""Text normalisation shared by rule terms and documents.

Terms and documents go through the same three steps, so that whatever one side does the
other does too:

1. tokenise: words are runs of Unicode letters, digits and combining marks; everything else
   (spaces, punctuation, hyphens, apostrophes) separates words. Offsets into the original
   string are kept so hits can point at what the reader sees.
2. fold: casefold, NFKD, then drop non-spacing marks (accents, Arabic harakat) and the Arabic
   tatweel, so "Aleppó" == "aleppo" and "حَلَب" (with harakat) == "حلب".
3. squash: the folded words concatenated with no separator, plus where each word starts and
   ends. Matching on the squash makes "air strike", "air-strike" and "airstrike" the same
   string; requiring a match to start and end on word edges keeps word boundaries.
"""

from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A match may join words that the text writes apart ("air strike" for the term "airstrike").
# Joining very short words gives nonsense hits ("I ran" for "Iran", "is a" for "Isa", "as sad"
# for "Assad"), so a split the term itself does not have is accepted only when the separator
# is a hyphen-like joiner or both words next to it have at least this many letters.
MIN_SPLIT_PART = 3

# Separators that join parts of one compound word ("air-strike", "al-Qaeda", Persian ZWNJ).
JOINERS = frozenset("-\u2010\u2011\u00ad\u200c\u200d")

_TATWEEL = "\u0640"  # Arabic letter elongation: typography, not spelling


def _mark_class() -> str:
    """A regex character class body with every combining mark (categories Mn, Mc, Me).

    Python's \\w does not include marks, so without them a word with a decomposed accent or
    Arabic harakat would split into pieces at every mark.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


_WORD_RE = re.compile(f"(?:[^\\W_]|[{_mark_class()}])+")


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Fold one word for comparison: case, compatibility forms and diacritics are ignored.

    Casefold runs before and after NFKD because each can produce input for the other
    ("\u0130" casefolds to i + combining dot; "\u210c" decomposes to an upper-case H). Spacing marks
    (Mc, e.g. Devanagari vowel signs) are kept: they are spelling, not decoration.
    """
    text = unicodedata.normalize("NFKD", word.casefold()).casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if _keep(c))


def _keep(char: str) -> bool:
    if char == _TATWEEL:
        return False
    return char.isalnum() or unicodedata.category(char) == "Mc"


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: where it is in the original string and its folded form."""

    start: int
    end: int
    folded: str
    joined: bool  # only a hyphen-like joiner separates it from the previous word


def tokenize(text: str) -> list[Token]:
    """Split text into words with original offsets; words that fold to nothing are dropped."""
    tokens: list[Token] = []
    previous_end = -1
    for found in _WORD_RE.finditer(text):
        folded = fold(found.group())
        if not folded:
            continue
        joined = previous_end >= 0 and text[previous_end : found.start()] in JOINERS
        tokens.append(Token(found.start(), found.end(), folded, joined))
        previous_end = found.end()
    return tokens


@dataclass(frozen=True, slots=True)
class Squashed:
    """The folded words of a text concatenated, with a map back to words and offsets."""

    tokens: tuple[Token, ...]
    text: str
    starts: tuple[int, ...]  # squash offset where each token starts
    ends: tuple[int, ...]  # squash offset where each token ends
    start_index: dict[int, int]  # squash offset -> index of the token starting there
    end_index: dict[int, int]  # squash offset -> index of the token ending there

    def token_at(self, offset: int) -> int:
        """Index of the token that contains squash offset `offset`."""
        return bisect.bisect_right(self.starts, offset) - 1

    def split_allowed(self, first: int, last: int, start: int, kept: frozenset[int]) -> bool:
        """Whether tokens first..last may be read as one term starting at squash `start`.

        `kept` holds the offsets (relative to the term start) where the term itself separates
        words; the text may always split there. Other splits need a joiner or long parts.
        """
        for index in range(first, last):
            if self.ends[index] - start in kept:
                continue
            after = self.tokens[index + 1]
            if after.joined:
                continue
            if min(len(self.tokens[index].folded), len(after.folded)) < MIN_SPLIT_PART:
                return False
        return True


def squash(text: str) -> Squashed:
    """Tokenise, fold and concatenate `text` (see the module docstring)."""
    tokens = tuple(tokenize(text))
    starts: list[int] = []
    ends: list[int] = []
    offset = 0
    for token in tokens:
        starts.append(offset)
        offset += len(token.folded)
        ends.append(offset)
    return Squashed(
        tokens=tokens,
        text="".join(token.folded for token in tokens),
        starts=tuple(starts),
        ends=tuple(ends),
        start_index={pos: index for index, pos in enumerate(starts)},
        end_index={pos: index for index, pos in enumerate(ends)},
    )
