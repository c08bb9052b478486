"""Text normalisation shared by rule terms and documents.

Terms and documents go through the same steps, so that whatever one side does the other does
too:

1. words: runs of Unicode letters, digits and combining marks; everything else (spaces,
   punctuation, hyphens, apostrophes, underscores) separates words.
2. fold, one character at a time: casefold, NFKD, drop non-spacing marks (accents, Arabic
   harakat), so "Aleppó" == "aleppo" and "حَلَب" == "حلب". Arabic letters that are written
   several ways fold to one: أ إ آ ٱ → ا, ؤ → و, ئ → ي, ى → ي, ة → ه, Persian/Urdu ک → ك and
   ی → ي; the tatweel (ـ, elongation) is dropped. The definite article ال is kept: it is
   spelling, and terms.py lets a term follow a clitic (و ب ل ال …) instead.
3. squash: matching ignores the separators between words, so "air strike", "air-strike" and
   "airstrike" are the same string; requiring a match to start and end on word edges keeps
   word boundaries (terms.py).

How it stays fast (a 5 KB article folds in about ten microseconds): every character of the
text is replaced by exactly ONE character with C-level string operations (str.translate for
ASCII; for other text one str.replace per distinct character that needs changing), so the
folded text has the same length as the original and its offsets ARE original offsets.
Separators become " " and marks become DROP, a tab: the Aho-Corasick scan skips both
(ignore_white_space), which is the squash, without building it. The rare characters that fold
to several (ß → ss, ﬁ → fi) become a private-use placeholder that is then expanded; only
texts with such characters need a map back to original offsets (`Folded.original`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_right

# A match may join words that the text writes apart ("air strike" for the term "airstrike").
# Joining very short words gives nonsense hits ("I ran" for "Iran", "is a" for "Isa", "as sad"
# for "Assad"), so a split the term itself does not have is accepted only when the separator
# is a hyphen-like joiner or both words next to it have at least this many letters.
MIN_SPLIT_PART = 3

# Separators that join parts of one compound word ("air-strike", "al-Qaeda", Persian ZWNJ).
JOINERS = frozenset("-\u2010\u2011\u00ad\u200c\u200d")

SEPARATOR = " "  # what every separator character folds to
DROP = "\t"  # what a character that folds to nothing (a mark) becomes: whitespace to the scan
_PLACEHOLDER_BASE = 0xF0000  # plane-15 private use: stands for a multi-character fold

# Arabic letters with several spellings, after NFKD (which already turns أ إ آ ؤ ئ into a
# base letter plus a hamza or madda mark, and the mark is dropped).
_ARABIC_FOLD = str.maketrans(
    {
        "\u0671": "\u0627",  # ٱ alef wasla -> ا
        "\u0649": "\u064a",  # ى alef maqsura -> ي
        "\u0629": "\u0647",  # ة taa marbuta -> ه
        "\u06a9": "\u0643",  # ک keheh (Persian, Urdu) -> ك
        "\u06cc": "\u064a",  # ی Farsi yeh -> ي
        "\u0640": None,  # ـ tatweel: typography, not spelling
    }
)

# ASCII in one C-level step: letters lower-cased, digits kept, DROP kept (a tab in the text
# itself is turned into a space first), everything else separates.
_ASCII_TABLE = str.maketrans(
    {
        chr(code): (chr(code).lower() if chr(code).isalnum() else SEPARATOR)
        for code in range(128)
        if chr(code) != DROP
    }
)
_ASCII_BYTES = bytes(range(128))
# ASCII characters that change: found with one regex scan when the text is not all ASCII.
_ASCII_CHANGES = re.compile(r"[\x00-\x08\x0a-\x1f!-/:-@A-Z\[-`{-\x7f]")


def is_word_char(char: str) -> bool:
    """Letters, digits (what Python calls alphanumeric) and combining marks."""
    return char.isalnum() or unicodedata.category(char)[0] == "M"


def fold_char(char: str) -> str:
    """The fold of one word character: "" for marks, several characters for ß or ligatures.

    Casefold runs before and after NFKD because each can produce input for the other
    ("\u0130" casefolds to i + combining dot; "\u210c" decomposes to an upper-case H).
    Spacing marks (Mc, e.g. Devanagari vowel signs) are kept: they are spelling, not
    decoration; other marks and anything that is not a letter or digit are dropped.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char.casefold()).casefold())
    kept = "".join(c for c in text if c.isalnum() or unicodedata.category(c) == "Mc")
    return kept.translate(_ARABIC_FOLD)


