"""Which candidate becomes the article's text, decided per page by evidence.

No fixed order: each candidate (monitor.extract.candidates) is weighed by its length
against the others' and the page's, by whether the others contain its text (agreement,
measured on word 4-grams, the unit the article-extraction benchmark scores), and, for the
JSON-LD body, by teaser markers and by whether the page shows that text at all.

The rules, each found on the development pages and the pages the tests ship, each raising
F1 on both (bench/extract.py measures them):

1. trafilatura's text is the default: with favor_precision it is the best single reader.
2. trafilatura lost the body when its text is under 30% of the heuristic's and either the
   publisher marked the body the heuristic read or the heuristic holds (80% of the 4-grams
   of) trafilatura's text
   (a paywall notice or a stray "copy for personal use" line instead of the article).
3. The publisher's body comes in several blocks (Wired: two div.article__body), the
   heuristic holds trafilatura's text, and trafilatura has next to nothing (under 20% of
   the 4-grams) of a block holding a quarter of the body or more: it read one block and
   lost the other. (A small block of the same class is furniture as often as text.)
4. The heuristic is shorter but at least 60% as long, and 90% of its 4-grams are in
   trafilatura's text: the two agree on the article, and what trafilatura adds is the
   page's furniture (boilerplate "about us" blocks, link lists of other stories).
5. The JSON-LD body is used only when it is no teaser (no trailing "…", "&hellip;", "Read
   more") and the DOM reading is under half its length: then the DOM readings missed part
   of the article (when the page shows the JSON-LD text), or the page shows only a teaser
   of it (a paywall). A teaser is never the text: the page's own body wins.

Whichever DOM reading wins, the social posts embedded in the body (monitor.extract.posts)
that it lacks are put back where the page has them. A first paragraph that repeats the
page's title or <h1> is dropped (the headline is the Article's title, and trafilatura
often starts its text with it), and so is one that is the byline and a few words ("by Jeff
Foust — November 18, 2019": the Article's byline and date). And markup residue (a tag, or an
escaped entity such as `&lt;`) that the page does not show as text is removed: the page's
visible text is the evidence of what its author wrote.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from monitor.extract.body import is_clutter_line
from monitor.extract.candidates import Candidates
from monitor.extract.jsonld import looks_like_teaser
from monitor.extract.posts import Post

LOST = 0.3  # trafilatura's text under this share of the heuristic's: it lost the body
SHORTER = 0.6  # the heuristic at least this share of trafilatura's length ...
AGREE = 0.9  # ... with this share of its 4-grams in trafilatura's: it is the article
HOLDS = 0.8  # this share of trafilatura's 4-grams in the heuristic's: the same text
MISSING = 0.2  # a block with under this share of its 4-grams in trafilatura's: it lost it
PART = 0.25  # share of the body a block of a split body must hold to count as lost
SHOWN = 0.8  # this share of the JSON-LD body's 4-grams is in the page's visible text
MISSED = 0.5  # the chosen text shorter than this share of the JSON-LD body: it missed some
POSTED = 0.5  # a post with this share of its 4-grams in the text is already there
BYLINE_EXTRA = 6  # words besides the byline in a first paragraph that is the author line
_MAX_WORDS = 50_000  # words compared per text; an article has a few thousand
_WORD = re.compile(r"\w+")
_RESIDUE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]{0,500})?/?>|&(#\d{1,7}|#x[0-9a-fA-F]{1,6}"
                      r"|[a-zA-Z]{2,10});")


@dataclass(frozen=True, slots=True)
class Choice:
    """The article's text and which reading gave it."""

    text: str
    path: str  # "trafilatura", "heuristic", "marked-body", "json-ld" or "none"
    reason: str  # the evidence, in a few words


def shingles(text: str) -> set[tuple[str, ...]]:
    """The case-folded word 4-grams of a text (its words, when it has fewer than four)."""
    words = _WORD.findall(text.casefold())[:_MAX_WORDS]
    if len(words) < 4:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:], words[2:], words[3:], strict=False))


def cover(part: str, whole: str | set[tuple[str, ...]]) -> float:
    """The share of `part`'s 4-grams that are in `whole` (0 for an empty part)."""
    mine = shingles(part)
    if not mine:
        return 0.0
    theirs = whole if isinstance(whole, set) else shingles(whole)
    return len(mine & theirs) / len(mine)


