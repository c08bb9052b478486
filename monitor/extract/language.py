"""The language of an article that does not declare one, where its script settles it.

Pages say their language in <html lang>, JSON-LD inLanguage or meta tags (read by
monitor.extract.metadata); many Arabic and Hebrew sites say nothing. Most scripts are
shared by several languages, so only the unambiguous cases are named: Hebrew letters are
Hebrew; Arabic letters are Arabic unless the text uses a letter that Arabic does not
(Persian پ چ ژ گ, Urdu ٹ ڈ ڑ ں ے, Kurdish ە ۆ ێ, Pashto ټ ړ ښ ...), when nothing is said.
Latin, Cyrillic and the rest are left undeclared: their letters do not tell the language.
"""

from __future__ import annotations

SAMPLE = 5_000  # characters of the text looked at
MAJORITY = 0.6  # share of the letters that must be in the script
_NOT_ARABIC = frozenset("پچژگکیٹڈڑںےھەۆێڵڕټړښځډڼۍې")


def script_language(text: str) -> str | None:
    """"ar" or "he" when the text's letters are that script's and settle the language."""
    sample = text[:SAMPLE]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return None
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff")
    hebrew = sum(1 for c in letters if "\u0590" <= c <= "\u05ff")
    if hebrew >= MAJORITY * len(letters):
        return "he"
    if arabic >= MAJORITY * len(letters) and _NOT_ARABIC.isdisjoint(sample):
        return "ar"
    return None