class _Table:
    """The one-to-one replacement of every non-ASCII character, filled in on first sight."""

    def __init__(self) -> None:
        self.one: dict[str, str] = {}  # char -> the single character that replaces it
        self.expansions: dict[str, str] = {}  # placeholder -> what it stands for
        self._placeholder: dict[str, str] = {}  # multi-character fold -> its placeholder
        self._changes: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def replacement(self, char: str) -> str:
        found = self.one.get(char)
        if found is None:
            found = self.one[char] = self._compute(char)
        return found

    def _compute(self, char: str) -> str:
        if not is_word_char(char):
            return SEPARATOR
        folded = fold_char(char)
        if not folded:
            return DROP
        if len(folded) == 1 and fold_char(folded) == folded:
            return folded
        # Several characters (or a fold that is not stable): a placeholder, expanded later.
        with self._lock:  # two threads must not hand out the same placeholder
            placeholder = self._placeholder.get(folded)
            if placeholder is None:
                placeholder = chr(_PLACEHOLDER_BASE + len(self._placeholder))
                self._placeholder[folded] = placeholder
                self.expansions[placeholder] = folded
        return placeholder

    @property
    def changes(self) -> re.Pattern[str]:
        """A regex for the non-ASCII characters that may need replacing: every one except
        those known to fold to themselves (letters of the common scripts, already folded).
        Finding those takes a tenth of a second, so the ranges ship precomputed for the
        Unicode version they were computed with (foldranges.py) and are computed here only
        on a Python with another."""
        if self._changes is None:
            from monitor.match import foldranges

            if unicodedata.unidata_version == foldranges.UNIDATA:
                body = foldranges.RANGES
            else:
                body = identity_ranges()
            self._changes = re.compile(f"[^\\x00-\\x7f{body}]")
        return self._changes

    def non_ascii(self, text: str) -> set[str]:
        """The distinct non-ASCII characters of `text` that may need replacing."""
        rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
        if len(rest) * 8 < len(text):  # mostly ASCII: every non-ASCII character, fast
            return set(rest.decode("utf-8", "surrogatepass"))
        return set(self.changes.findall(text))


# Blocks scanned once for characters that fold to themselves: Latin, Greek, Cyrillic,
# Armenian, Hebrew, Arabic, Syriac, Indic, Thai, Georgian, Hangul jamo, Ethiopic, kana and
# CJK ideographs. Characters outside them are still folded, just found one by one.
_IDENTITY_SCAN = (
    (0x00A0, 0x0FFF),
    (0x10A0, 0x13FF),
    (0x1E00, 0x1FFF),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
)
_TABLE = _Table()


def identity_ranges() -> str:
    """The characters of _IDENTITY_SCAN that fold to themselves, as regex class ranges."""
    ranges: list[tuple[int, int]] = []
    scratch = _Table()  # its placeholders are thrown away with it
    for low, high in _IDENTITY_SCAN:
        for code in range(low, high + 1):
            char = chr(code)
            if scratch._compute(char) != char:
                continue
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)


