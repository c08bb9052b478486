"""Feed parsing: our defended parse (entity check, sanitising ourselves, HTML → text) against
feedparser with its defaults, on the bundled sample feed grown to a realistic 50 items.

Prints feeds per second for both, measured in the same run, and their ratio.
Run: make bench   (or: python bench/parse.py)
"""

from __future__ import annotations

import io
import re
import statistics
import sys
import time
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from monitor.sources.feeds import parse_feed  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "config" / "samples" / "aleppo.xml"


def realistic_feed(items: int = 50) -> bytes:
    """The sample's items repeated with distinct links, as a busy news feed would look."""
    text = SAMPLE.read_text(encoding="utf-8")
    head, rest = text.split("<item>", 1)
    body, tail = rest.rsplit("</item>", 1)
    blocks = ["<item>" + b for b in ("<item>" + body + "</item>").split("<item>")[1:]]
    out = []
    for i in range(items):
        block = blocks[i % len(blocks)]
        out.append(re.sub(r"(https://news\.example\.org/[^<?\"]+)", rf"\1-{i}", block))
    return (head + "".join(out) + tail).encode("utf-8")


def rate(fn, body: bytes, seconds: float = 3.0) -> float:
    """Feeds per second: the median of five timed runs of about seconds/5 each."""
    runs = []
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 5:
            fn(body)
            n += 1
        runs.append(n / (time.perf_counter() - start))
    return statistics.median(runs)


def ours(body: bytes) -> None:
    parse_feed(body, source="bench", url="https://news.example.org/rss")


def baseline(body: bytes) -> None:
    feedparser.parse(io.BytesIO(body), response_headers={
        "content-location": "https://news.example.org/rss"})


def main() -> None:
    body = realistic_feed()
    entries, _ = parse_feed(body, source="bench", url="https://news.example.org/rss")
    print(f"feed: {len(body) / 1024:.0f} KB, {len(entries)} items")
    base = rate(baseline, body)
    mine = rate(ours, body)
    print(f"feedparser defaults (baseline): {base:8.1f} feeds/s")
    print(f"news-monitor parse_feed:        {mine:8.1f} feeds/s")
    print(f"ratio: {mine / base:.2f}x the baseline")


if __name__ == "__main__":
    main()
