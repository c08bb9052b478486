"""Numbers as reporters write them: digits of any script, and number words in English,
French and Arabic.

"32", "1,200", "1.200", "1 200", "١٥", "1.5 million", "twenty-five", "a dozen", "one hundred
and twenty", "vingt-cinq", "quatre-vingts", "une vingtaine" (about 20), "خمسة عشر", "خمسة
وعشرون", "ثلاثة آلاف". Plurals of vagueness ("dozens", "hundreds", "des dizaines", "عشرات") are
not numbers: a reader records no count for them. Every value is capped (MAX_COUNT): a bigger
one is a misreading or a hostile text, not a casualty figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.facts.tokens import Token, fold

MAX_COUNT = 50_000_000  # more people than any war has displaced: above it, not a count
MAX_WORDS = 8  # a number written in words is at most this many tokens long

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
            "seventy": 70, "eighty": 80, "ninety": 90}
_FR_UNITS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16,
}
_FR_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50,
            "soixante": 60}
# "une vingtaine de morts": about twenty
_FR_ABOUT = {"dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20,
             "trentaine": 30, "quarantaine": 40, "cinquantaine": 50, "soixantaine": 60,
             "centaine": 100}
_HUNDRED = {"hundred", "cent", "cents"}
_SCALES = {"thousand": 1_000, "mille": 1_000, "million": 1_000_000, "millions": 1_000_000,
           "bin": 1_000, "binden": 1_000, "bini": 1_000, "milyon": 1_000_000}  # Turkish
_ARTICLES = {"a", "an", "un", "une"}  # "a dozen", "a hundred", "un millier"

_AR_WORDS = {
    "واحد": 1, "واحدة": 1, "أحد": 1, "إحدى": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2,
    "اثنتين": 2, "اثنا": 2, "اثني": 2, "اثنتا": 2, "اثنتي": 2, "ثلاثة": 3, "ثلاث": 3,
    "أربعة": 4, "أربع": 4, "خمسة": 5, "خمس": 5, "ستة": 6, "ست": 6, "سبعة": 7, "سبع": 7,
    "ثمانية": 8, "ثماني": 8, "ثمان": 8, "تسعة": 9, "تسع": 9, "عشرة": 10, "عشر": 10,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "أربعون": 40, "أربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
    "مئتان": 200, "مئتين": 200, "مئتا": 200, "مئتي": 200, "مائتان": 200, "مائتين": 200,
    "مائتا": 200, "مائتي": 200,
}
_AR_UNIT_NAMES = ["ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع"]
for _number, _name in enumerate(_AR_UNIT_NAMES, start=3):  # ثلاثمئة … تسعمائة, one word
    for _hundred in ("مئة", "مائة"):
        _AR_WORDS[_name + _hundred] = _number * 100
_AR = {fold(word): value for word, value in _AR_WORDS.items()}
_AR_HUNDRED = {fold(w) for w in ("مئة", "مائة", "مئات")}
_AR_THOUSAND = {fold(w) for w in ("ألف", "آلاف", "ألفا")}
_AR_PLURAL_SCALES = {fold(w) for w in ("آلاف", "ملايين")}  # "ثلاثة آلاف"; alone: thousands
_AR_THOUSANDS_2 = {fold(w) for w in ("ألفان", "ألفين", "ألفي")}
_AR_MILLION = {fold(w) for w in ("مليون", "ملايين", "مليونا")}
_AR_AND = "و"


@dataclass(frozen=True, slots=True)
class Number:
    """A number read from tokens[start:end]."""

    value: int
    start: int
    end: int  # exclusive token index
    about: bool = False  # "une vingtaine": an approximate count by its very words


def digits_value(text: str) -> float | None:
    """The value of a digit token: separators of three-digit groups dropped, a decimal part
    kept (only a multiplier such as "million" makes it a whole count)."""
    if len(text) > 16:
        return None
    groups = re.split(r"[,.\u00a0\u202f\u2009 \u066c\u066b]", text)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float(groups[0]) if len(groups) == 1 else None


def _scale(word: str) -> int | None:
    if word in _SCALES:
        return _SCALES[word]
    if word in _AR_THOUSAND:
        return 1_000
    if word in _AR_MILLION:
        return 1_000_000
    return None


def read_number(items: list[Token], at: int) -> Number | None:
    """The number that starts at items[at], if one does: digits (with a following "million",
    "thousand", "ألف"), or a run of number words in one language."""
    token = items[at]
    if token.kind == "n":
        value = digits_value(token.text)
        if value is None:
            return None
        end = at + 1
        if end < len(items) and items[end].kind == "w" and (scale := _scale(items[end].text)):
            value, end = value * scale, end + 1
        if value != int(value) or not 0 <= value <= MAX_COUNT:
            return None
        return Number(int(value), at, end)
    if token.kind != "w" or token.upper or token.suffix:
        return None
    first = token.text.split("-", 1)[0]
    if first not in _STARTS and not (first[:1] == _AR_AND and first[1:] in _STARTS):
        return None  # most words: no number starts here, and nothing is built to say so
    return _english(items, at) or _french(items, at) or _arabic(items, at)


def _parts(items: list[Token], at: int) -> list[tuple[int, str]]:
    """(token index, word) for the words from `at` on, hyphenated words split in parts."""
    out: list[tuple[int, str]] = []
    for index in range(at, min(len(items), at + MAX_WORDS)):
        if items[index].kind != "w":
            break
        out.extend((index, part) for part in items[index].text.split("-") if part)
    return out


def _english(items: list[Token], at: int) -> Number | None:
    parts = _parts(items, at)
    if not parts:
        return None
    first = parts[0][1]
    if first in _ARTICLES and len(parts) > 1:  # a dozen, a hundred, a thousand
        following = parts[1][1]
        if following == "dozen":
            return Number(12, at, parts[1][0] + 1)
        if following in _HUNDRED or following in ("thousand", "million"):
            parts = [(parts[0][0], "one"), *parts[1:]]
    total = current = 0
    end: int | None = None
    last = ""  # "unit" | "tens" | "hundred" | "scale" | "and"
    for index, word in parts:
        if word in _EN_UNITS and last in ("", "tens", "hundred", "scale", "and") and not (
                last == "tens" and _EN_UNITS[word] >= 10):
            current += _EN_UNITS[word]
            last = "unit"
        elif word in _EN_TENS and last in ("", "hundred", "scale", "and"):
            current += _EN_TENS[word]
            last = "tens"
        elif word == "hundred" and last in ("unit", "tens") and 0 < current < 100:
            current *= 100
            last = "hundred"
        elif word == "dozen" and last == "unit" and current < 13:
            current *= 12
            last = "scale"
        elif word in ("thousand", "million") and last in ("unit", "tens", "hundred"):
            total += current * _SCALES[word]
            current = 0
            last = "scale"
        elif word == "and" and last in ("hundred", "scale"):
            last = "and"
            continue
        else:
            break
        end = index + 1
    if end is None or last == "and":
        return None
    value = total + current
    return Number(value, at, end) if value <= MAX_COUNT else None


def _french(items: list[Token], at: int) -> Number | None:
    parts = _parts(items, at)
    if not parts:
        return None
    if parts[0][1] in ("une", "un") and len(parts) > 1 and parts[1][1] in _FR_ABOUT:
        return Number(_FR_ABOUT[parts[1][1]], at, parts[1][0] + 1, about=True)
    total = current = 0
    end: int | None = None
    last = ""
    for index, word in parts:
        if word in ("sept", "huit", "neuf") and last == "unit" and current % 100 in (10, 70, 90):
            current += _FR_UNITS[word]  # dix-sept, soixante-dix-huit, quatre-vingt-dix-neuf
        elif word in _FR_UNITS and last in ("", "tens", "hundred", "scale", "et"):
            if last in ("tens", "et") and current % 100 in (60, 80) and _FR_UNITS[word] >= 10:
                pass  # soixante-dix, quatre-vingt-douze
            elif last in ("tens", "et") and _FR_UNITS[word] >= 10:
                break
            current += _FR_UNITS[word]
            last = "unit"
        elif word in ("vingt", "vingts") and last == "unit" and current % 100 == 4:
            current += 76  # quatre-vingts: four twenties
            last = "tens"
        elif word in _FR_TENS and last in ("", "hundred", "scale"):
            current += _FR_TENS[word]
            last = "tens"
        elif word in ("cent", "cents") and last in ("", "unit") and current % 100 < 10:
            current = current - current % 100 + max(current % 100, 1) * 100
            last = "hundred"
        elif word == "mille" and last in ("", "unit", "tens", "hundred"):
            total += max(current, 1) * 1000
            current = 0
            last = "scale"
        elif word in ("million", "millions") and last in ("unit", "tens", "hundred"):
            total += current * 1_000_000
            current = 0
            last = "scale"
        elif word == "et" and last == "tens":
            last = "et"
            continue
        else:
            break
        end = index + 1
    if end is None or last == "et":
        return None
    value = total + current
    if parts[0][1] in ("un", "une") and end == parts[0][0] + 1:
        return None  # the article alone: the caller decides whether "un homme" is one
    return Number(value, at, end) if 0 < value <= MAX_COUNT else None


def _arabic(items: list[Token], at: int) -> Number | None:
    total = current = 0
    end: int | None = None
    last = ""
    for index in range(at, min(len(items), at + MAX_WORDS)):
        token = items[index]
        if token.kind != "w":
            break
        word = token.text
        joined = False
        if index > at and word.startswith(_AR_AND) and len(word) > 2:
            word, joined = word[1:], True  # وعشرين: "and twenty"
        if word in _AR:
            value = _AR[word]
            if last == "unit" and not joined and value != 10:
                break
            current += value
            last = "unit" if value < 10 else "tens"
        elif word in _AR_HUNDRED and last == "unit" and not joined and current < 10:
            current *= 100
            last = "hundred"
        elif word in _AR_HUNDRED and last in ("", "scale"):
            current += 100
            last = "hundred"
        elif word in _AR_THOUSANDS_2 and last == "":
            total += 2000
            last = "scale"
        elif (scale := _scale(word)) and word not in _SCALES and (
                last in ("unit", "tens", "hundred")
                or last == "" and word not in _AR_PLURAL_SCALES):
            total += max(current, 1) * scale
            current = 0
            last = "scale"
        else:
            break
        end = index + 1
    if end is None:
        return None
    value = total + current
    return Number(value, at, end) if 0 < value <= MAX_COUNT else None


# Every word a number written in words can start with (a fast "no" for all other words).
_STARTS = frozenset((*_EN_UNITS, *_EN_TENS, *_FR_UNITS, *_FR_TENS, *_ARTICLES, "hundred",
                     *_HUNDRED, "mille", *_AR, *_AR_HUNDRED, *_AR_THOUSAND, *_AR_THOUSANDS_2,
                     *_AR_MILLION))