def fold_positional(text: str) -> tuple[str, tuple[str, ...]]:
    """`text` with each character replaced by one: its fold, SEPARATOR, DROP for marks, or a
    placeholder for a multi-character fold; and the placeholders used."""
    if DROP in text:
        text = text.replace(DROP, SEPARATOR)
    if text.isascii():
        return text.translate(_ASCII_TABLE), ()
    table = _TABLE
    placeholders: list[tuple[str, str]] = []
    for char in table.non_ascii(text):
        replacement = table.replacement(char)
        if replacement == char:
            continue
        if replacement in table.expansions:
            placeholders.append((char, replacement))  # after every other replacement
        else:
            text = text.replace(char, replacement)
    for char, replacement in placeholders:
        text = text.replace(char, replacement)
    if text.isascii():
        return text.translate(_ASCII_TABLE), ()
    for char in set(_ASCII_CHANGES.findall(text)):
        text = text.replace(char, _ASCII_TABLE[ord(char)])
    return text, tuple(p for _, p in placeholders)


def fold_words(text: str) -> list[str]:
    """The folded words of `text` (words that fold to nothing are left out)."""
    return Folded(text).folded.replace(DROP, "").split()


def exact_letters(text: str) -> str:
    """Letters and digits as written, case kept (marks and separators dropped): what an
    exact-case term compares."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum())


class Folded:
    """One field of a document, folded for the scan (see the module docstring).

    `folded` has SEPARATOR between words and DROP where a mark was; it is as long as the
    original text unless a character folded to several, in which case `original()` maps its
    offsets back.
    """

    __slots__ = ("text", "folded", "drops", "shifted", "_ends", "_shifts")

    def __init__(self, text: str) -> None:
        self.text = text
        folded, placeholders = fold_positional(text)
        self.drops = DROP in folded
        self._ends: list[int] = []  # folded offset after each expansion
        self._shifts: list[int] = []  # characters added by the expansions up to there
        if placeholders:
            folded = self._expand(folded, placeholders)
        self.folded = folded
        self.shifted = bool(self._ends)  # offsets need original()

    def _expand(self, folded: str, placeholders: tuple[str, ...]) -> str:
        expansions = _TABLE.expansions
        sites = sorted(
            (index, expansions[p]) for p in placeholders for index in _indexes(folded, p)
        )
        pieces: list[str] = []
        previous = 0
        added = 0
        for index, expansion in sites:
            pieces.append(folded[previous:index])
            pieces.append(expansion)
            previous = index + 1
            added += len(expansion) - 1
            self._ends.append(index + 1 + added)
            self._shifts.append(added)
        pieces.append(folded[previous:])
        return "".join(pieces)

    def original(self, offset: int) -> int:
        """The offset in the original text of a word edge at `offset` in `folded`."""
        if not self._ends:
            return offset
        before = bisect_right(self._ends, offset)
        return offset - (self._shifts[before - 1] if before else 0)

    def letters(self, start: int, stop: int) -> int:
        """How many folded letters folded[start:stop] holds (separators and DROPs aside)."""
        folded = self.folded
        spaces = folded.count(SEPARATOR, start, stop)
        if self.drops:
            spaces += folded.count(DROP, start, stop)
        return stop - start - spaces

    def words_between(self, start: int, stop: int, most: int) -> int:
        """How many words folded[start:stop] holds, counting at most `most` + 1."""
        gap = self.folded[start:stop]
        if self.drops:
            gap = gap.replace(DROP, "")
        return len(gap.split(None, most))

    def joined(self, before: int, after: int) -> bool:
        """Whether only a hyphen-like joiner, or invisible format characters (a bidi
        override, a zero-width space), separate the words that end at folded offset `before`
        and start at `after`: the reader sees one word."""
        between = self.text[self.original(before) : self.original(after)]
        if between in JOINERS:
            return True
        return bool(between) and all(unicodedata.category(c) == "Cf" for c in between)


def _indexes(text: str, char: str) -> list[int]:
    found: list[int] = []
    index = text.find(char)
    while index >= 0:
        found.append(index)
        index = text.find(char, index + 1)
    return found
