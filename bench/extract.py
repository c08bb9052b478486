"""Article extraction: how well each extractor pulls a news page's main text, in one run.

Two corpora, every extractor on every page of each:

- the article-extraction benchmark's development pages (Scrapinghub's
  article-extraction-benchmark: real pages with a person's reading of the article body,
  and the benchmark's own `evaluate.py`), by default `../shared/corpora/article-extraction-dev/`
  beside the repository (`--corpus DIR` to point elsewhere; `html/<id>.html.gz`,
  `ground-truth.json`, `evaluate.py`). The rest of the benchmark is kept apart to check
  the result: give its folder as `--corpus` to score it the same way;
- the pages the tests ship (tests/data/pages: real news pages with their expected text).

Both are scored by the benchmark's `evaluate.py` itself (word 4-gram precision, recall and
F1, averaged over pages, with bootstrap error bars): the folder is copied to a temporary
directory, each extractor's texts written to `output/<name>.json`, and the script run
there. The tests' pages get a ground-truth.json of their own in a second copy. Beside it
this prints CPU milliseconds per page (time.process_time, median over the pages, each page
extracted once after a warm-up), and for the tests' pages the share of titles right.

Extractors:
  chosen          monitor.extract.extract_article: per-page choice by evidence between
                  trafilatura, our heuristic and JSON-LD (monitor.extract.choice)
  heuristic       our heuristic alone (marked body or densest block, clutter pruned)
  trafilatura     trafilatura.extract, default options
  trafilatura-precision   the same with favor_precision=True
  readability     readability-lxml's Document.summary(), text only (if installed)

Every extractor gets the same decoded text of each page (monitor.extract.decode_page).

Run: python bench/extract.py [--corpus DIR] [--pages DIR]   (from the repository root)
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor import extract  # noqa: E402
from monitor.extract.clutter import prune  # noqa: E402

PAGES = ROOT / "tests" / "data" / "pages"
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-dev"
CHOSEN = "chosen"

Extractor = Callable[[str, str], tuple[str | None, str]]


def chosen(page: str, url: str) -> tuple[str | None, str]:
    article = extract.extract_article(page, url)
    return article.title, article.text


def heuristic(page: str, url: str) -> tuple[str | None, str]:
    tree = extract.parse_html(page)
    if tree is None:
        return "", ""
    meta = extract.read_metadata(tree, url)
    marked = extract.marked_body(tree)
    prune(tree, keep=marked)
    return meta.title, extract.heuristic_text(tree, marked)


def _trafilatura(**options: bool) -> Extractor:
    def run(page: str, url: str) -> tuple[str | None, str]:
        import trafilatura

        return None, trafilatura.extract(page, url=url or None, **options) or ""
    return run


def readability(page: str, url: str) -> tuple[str | None, str]:
    import lxml.html
    from readability import Document

    document = Document(page, url=url or None)
    summary = document.summary(html_partial=True)
    text = lxml.html.fromstring(summary).text_content() if summary.strip() else ""
    return document.short_title(), "\n".join(" ".join(t.split()) for t in text.splitlines())


def extractors() -> dict[str, Extractor]:
    found: dict[str, Extractor] = {
        CHOSEN: chosen,
        "heuristic": heuristic,
        "trafilatura": _trafilatura(),
        "trafilatura-precision": _trafilatura(favor_precision=True),
    }
    try:
        import readability as _  # noqa: F401
    except ImportError:
        print("readability-lxml is not installed: its row is left out\n")
    else:
        found["readability"] = readability
    return found


# --- corpora ------------------------------------------------------------------------------

class Page:
    def __init__(self, key: str, html: str, url: str, body: str, title: str | None = None):
        self.key, self.html, self.url, self.body, self.title = key, html, url, body, title


def benchmark_pages(folder: Path) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [Page(key, extract.decode_page(gzip.decompress(
                (folder / "html" / f"{key}.html.gz").read_bytes())),
                 item.get("url", ""), item.get("articleBody", ""))
            for key, item in truth.items()]


def test_pages(folder: Path) -> list[Page]:
    pages = []
    for path in sorted(folder.glob("*.html")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        pages.append(Page(path.stem, extract.decode_page(path.read_bytes()),
                          meta.get("url", ""), path.with_suffix(".txt").read_text("utf-8"),
                          meta.get("title")))
    return pages


# --- running and scoring ------------------------------------------------------------------

def run(pages: list[Page], fns: dict[str, Extractor]
        ) -> dict[str, tuple[dict[str, str], float, float | None]]:
    """Each extractor's text per page, its median CPU ms per page and its title score."""
    for fn in fns.values():  # imports, caches and language data outside the timings
        fn(pages[0].html, pages[0].url)
    results = {}
    for name, fn in fns.items():
        texts, times, titles = {}, [], []
        for page in pages:
            start = time.process_time()
            title, text = fn(page.html, page.url)
            times.append(time.process_time() - start)
            texts[page.key] = text
            if title is not None and page.title is not None:
                titles.append(" ".join(title.casefold().split())
                              == " ".join(page.title.casefold().split()))
        results[name] = (texts, 1000 * statistics.median(times),
                         sum(titles) / len(titles) if titles else None)
    return results


def evaluate(scorer: Path, pages: list[Page],
             results: dict[str, tuple[dict[str, str], float, float | None]]) -> str:
    """The benchmark's evaluate.py on these outputs, run in a scratch copy; its table."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        shutil.copy(scorer, work / "evaluate.py")
        (work / "ground-truth.json").write_text(json.dumps(
            {p.key: {"url": p.url, "articleBody": p.body} for p in pages}), encoding="utf-8")
        (work / "output").mkdir()
        for name, (texts, _, _) in results.items():
            (work / "output" / f"{name}.json").write_text(json.dumps(
                {key: {"articleBody": text} for key, text in texts.items()}), "utf-8")
        done = subprocess.run([sys.executable, "evaluate.py"], cwd=work, check=True,
                              capture_output=True, text=True)
        return done.stdout


def report(title: str, scorer: Path, pages: list[Page],
           results: dict[str, tuple[dict[str, str], float, float | None]]) -> None:
    print(f"== {title}: {len(pages)} pages, scored by the benchmark's evaluate.py")
    table = evaluate(scorer, pages, results).splitlines()
    print(f"{table[0]}  {'CPU ms/page':>12}  {'titles':>6}")
    for line in table[1:]:
        name = line.split()[0] if line.split() else ""
        if name in results:
            _, ms, titles = results[name]
            share = f"{titles:.0%}" if titles is not None else "-"
            mark = "  <- extract_article" if name == CHOSEN else ""
            print(f"{line}  {ms:12.1f}  {share:>6}{mark}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="a folder of the article-extraction benchmark "
                             "(html/, ground-truth.json, evaluate.py)")
    parser.add_argument("--pages", type=Path, default=PAGES,
                        help="a folder of NAME.html/.txt/.json pages (default: the tests')")
    args = parser.parse_args()
    fns = extractors()
    scorer = args.corpus / "evaluate.py"
    if not scorer.exists():
        sys.exit(f"no evaluate.py in {args.corpus}: give the benchmark's folder as --corpus")
    bench = benchmark_pages(args.corpus)
    report(f"benchmark pages ({args.corpus.name})", scorer, bench, run(bench, fns))
    pages = test_pages(args.pages)
    report("the tests' pages", scorer, pages, run(pages, fns))


if __name__ == "__main__":
    main()
