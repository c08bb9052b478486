"""The feed-parser part of bench/parse.py: each candidate beside feedparser, in one run.

Agreement is measured on feedparser's own test corpus (bench/feedcorpus.py defines the
comparison); speed is CPU time per feed (time.process_time, best of three rounds of at
least 0.3 s each), on that corpus and on realistic feeds (bench/feedgen.py, and the
bundled samples grown to 50 items).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import feedcorpus
import feedgen
import feedparser
import feedparser_rs

from monitor.sources import fastfeed
from monitor.sources import feeds as feeds_module
from monitor.sources.feeds import parse_feed_full

SAMPLES = Path(__file__).resolve().parent.parent / "config" / "samples"


def realistic_feed(sample: str = "aleppo.xml", items: int = 50) -> bytes:
    """A sample's items repeated with distinct links, as a busy news feed would look."""
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    tag = "<item>" if "<item>" in text else "<entry>"
    head, rest = text.split(tag, 1)
    body, tail = rest.rsplit(tag.replace("<", "</"), 1)
    blocks = [tag + b for b in (tag + body + tag.replace("<", "</")).split(tag)[1:]]
    out = []
    for i in range(items):
        block = blocks[i % len(blocks)]
        out.append(
            re.sub(r"(https://(?:news|wire)\.example\.(?:org|net)/[^<?\"]+)", rf"\1-{i}", block)
        )
    return (head + "".join(out) + tail).encode("utf-8")


def bench_feeds() -> None:
    """Every candidate reader beside feedparser in the same run: agreement on feedparser's
    test corpus (see bench/feedcorpus.py for the exact comparison) and CPU per feed."""
    if not feedcorpus.CORPUS.is_dir():
        print(f"feed parsers: corpus not found at {feedcorpus.CORPUS}; skipped")
        return
    passing = feedcorpus.passing_cases(feedcorpus.load())
    bodies = [case for case, _ in passing]
    print(f"feed parsers on feedparser's test corpus: {len(passing)} cases feedparser passes")
    print(f"  {'reader':44} {'agrees':>15} {'corpus':>9}")
    base = cpu_per_feed(
        lambda c: feedparser.parse(c.body, response_headers=dict(c.headers)), bodies
    )
    print(f"  {'feedparser defaults (the reference)':44} {'':>15} {base * 1e3:6.3f} ms")
    for name, reader in feedcorpus.READERS.items():
        if name.startswith("fastfeedparser") and not importlib.util.find_spec("fastfeedparser"):
            print(f"  {name:44} not installed (pip install fastfeedparser to compare it)")
            continue
        same, _ = feedcorpus.agreement(passing, reader)
        cost = cpu_per_feed(SPEED[name], bodies)
        print(f"  {name:44} {same:5}  {same / len(passing):7.2%} {cost * 1e3:6.3f} ms")
    readers = Counter(_reader(c) for c in bodies)
    print(
        f"  the chosen path read {readers['feedparser-rs']} with feedparser-rs, "
        f"{readers['feedparser']} with feedparser, refused {readers['refused']}"
    )
    bench_realistic()


def bench_realistic() -> None:
    feeds = {
        **feedgen.realistic(),
        "sample RSS x50": realistic_feed(),
        "sample Atom x50": realistic_feed("world.atom", 50),
    }
    print(
        "\nrealistic feeds: CPU ms per feed (best of 3). fp dflt: feedparser defaults; fp ours:"
        " as the\nproject used it; ffp: fastfeedparser; fp-rs: feedparser-rs; chosen: the fast"
        " path with its fallback.\nold, new: the whole parse step (parse_feed_full, bytes to"
        " Entry records) with feedparser alone / the chosen path"
    )
    have_ffp = importlib.util.find_spec("fastfeedparser") is not None
    print(
        f"  {'feed':16}{'fp dflt':>8}{'fp ours':>8}{'ffp':>7}{'fp-rs':>7}{'chosen':>8}"
        f"{'old':>9}{'new':>8}{'ratio':>7}  same entries"
    )
    for label, body in feeds.items():
        case = feedcorpus.Case(Path(label), body, "", {"content-type": "application/xml"})
        row = [cpu_per_feed(lambda c: feedparser.parse(c.body), [case])]
        row += [
            cpu_per_feed(SPEED[name], [case])
            if have_ffp or not name.startswith("fastfeedparser")
            else float("nan")
            for name in feedcorpus.READERS
        ]
        with_feedparser = _parse_step(body, fast=False)
        old = cpu_per_feed(lambda c: _parse_step(c.body, fast=False), [case])
        new = cpu_per_feed(lambda c: _parse_step(c.body, fast=True), [case])
        same = with_feedparser == _parse_step(body, fast=True)
        print(
            f"  {label:16}"
            + "".join(f"{x * 1e3:7.2f} " for x in row)
            + f"{old * 1e3:8.2f} {new * 1e3:7.2f} {old / new:6.1f}x  {same}"
            + f" ({len(with_feedparser.entries)} entries)"
        )


def _defused_then(read: Callable[[bytes, dict[str, str]], object]) -> Callable[..., object]:
    def run(case: feedcorpus.Case) -> object:
        try:
            document = feeds_module._defused(case.body, case.content_type)
        except feeds_module.FeedError:
            return None
        return read(document, {"content-type": "application/xml; charset=utf-8"})

    return run


SPEED: dict[str, Callable[[feedcorpus.Case], object]] = {
    "feedparser, as the project used it": _defused_then(feedcorpus.project_feedparser),
    "fastfeedparser 0.6.5": lambda c: importlib.import_module("fastfeedparser").parse(c.body),
    "feedparser-rs 0.7.1": lambda c: feedparser_rs.parse(
        c.body, sanitize_html=False, resolve_relative_uris=False
    ),
    "chosen: feedparser-rs, feedparser fallback": _defused_then(feedcorpus.chosen),
}


def _parse_step(body: bytes, fast: bool) -> object:
    """parse_feed_full as the daemon runs it, with the fast path or feedparser alone."""
    saved = fastfeed._fast
    if not fast:
        fastfeed._fast = lambda document, max_entries: (None, "benchmark: feedparser only")
    try:
        return parse_feed_full(body, source="bench", url="https://news.example.org/rss")
    finally:
        fastfeed._fast = saved


def _reader(case: feedcorpus.Case) -> str:
    try:
        document = feeds_module._defused(case.body, case.content_type)
    except feeds_module.FeedError:
        return "refused"
    fast, _ = fastfeed._fast(document, 2 * feeds_module.MAX_ENTRIES)
    return "feedparser-rs" if fast is not None else "feedparser"


def cpu_per_feed(
    parse: Callable[[feedcorpus.Case], object], cases: list, repeat: int = 3, least: float = 0.3
) -> float:
    """CPU seconds per feed: the best of `repeat` rounds, each at least `least` s of CPU
    over all `cases` (a parser that raises costs what it spent)."""
    best = float("inf")
    for _ in range(repeat):
        calls, start = 0, time.process_time()
        while True:
            for case in cases:
                with contextlib.suppress(Exception):  # a failure is a result here
                    parse(case)
            calls += len(cases)
            spent = time.process_time() - start
            if spent >= least:
                break
        best = min(best, spent / calls)
    return best
