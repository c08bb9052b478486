"""The fast path for feeds (feedparser-rs, feedparser as the fallback): it reads what
feedparser reads on feedparser's own test feeds, leaves to feedparser what it would read
differently, and stays bounded and isolated on hostile input."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import feedparser_rs
import pytest

from monitor.sources import fastfeed
from monitor.sources.feeds import MAX_ENTRIES, FeedError, parse_feed_full
from tests.bounded import finishes
from tests.conftest import ROOT, SAMPLES

SAMPLE = Path(__file__).parent / "data" / "feedparser" / "corpus"


def _bench(name: str):
    """A bench/ module (the corpus yardstick and the feed generator are shared with it)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


feedcorpus = _bench("feedcorpus")
feedgen = _bench("feedgen")
CHOSEN = feedcorpus.READERS["chosen: feedparser-rs, feedparser fallback"]


def parse(body: bytes, content_type: str | None = None, fast: bool = True):
    if not fast:
        saved = fastfeed._fast
        fastfeed._fast = lambda document, max_entries: (None, "test: feedparser only")
        try:
            return parse_feed_full(
                body, source="S", url="https://e.org/rss", content_type=content_type
            )
        finally:
            fastfeed._fast = saved
    return parse_feed_full(body, source="S", url="https://e.org/rss", content_type=content_type)


def reader(body: bytes) -> str:
    """Which parser reads a (well-formed, UTF-8) document."""
    return fastfeed.read_document(body, {}, max_entries=2 * MAX_ENTRIES).reader


def rss(items: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {head}><channel>'
        f"<title>T</title><link>https://e.org/</link>{items}</channel></rss>"
    ).encode()


DATED = "<pubDate>Mon, 15 Aug 2016 14:05:00 GMT</pubDate>"


def test_sample_of_feedparsers_corpus_reads_as_feedparser_does():
    """One case in ten of feedparser's test feeds (those feedparser passes), shipped with
    the tests: the chosen path agrees with feedparser on ≥ 99% of them."""
    passing = feedcorpus.passing_cases(feedcorpus.load(SAMPLE))
    assert len(passing) >= 200
    same, different = feedcorpus.agreement(passing, CHOSEN)
    assert same / len(passing) >= 0.99, different


@pytest.mark.skipif(not feedcorpus.CORPUS.is_dir(), reason="feedparser's corpus not present")
def test_whole_corpus_reads_as_feedparser_does():
    passing = feedcorpus.passing_cases(feedcorpus.load())
    same, different = feedcorpus.agreement(passing, CHOSEN)
    assert same / len(passing) >= 0.99, different[:20]


@pytest.mark.parametrize("label", list(feedgen.realistic()) + ["aleppo.xml", "world.atom"])
def test_typical_feeds_take_the_fast_path_and_give_the_same_entries(label):
    body = feedgen.realistic().get(label) or (SAMPLES / label).read_bytes()
    assert reader(body) == "feedparser-rs"
    assert parse(body) == parse(body, fast=False)


def test_malformed_feed_still_parses_through_feedparser():
    body = rss(
        f"<item><title>Caf&eacute; reopens</title>{DATED}"
        "<link>https://e.org/1</link><description>Open &amp; <b>busy</description>"
        "</item>"
    )
    assert reader(body) == "feedparser"
    parsed = parse(body)
    assert parsed.entries[0].title == "Café reopens"
    assert parsed.warnings and "not well-formed" in parsed.warnings[0]
    assert parsed == parse(body, fast=False)


