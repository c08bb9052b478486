"""Parsing: feeds, HTML → text, and listing pages, each beside a baseline run in the same run.

1. Feed parsers: feedparser as the project used it, fastfeedparser, feedparser-rs and the
   chosen path (feedparser-rs with feedparser as the fallback, monitor/sources/fastfeed.py),
   beside feedparser with its defaults: agreement with feedparser on the cases of
   feedparser's own test corpus that feedparser passes (the comparison is defined in
   bench/feedcorpus.py: entry count, each entry's title, link and date, and the encoding)
   and CPU ms per feed, on that corpus and on realistic RSS/Atom feeds of 20–100 items
   (bench/feedgen.py, and the bundled samples grown to 50 items); then the whole parse step
   (`parse_feed_full`, bytes → Entry records) with feedparser alone ("old") and with the
   chosen path ("new"), and whether both give the same records. The corpus is looked for
   in ../shared/corpora/feedparser-tests beside the checkout, or where
   NEWS_MONITOR_FEED_CORPUS says.
2. HTML → text: `monitor.text.html_to_text` (lxml's streaming parser) against the standard
   library's `html.parser` it replaced (kept below as the baseline), on real text (the sample
   feeds' items, the pages of tests/data/pages) and on hostile markup.
3. Listing pages: `parse_listing` (BeautifulSoup on lxml, tags bounded) against the same code
   on BeautifulSoup's "html.parser" builder without the bound, on real and hostile pages.

Hostile cases run in a fresh process each, so that their time and peak memory (RSS over the
process's own before the parse) are theirs alone. Where the baseline is quadratic, or
needs a gigabyte, it runs on a smaller input, and the line says so.

Run: make bench   (or: python bench/parse.py)
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import feedparser
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from feedbench import bench_feeds  # noqa: E402

from monitor.sources import sites  # noqa: E402
from monitor.text import _BLOCKS, _INVISIBLE, clean, html_to_text  # noqa: E402

SAMPLES = ROOT / "config" / "samples"
PAGES = sorted((ROOT / "tests" / "data" / "pages").glob("*.html"))
HOME = ROOT / "tests" / "data" / "sources" / "homepage.html"
URL = "https://www.levantobserver.example/"
MB = 2**20
_PARAGRAPH = re.compile(r"<p\b[^>]*>.*?</p>", re.S | re.I)

# --- baselines: what the code did before --------------------------------------------------


class _OldText(HTMLParser):
    """html_to_text as it was: the standard library's streaming parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _INVISIBLE:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def old_html_to_text(markup: str, limit: int) -> str:
    parser = _OldText()
    parser.feed(markup)
    parser.close()
    return clean("".join(parser.parts), limit)


def old_listing(body: bytes) -> sites.Listing:
    """parse_listing on BeautifulSoup's "html.parser" builder, without the tag bound."""
    saved = sites.BeautifulSoup, sites.MAX_TAGS
    sites.BeautifulSoup = lambda text, _builder: BeautifulSoup(text, "html.parser")
    sites.MAX_TAGS = 10**9
    try:
        return sites.parse_listing(body, url=URL)
    finally:
        sites.BeautifulSoup, sites.MAX_TAGS = saved


def new_listing(body: bytes) -> sites.Listing:
    return sites.parse_listing(body, url=URL)


# --- inputs -------------------------------------------------------------------------------

