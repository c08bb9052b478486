"""How a name is written: folding, the form test for alternate names, common words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from monitor.match.normalize import fold_words

COUNTRY_TOWN_MIN = 50_000  # towns of a country that `within: true` adds
REGION_TOWN_MIN = 15_000  # towns of a subdivision (the gazetteer's own floor)
PRIMARY_WEIGHT = 100  # a main name's claim on a folded name, relative to an alternate name's
MIN_ALIAS_LETTERS = 4  # a Latin-script alternate name needs at least this many letters
EXACT_CASE_MAX_LETTERS = 3  # shorter aliases in a cased script match only as written

_DATA = Path(__file__).parent.parent / "data"

# Lower-case words allowed inside a capitalised Latin name ("Deir ez-Zor", "Jisr ash Shughur").
_PARTICLE_WORDS = (
    "a ad adh al an ar as ash at ath az d da das de degli dei del della der des di do dos du e "
    "ed el en er es et ez i im l la las le les lo los o of on sur the u ud ul um un uz van von "
    "y z zu")
_PARTICLES = frozenset(_PARTICLE_WORDS.split())
_APOSTROPHES = "'’‘ʿʾ`´ʻʼ"
_WORD_SPLIT = re.compile(r"[\s\-‐‑]+")
# A Latin-script name: Latin letters (with accents, precomposed or combining), spaces,
# hyphens, apostrophes, dots. Checked with one regex: most of the 350,000 alternate names read
# on first use are rejected here or by the capital-letter test without a per-letter look-up.
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0250-\u02af\u1e00-\u1eff"
_LATIN_NAME = re.compile(
    rf"[{_APOSTROPHES}]*[{_LATIN_LETTER}][{_LATIN_LETTER}\u0300-\u036f\s\-‐‑.{_APOSTROPHES}]*")

# The scripts of a country's first language (geonames `languages`); Latin is always kept.
_LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("ar", "fa", "ur", "ps"), frozenset({"ARABIC"})),
    **dict.fromkeys(("he", "yi"), frozenset({"HEBREW"})),
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "tg", "mn"),
                    frozenset({"CYRILLIC"})),
    "el": frozenset({"GREEK"}), "hy": frozenset({"ARMENIAN"}), "ka": frozenset({"GEORGIAN"}),
    "am": frozenset({"ETHIOPIC"}), "ti": frozenset({"ETHIOPIC"}), "zh": frozenset({"CJK"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}), "ko": frozenset({"HANGUL"}),
    **dict.fromkeys(("hi", "mr", "ne"), frozenset({"DEVANAGARI"})),
    "bn": frozenset({"BENGALI"}), "th": frozenset({"THAI"}), "lo": frozenset({"LAO"}),
    "km": frozenset({"KHMER"}), "my": frozenset({"MYANMAR"}), "si": frozenset({"SINHALA"}),
    "ta": frozenset({"TAMIL"}), "dv": frozenset({"THAANA"}),
}
# Arabic proper: hamza..ghain, fa..yeh, alef wasla. Persian/Urdu/Kurdish letters are not in it.
_ARABIC_LETTERS = frozenset(
    [chr(c) for c in range(0x0621, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)]
    + ["\u0671"])

_CITY_WORDS = frozenset({"city", "town", "municipality"})
_REGION_WORDS = frozenset({"region", "province", "governorate", "state", "subdivision",
                           "district", "county", "department", "prefecture", "oblast",
                           "muhafazah", "wilayah", "emirate"})
_COUNTRY_WORDS = frozenset({"country", "nation"})

# separate words): the same result as fold_words for ASCII text, without its general path.
_ASCII_FOLD = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() else " "
                             for c in range(128)})


def fold_key(text: str) -> str:
    """The folded words of a name, space-separated: what two spellings must share to count as
    one (case, accents, Arabic harakat and punctuation ignored, as the matcher does)."""
    if text.isascii():
        return " ".join(text.translate(_ASCII_FOLD).split())
    return " ".join(fold_words(text))


def letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def cased(text: str) -> bool:
    return text.lower() != text.upper()


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ", 1)[0]


def _latin_name_ok(name: str) -> bool:
    """Rule 1 for a Latin-script name (already known to match _LATIN_NAME). Called for every
    alternate name of every town at start-up, so the common cases return early."""
    if name[0].islower() and name.split(" ", 1)[0].split("-", 1)[0] not in _PARTICLES:
        return False  # most machine romanisations stop here
    if name.isupper():  # codes: ALP, DEZ
        return False
    bare = name.translate(_SEPARATORS)
    if (len(bare) if bare.isalpha() else letters(name)) < MIN_ALIAS_LETTERS:
        return False
    if name.isalpha() and name.istitle():  # one capitalised word ("Halab"): the usual case
        word = name.strip(_APOSTROPHES)  # "Aaʻʻ" is the word "Aa": too short to look for
        return len(word) >= 3 and word[0].isupper() and word.lower() not in _PARTICLES
    capitalised = False
    long_word = False  # "The D" (Detroit) is no name to look for in text
    for word in _WORD_SPLIT.split(name):
        word = word.strip(_APOSTROPHES + ".")
        if not word:
            continue
        lower = word.lower()
        if lower not in _PARTICLES and len(word) >= 3:
            long_word = True
        if word[0].isupper():
            capitalised = True
        elif lower not in _PARTICLES:
            return False
    return capitalised and long_word


# What a Latin name has besides letters: deleted to count its letters in one step.
_SEPARATORS = str.maketrans("", "", "".join(
    c for c in " \t-‐‑." + _APOSTROPHES + "".join(map(chr, range(0x0300, 0x0370)))
    if not c.isalpha()))


def name_form_ok(name: str, scripts: frozenset[str], arabic_only: bool) -> bool:
    """Rule 1 of the module docstring: the written form of an alternate name."""
    if _LATIN_NAME.fullmatch(name):
        return _latin_name_ok(name)
    if not scripts:
        return False
    letters = [c for c in name if c.isalpha() and unicodedata.category(c) != "Lm"]
    if len(letters) < 2:
        return False
    if arabic_only:
        return all(c in _ARABIC_LETTERS for c in letters)
    return all(_script(c) in scripts for c in letters)


# --------------------------------------------------------------------------- the gazetteer

def unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = fold_key(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out



_words: frozenset[str] | None = None


def common_words() -> frozenset[str]:
    global _words
    if _words is None:
        text = (_DATA / "common_words.txt").read_text(encoding="utf-8")
        _words = frozenset(fold_key(w) for line in text.splitlines()
                           for w in line.split("#", 1)[0].split())
    return _words

