"""Article extraction: which extractor pulls a news page's main text best.

Every page in tests/data/pages/ (real news pages copied from mozilla/readability's test
suite, plus one page built around the seed article) ships with its expected text. Each
extractor below reads every page; its text is scored against the expected text with token
precision, recall and F1 (tokens: case-folded words, counted as a multiset), per page and
macro-averaged over pages, and timed (median of a few runs, ms per page). The table marks
the extractor `monitor.extract.extract_article` uses. All figures come from this run.

Extractors:
  minimal       the first version of extract_html (og:title + <article>/<p> text), kept
                here as the baseline
  heuristic     our own rules (monitor.extract.heuristic_text): JSON-LD articleBody when
                present, else itemprop=articleBody / <article> / densest block, with share,
                related, comment, newsletter and captcha furniture and link lists removed
  trafilatura   trafilatura.extract, default options, no comments, tables kept
  trafilatura+prune   the same with our clutter XPaths pruned first
  chosen        what extract_article returns, a combination: the heuristic where the
                publisher marked the body (itemprop=articleBody, JSON-LD articleBody), else
                trafilatura+prune with furniture lines dropped (the heuristic again for
                trees too large for trafilatura); title and other metadata always ours

Besides text, the table gives the share of pages whose title each extractor gets exactly
right (against the page's .json, whitespace and case aside).

Run: python bench/extract.py   (from the repository root)
"""

from __future__ import annotations

import html as htmlmod
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor import extract  # noqa: E402
from monitor.text import clean, html_to_text  # noqa: E402

PAGES = ROOT / "tests" / "data" / "pages"
RUNS = 3
CHOSEN = "chosen"


# --- the baseline: extract_html as it was before the extractor was chosen -----------------

class _MinimalPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.og_title = ""
        self.h1 = ""
        self.paragraphs: list[str] = []
        self.article: list[str] = []
        self._stack: list[str] = []
        self._buffer: list[str] = []
        self._in_article = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            found = dict(attrs)
            if found.get("property") == "og:title" and found.get("content"):
                self.og_title = found["content"] or ""
            return
        if tag in ("script", "style", "noscript", "template", "nav", "footer", "aside"):
            self._hidden += 1
        if tag == "article":
            self._in_article += 1
        if tag in ("title", "h1", "p"):
            self._stack.append(tag)
            self._buffer = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template", "nav", "footer", "aside"):
            self._hidden = max(0, self._hidden - 1)
        if tag == "article":
            self._in_article = max(0, self._in_article - 1)
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
            text = clean("".join(self._buffer), 200_000)
            if tag == "title" and not self.title:
                self.title = text
            elif tag == "h1" and not self.h1:
                self.h1 = text
            elif tag == "p" and text and not self._hidden:
                (self.article if self._in_article else self.paragraphs).append(text)

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._buffer.append(data)


def minimal(page: str, url: str) -> tuple[str, str]:
    parser = _MinimalPage()
    parser.feed(page)
    parser.close()
    title = clean(htmlmod.unescape(parser.og_title), 500) or parser.h1 or parser.title
    body = parser.article or parser.paragraphs
    return title, "\n\n".join(body) if body else html_to_text(page, 200_000)


# --- the alternatives ---------------------------------------------------------------------

def heuristic(page: str, url: str) -> tuple[str, str]:
    tree = extract.parse_html(page)
    meta = extract.read_metadata(tree, url)
    return meta.title, extract.heuristic_text(tree, meta.body)


def trafilatura_plain(page: str, url: str) -> tuple[str, str]:
    import trafilatura

    doc = trafilatura.bare_extraction(page, url=url or None, include_comments=False,
                                      include_tables=True, with_metadata=True)
    return (doc.title or "", doc.text or "") if doc else ("", "")


def trafilatura_pruned(page: str, url: str) -> tuple[str | None, str]:
    tree = extract.parse_html(page)
    return None, extract.trafilatura_text(tree, url)  # text only: no title to score


def chosen(page: str, url: str) -> tuple[str, str]:
    article = extract.extract_article(page, url)
    return article.title, article.text


EXTRACTORS: dict[str, Callable[[str, str], tuple[str | None, str]]] = {
    "minimal": minimal,
    "heuristic": heuristic,
    "trafilatura": trafilatura_plain,
    "trafilatura+prune": trafilatura_pruned,
    CHOSEN: chosen,
}


# --- scoring ------------------------------------------------------------------------------

def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.casefold()))


def score(got: str, want: str) -> tuple[float, float, float]:
    """Token precision, recall and F1 of `got` against `want` (multiset overlap)."""
    g, w = tokens(got), tokens(want)
    overlap = sum((g & w).values())
    precision = overlap / sum(g.values()) if g else 0.0
    recall = overlap / sum(w.values()) if w else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def same_title(got: str, want: str) -> bool:
    return " ".join(got.casefold().split()) == " ".join(want.casefold().split())


def corpus() -> list[tuple[str, str, str, dict]]:
    pages = []
    for path in sorted(PAGES.glob("*.html")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        pages.append((path.stem, extract.decode_page(path.read_bytes()),
                      path.with_suffix(".txt").read_text(encoding="utf-8"), meta))
    return pages


def main() -> None:
    pages = corpus()
    for _, fn in EXTRACTORS.items():  # warm up imports and caches outside the timings
        fn(pages[0][1], "")
    rows = []
    per_page: dict[str, list[float]] = {}
    for name, fn in EXTRACTORS.items():
        scores, times, titles = [], [], []
        for stem, page, want, meta in pages:
            url = meta.get("url", "")
            runs = []
            for _ in range(RUNS):
                start = time.perf_counter()
                title, got = fn(page, url)
                runs.append(time.perf_counter() - start)
            times.append(statistics.median(runs))
            scores.append(score(got, want))
            if title is not None:
                titles.append(same_title(title, meta["title"]))
            per_page.setdefault(stem, []).append(scores[-1][2])
        n = len(scores)
        rows.append((name, *(sum(s[i] for s in scores) / n for i in range(3)),
                     1000 * sum(times) / n,
                     f"{sum(titles) / len(titles):.0%}" if titles else "-"))
    print(f"{len(pages)} pages in {PAGES.relative_to(ROOT)}; token P/R/F1 macro-averaged\n")
    print(f"{'extractor':<20}{'P':>7}{'R':>7}{'F1':>7}{'ms/page':>9}{'title':>7}")
    for name, p, r, f, ms, t in rows:
        mark = "  <- chosen (extract_article)" if name == CHOSEN else ""
        print(f"{name:<20}{p:7.3f}{r:7.3f}{f:7.3f}{ms:9.1f}{t:>7}{mark}")
    print("\nF1 per page:")
    print(f"{'page':<14}" + "".join(f"{n[:17]:>18}" for n in EXTRACTORS))
    for stem, f1s in per_page.items():
        print(f"{stem:<14}" + "".join(f"{f:18.3f}" for f in f1s))


if __name__ == "__main__":
    main()