HOSTILE_MARKUP: dict[str, Callable[[int], str]] = {
    'unclosed "<a "': lambda n: "<a " * n,
    "nested <div>": lambda n: "<div>" * n + "deep text",
    '"<![ 1 ]]>" junk': lambda n: "<![ 1 ]]> " * n + "tail",
    "tiny tags": lambda n: "<b>x</b><i>y" * (n // 12),
}
# (case, size for the new code, size for the baseline, what the size counts)
TEXT_CASES = [
    ('unclosed "<a "', 14_000, 4_000, "repeats"),
    ('unclosed "<a "', 14_000, 8_000, "repeats"),
    ("nested <div>", 100_000, 100_000, "levels"),
    ('"<![ 1 ]]>" junk', 20_000, 20_000, "repeats"),
    ("tiny tags", 5 * MB, 5 * MB, "bytes"),
]
PAGE_CASES = [
    ('unclosed "<a "', 14_000, 4_000, "repeats"),
    ('unclosed "<a "', 14_000, 8_000, "repeats"),
    ("nested <div>", 100_000, 100_000, "levels"),
    ('"<![ 1 ]]>" junk', 200_000, 200_000, "repeats"),
    ("tiny tags", 5 * MB, 1 * MB, "bytes"),
]
IMPLEMENTATIONS = {"text-old": old_html_to_text, "text-new": html_to_text}


def feed_fragments() -> list[str]:
    """Summary-sized real markup: the sample feeds' HTML items and every paragraph of the
    real pages (with its inline links, emphasis, entities)."""
    fragments = []
    for path in sorted(SAMPLES.glob("*")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            fragments += [entry.get("summary", "")] + [c.value for c in entry.get("content", [])]
    for page in PAGES:
        fragments += _PARAGRAPH.findall(page.read_text(encoding="utf-8", errors="replace"))
    return [f for f in fragments if "<" in f]


# --- measuring ----------------------------------------------------------------------------


def per_call(fn: Callable[[], object], repeat: int = 5) -> float:
    """Seconds per call of fn: the best of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def isolated(kind: str, case: str, size: int) -> str:
    """Time and peak memory of one hostile case, in a fresh process."""
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--one", kind, case, str(size)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return "> 120 s (stopped)"
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1][:60]


def one(kind: str, case: str, size: int) -> None:
    """The child side of `isolated`: run the case once, print seconds and peak MB."""
    markup = HOSTILE_MARKUP[case](size)
    if kind.startswith("text"):

        def work() -> object:
            return IMPLEMENTATIONS[kind](markup, 100_000)
    else:
        listing = old_listing if kind == "page-old" else new_listing
        body = markup.encode()

        def work() -> object:
            return listing(body)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        work()
    except Exception as err:  # the old parsers' failures are a result too
        print(f"fails: {type(err).__name__}")
        return
    elapsed = time.perf_counter() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"{elapsed:7.3f} s {peak:6.1f} MB")


def _size(n: int, unit: str) -> str:
    return f"{n // MB} MB" if unit == "bytes" else f"{n:,} {unit}"


# --- the report ---------------------------------------------------------------------------


def bench_text() -> None:
    print("\nhtml_to_text, real text                old html.parser   new lxml    ratio")
    fragments = feed_fragments()
    pages = [p.read_text(encoding="utf-8", errors="replace") for p in PAGES]
    for label, inputs, limit, scale, unit in (
        (f"{len(fragments)} feed items and paragraphs", fragments, 100_000, 1e6, "µs"),
        (f"{len(pages)} article pages", pages, 10**7, 1e3, "ms"),
    ):
        old = per_call(lambda i=inputs, n=limit: [old_html_to_text(x, n) for x in i])
        new = per_call(lambda i=inputs, n=limit: [html_to_text(x, n) for x in i])
        same = sum(old_html_to_text(x, limit) == html_to_text(x, limit) for x in inputs)
        each_old, each_new = old / len(inputs) * scale, new / len(inputs) * scale
        print(
            f"  {label:30} {each_old:10.1f} {unit} {each_new:8.1f} {unit} {old / new:6.1f}x"
            f"   same text: {same}/{len(inputs)}"
        )
    hostile(
        "text",
        TEXT_CASES,
        "html_to_text, hostile (time, peak memory; the new code "
        "reads at most MAX_MARKUP, 1,000,000 characters)",
    )


def bench_pages() -> None:
    print("\nlisting pages, real                      old html.parser   new lxml    ratio")
    pages = [HOME.read_bytes()] + [p.read_bytes() for p in PAGES]
    old = per_call(lambda: [old_listing(p) for p in pages], repeat=3)
    new = per_call(lambda: [new_listing(p) for p in pages], repeat=3)
    same = sum(old_listing(p) == new_listing(p) for p in pages)
    print(
        f"  {len(pages)} pages (homepage + articles)   {old / len(pages) * 1e3:10.1f} ms "
        f"{new / len(pages) * 1e3:8.1f} ms {old / new:6.1f}x   same listing: "
        f"{same}/{len(pages)}"
    )
    hostile(
        "page",
        PAGE_CASES,
        "listing pages, hostile (time, peak memory; the new code "
        "parses at most MAX_TAGS, 50,000 tags)",
    )


def hostile(kind: str, cases: list[tuple[str, int, int, str]], title: str) -> None:
    print(title)
    for case, size, old_size, unit in cases:
        note = "" if old_size == size else f" (old: {_size(old_size, unit)})"
        print(f"  {case} {_size(size, unit)}{note}")
        print(
            f"    old: {isolated(f'{kind}-old', case, old_size):24} "
            f"new: {isolated(f'{kind}-new', case, size)}"
        )


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    bench_feeds()
    bench_text()
    bench_pages()


if __name__ == "__main__":
    main()
