"""Extraction speed on hostile pages: `monitor.extract.extract_article` beside trafilatura's
own `extract` on the same page, both measured in this run.

The pages are the ones tests/test_extract.py extracts (the tests only check the outcome,
under a ceiling that catches a stall): a page of many small blocks, one just under the tree
limit (MAX_TREE elements, which ours hands to trafilatura), 50,000 nested <div>s, and a
5 MB paragraph; one real article page (tests/data/pages/seed-aleppo.html) is the baseline.

trafilatura's time per element grows with the tree, which is why a tree past MAX_TREE goes to
our heuristic: the second table gives both at several sizes, with the time per 1,000 blocks
(flat for linear work) and the path ours took. At the tests' 100,000 blocks trafilatura
would take minutes, so it runs only up to 10,000.

Each time is the median of a few runs (one for anything over a second), in ms.

Run: make bench   (or: python bench/extract_speed.py)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor.extract import (  # noqa: E402
    MAX_PAGE,
    MAX_TREE,
    extract_article,
    parse_html,
    tree_size,
)

URL = "https://example.org/hostile"
BLOCK = "<div><p>a <b>b</b> <i>c</i></p></div>"  # four elements
TESTS_BLOCKS = 100_000  # the size tests/test_extract.py uses
PEER_BLOCKS = (1_000, 2_500, 5_000, 10_000)  # trafilatura beyond this takes minutes
RUNS = 3


def blocks(n: int) -> str:
    return "<html><body>" + BLOCK * n + "</body></html>"


def under_the_limit() -> str:
    return "<html><body>" + "<div><p>text, <b>bold</b> <i>it</i></p></div>" * 2_400 + "</body>"


def nested(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + "deep" + "</div>" * depth + "</body></html>"


def paragraph() -> str:
    return "<html><body><p>" + "word " * (MAX_PAGE // 5) + "</p></body></html>"


def ours(page: str) -> object:
    return extract_article(page, URL)


def trafilatura_extract(page: str) -> object:
    import trafilatura

    return trafilatura.extract(page, url=URL, include_comments=False, include_tables=True)


def timed(fn: Callable[[str], object], page: str) -> float:
    """Median seconds of fn(page): RUNS runs, or one when a run takes over a second."""
    runs: list[float] = []
    while len(runs) < RUNS:
        start = time.perf_counter()
        fn(page)
        runs.append(time.perf_counter() - start)
        if runs[-1] > 1.0:
            break
    return statistics.median(runs)


def path_taken(page: str) -> str:
    """Which extractor ours hands a page of small blocks to (neither marks a body)."""
    return "heuristic" if tree_size(parse_html(page)) > MAX_TREE else "trafilatura"


def row(name: str, size: str, mine: float, peer: float, note: str = "") -> None:
    print(f"{name:<27}{size:>8}{1000 * mine:10.1f}{1000 * peer:13.1f}{peer / mine:11.1f}x"
          f"  {note}".rstrip())


def main() -> None:
    seed = (ROOT / "tests" / "data" / "pages" / "seed-aleppo.html").read_text(encoding="utf-8")
    ours(seed), trafilatura_extract(seed)  # imports and caches, outside the timings
    print(f"ms per page (median); peer: trafilatura.extract on the same page; "
          f"MAX_TREE = {MAX_TREE:,} elements\n")
    print(f"{'page':<27}{'size':>8}{'ours':>10}{'trafilatura':>13}{'peer/ours':>12}")
    row("real article (baseline)", "seed", timed(ours, seed), timed(trafilatura_extract, seed))
    row("just under the tree limit", "2,400", timed(ours, under_the_limit()),
        timed(trafilatura_extract, under_the_limit()), "both run trafilatura")
    row("nested <div>", "50,000", timed(ours, nested(50_000)),
        timed(trafilatura_extract, nested(50_000)), "levels")
    row("one paragraph", "5 MB", timed(ours, paragraph()), timed(trafilatura_extract, paragraph()))

    print("\nmany small blocks (4 elements each): ms, and ms per 1,000 blocks")
    print(f"{'blocks':>10}{'ours':>10}{'per 1k':>9}{'trafilatura':>13}{'per 1k':>9}  ours ran")
    for n in (*PEER_BLOCKS, TESTS_BLOCKS):
        page = blocks(n)
        mine = timed(ours, page)
        if n in PEER_BLOCKS:
            peer = timed(trafilatura_extract, page)
            peer_text = f"{1000 * peer:13.1f}{1000 * peer / n * 1000:9.2f}"
        else:
            peer_text = f"{'not run':>13}{'':>9}"
        print(f"{n:>10,}{1000 * mine:10.1f}{1000 * mine / n * 1000:9.2f}{peer_text}"
              f"  {path_taken(page)}")
    print(f"\n(trafilatura is not run on {TESTS_BLOCKS:,} blocks: at its growth above, "
          "that takes minutes)")


if __name__ == "__main__":
    main()