def choose(found: Candidates) -> Choice:
    """The article's text among the candidates, by the rules in this module's docstring."""
    choice = _choose(found)
    text = choice.text
    if choice.path != "json-ld":
        text = _with_posts(text, found.posts)
    text = _without_residue(text, found.visible)
    headlines = {_words(h) for h in found.headlines}
    byline = _words(found.byline) if len(found.byline) >= 4 else ()
    for _ in range(2):  # the headline, then the author line, or the other way round
        first, _, rest = text.partition("\n\n")
        words = _words(first)
        if not rest:
            break
        if words in headlines or (byline and len(words) <= len(byline) + BYLINE_EXTRA
                                  and " ".join(byline) in " ".join(words)):
            text = rest
    return Choice(text, choice.path, choice.reason)


def _with_posts(text: str, posts: tuple[Post, ...]) -> str:
    """The text with the embedded posts it lacks, each after the paragraph that precedes
    it on the page (after the previous post placed when that paragraph is missing too)."""
    present = shingles(text)
    missing = [p for p in posts if cover(p.text, present) < POSTED]
    if not missing or not text:
        return text
    paragraphs = text.split("\n\n")
    grams = [shingles(p) for p in paragraphs]
    after: dict[int, list[str]] = {}
    place = len(paragraphs) - 1
    for post in missing:
        context = shingles(post.before)
        best = max(range(len(paragraphs)), key=lambda i: len(context & grams[i]))
        if context & grams[best]:
            place = best
        after.setdefault(place, []).append(post.text)
    out: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        out += [paragraph, *after.get(i, [])]
    return "\n\n".join(out)


def _without_residue(text: str, visible: str) -> str:
    """The text without tags and escaped entities the page does not show as text."""
    if not _RESIDUE.search(text):
        return text
    shown = {m.group(0) for m in _RESIDUE.finditer(visible)}  # one pass, however many

    def fix(match: re.Match[str]) -> str:
        found = match.group(0)
        if found in shown:
            return found
        return html.unescape(found) if found.startswith("&") else " "

    lines = (" ".join(_RESIDUE.sub(fix, line).split()) for line in text.split("\n\n"))
    return "\n\n".join(line for line in lines if line)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold())[:100])


def _choose(found: Candidates) -> Choice:
    dom = _choose_dom(found)
    ld = found.json_ld
    if ld and not looks_like_teaser(ld) and len(dom.text) < MISSED * len(ld):
        shown = cover(ld, found.visible) >= SHOWN
        return Choice(_as_paragraphs(ld), "json-ld",
                      "the DOM readings hold under half of the JSON-LD body"
                      + (", which the page shows" if shown else ", which the page hides"))
    return dom


def _choose_dom(found: Candidates) -> Choice:
    traf, heur = found.trafilatura, found.heuristic
    heur_path = "marked-body" if found.marked else "heuristic"
    if not heur.strip():
        if traf.strip():
            return Choice(traf, "trafilatura", "the heuristic found nothing")
        return Choice("", "none", "no reading found any text")
    if not traf.strip():
        return Choice(heur, heur_path, "trafilatura found nothing or was not run")
    if len(traf) < LOST * len(heur) and (found.marked or cover(traf, heur) > HOLDS):
        return Choice(heur, heur_path, "trafilatura's text is a fraction of the body")
    if len(found.blocks) > 1 and cover(traf, heur) >= HOLDS:
        traf_shingles = shingles(traf)
        if any(len(block) >= PART * len(heur) and cover(block, traf_shingles) < MISSING
               for block in found.blocks):
            return Choice(heur, heur_path, "trafilatura lost a block of the split body")
    if SHORTER * len(traf) <= len(heur) < len(traf) and cover(heur, traf) >= AGREE:
        return Choice(heur, heur_path, "both agree on the heuristic's shorter text")
    return Choice(traf, "trafilatura", "trafilatura's text, no evidence against it")


def _as_paragraphs(text: str) -> str:
    """A JSON-LD body's lines as our paragraphs, furniture lines dropped."""
    return "\n\n".join(line for line in text.splitlines() if not is_clutter_line(line))