@pytest.mark.parametrize(
    "why,item",
    [
        (
            "no date element it knows",
            "<item><title>A</title><link>https://e.org/1</link>"
            "<dcterms:modified>2003-12-31T10:14:55Z</dcterms:modified></item>",
        ),
        ("relative link", f"<item><title>A</title><link>/news/1</link>{DATED}</item>"),
        ("intranet link", f"<item><title>A</title><link>http://10.0.0.1/a</link>{DATED}</item>"),
        (
            "loopback link",
            f"<item><title>A</title><link>http://127.0.0.1:8080/a</link>{DATED}</item>",
        ),
        ("base64 text", f'<item><title mode="base64">QQ==</title>{DATED}</item>'),
        ("C1 reference", f"<item><title>don&#146;t</title>{DATED}</item>"),
        (
            "XHTML body",
            f'<item><title>A</title>{DATED}<body xmlns="http://www.w3.org/1999/xhtml">'
            "<p>text</p></body></item>",
        ),
    ],
)
def test_what_feedparser_reads_differently_goes_to_feedparser(why, item):
    body = rss(item, head='xmlns:dcterms="http://purl.org/dc/terms/"')
    assert reader(body) == "feedparser", why
    assert parse(body) == parse(body, fast=False)


def test_untyped_atom_text_with_markup_goes_to_feedparser():
    entry = "<entry><title>{}</title><id>urn:1</id><updated>2020-01-01T00:00:00Z</updated></entry>"
    feed = '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{}</feed>'
    plain = feed.format(entry.format("Plain words")).encode()
    markup = feed.format(entry.format("History of the &lt;blink&gt; tag")).encode()
    assert reader(plain) == "feedparser-rs"
    assert reader(markup) == "feedparser"
    # text, as Atom says: the markup is the title's words, not HTML to remove
    assert parse(markup).entries[0].title == "History of the <blink> tag"
    assert parse(markup) == parse(markup, fast=False)


def test_a_fast_path_failure_costs_only_the_fast_path(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(feedparser_rs, "parse_with_limits", broken)
    body = (SAMPLES / "aleppo.xml").read_bytes()
    assert reader(body) == "feedparser"
    assert len(parse(body).entries) == 4


def test_deep_nesting_stays_bounded():
    """Past 100 levels of elements feedparser-rs gives up (bozo) and feedparser reads the
    document as before; markup nested inside a description is text to both."""
    levels = 50_000
    elements = "<a>" * levels + "x" + "</a>" * levels
    body = rss(f"<item><title>A</title>{DATED}{elements}</item>")
    assert reader(body) == "feedparser"
    assert finishes(lambda: parse(body)).entries[0].title == "A"
    markup = "<div>" * levels + "x" + "</div>" * levels
    body = rss(f"<item><title>A</title>{DATED}<description>{markup}</description></item>")
    assert finishes(lambda: parse(body)).entries[0].title == "A"


@pytest.mark.parametrize(
    "junk", [b"<title " * 700_000, b"<x:" * 1_000_000, b"<" + b"a" * 5_000_000, b"&#1" * 10**6]
)
def test_the_rules_read_a_hostile_document_in_linear_time(junk):
    """The rules' searches run over the whole document, CDATA included: megabytes of
    half-tags, names and references must not make them backtrack."""
    body = rss(
        f"<item><title>A</title>{DATED}<description><![CDATA[{junk.decode()}]]>"
        "</description></item>"
    )
    assert finishes(lambda: parse(body)).entries[0].title == "A"


def test_more_items_than_kept_still_keep_the_newest():
    items = "".join(
        f"<item><title>n{i}</title><link>https://e.org/{i}</link>"
        f"<pubDate>Mon, 15 Aug 2016 {i // 60 % 24:02d}:{i % 60:02d}:00 GMT</pubDate>"
        "</item>"
        for i in range(3 * MAX_ENTRIES)
    )
    parsed = finishes(lambda: parse(rss(items)))
    assert len(parsed.entries) == MAX_ENTRIES
    assert parsed == parse(rss(items), fast=False)


def test_only_bytes_reach_the_parsers(monkeypatch):
    """Both parsers fetch a str that looks like a URL: the fast path hands them bytes."""
    seen = []
    real = feedparser_rs.parse_with_limits

    def spy(source, *args, **kwargs):
        seen.append(type(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(feedparser_rs, "parse_with_limits", spy)
    with pytest.raises(FeedError):
        parse(b"https://169.254.169.254/latest/meta-data/")
    parse((SAMPLES / "world.atom").read_bytes())
    assert seen and set(seen) == {bytes}
