"""Article extraction on real news pages (tests/data/pages), hostile pages and encodings."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.extract import (
    MAX_PAGE,
    MAX_PARAGRAPHS,
    MAX_TEXT,
    Article,
    decode_page,
    extract_article,
    extract_html,
    extract_text,
    looks_like_html,
    parse_date,
)
from monitor.records import Document
from tests.bounded import finishes

PAGES = Path(__file__).parent / "data" / "pages"
NAMES = sorted(p.stem for p in PAGES.glob("*.html"))
# token F1 floors, a little under what bench/extract.py measures for the chosen extractor
FLOOR = 0.95
FLOORS = {"lwn-1": 0.88}  # a weekly-edition page of several articles, not one article
SEED_CLUTTER = ("follow us on Twitter", "Leave a comment", "five × four", "Short link",
                "Related stories", "Share on Facebook", "Post Comment", "Newsletter")


def f1(got: str, want: str) -> float:
    g = Counter(re.findall(r"\w+", got.casefold()))
    w = Counter(re.findall(r"\w+", want.casefold()))
    overlap = sum((g & w).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(g.values()), overlap / sum(w.values())
    return 2 * precision * recall / (precision + recall)


def load(name: str) -> tuple[Article, str, dict]:
    meta = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    article = extract_article((PAGES / f"{name}.html").read_bytes(), meta.get("url", ""))
    return article, (PAGES / f"{name}.txt").read_text(encoding="utf-8"), meta


def test_the_corpus_is_there() -> None:
    assert len(NAMES) >= 7
    for name in NAMES:
        assert (PAGES / f"{name}.txt").stat().st_size > 500
        assert (PAGES / f"{name}.json").exists()


@pytest.mark.parametrize("name", NAMES)
def test_text_matches_the_expected_text(name: str) -> None:
    article, want, _ = load(name)
    assert f1(article.text, want) >= FLOORS.get(name, FLOOR)
    assert "\n\n" in article.text and "\n\n\n" not in article.text


@pytest.mark.parametrize("name", NAMES)
def test_metadata_matches_the_page(name: str) -> None:
    article, _, meta = load(name)
    assert article.title == meta["title"]
    if meta.get("byline"):
        assert article.byline and meta["byline"].casefold() in article.byline.casefold()
    if meta.get("published"):
        assert article.published == datetime.fromisoformat(meta["published"])
        assert article.published.tzinfo is UTC
    if meta.get("lang"):
        assert article.language == meta["lang"]


def test_seed_page_keeps_the_article_and_drops_the_clutter() -> None:
    article, want, _ = load("seed-aleppo")
    paragraphs = [" ".join(p.split()) for p in want.strip().split("\n\n")]  # nbsp → space
    assert article.text.startswith(paragraphs[0])
    assert article.text.rstrip().endswith(paragraphs[-1])
    assert all(p in article.text for p in paragraphs)
    for clutter in SEED_CLUTTER:
        assert clutter.casefold() not in article.text.casefold(), clutter
    assert article.title not in article.text  # the headline is the title, not the text


def test_seed_page_metadata() -> None:
    article, _, meta = load("seed-aleppo")
    assert article.byline == "Karim Haddad"
    assert article.published == datetime(2016, 8, 15, 11, 32, tzinfo=UTC)
    assert article.updated == datetime(2016, 8, 15, 15, 5, tzinfo=UTC)
    assert article.language == "en"
    assert article.canonical_url == meta["canonical_url"]
    assert "utm_" not in article.canonical_url
    assert article.image == meta["image"]  # og:image is relative on the page


def test_publisher_marked_body_wins() -> None:
    body = "First paragraph of the story, long enough to count as a body. " * 5
    body += "\n" + "Second paragraph, also from JSON-LD. " * 10
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": "Ein Titel", "datePublished": "2024-03-01T08:00:00Z",
                     "author": [{"name": "A. Autor"}], "articleBody": body})
    page = f"""<html lang="de"><head><title>Ein Titel | Zeitung</title>
    <script type="application/ld+json">{ld}</script></head>
    <body><nav>Home News Sport</nav><div class="content"><p>Teaser only.</p></div>
    </body></html>"""
    article = extract_article(page, "https://zeitung.example/a?utm_source=x")
    assert article.text.startswith("First paragraph")
    assert "Second paragraph" in article.text and "Teaser only" not in article.text
    assert (article.title, article.byline, article.language) == ("Ein Titel", "A. Autor", "de")
    assert article.published == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert article.canonical_url == "https://zeitung.example/a"


# --- hostile pages --------------------------------------------------------------------------
# Each page is extracted under a generous ceiling (tests/bounded.py), which only catches a
# stall; how fast they go, beside trafilatura on the same pages, is bench/extract_speed.py.

def _extract(page: str | bytes) -> Article:
    return finishes(lambda: extract_article(page, "https://example.org/hostile"))


def test_deeply_nested_page_yields_an_article_with_its_title() -> None:
    """50,000 nested <div>s: a recursive walk would overflow; ours are iterative."""
    page = ("<html><head><title>Deep</title></head><body>" + "<div>" * 50_000 + "deep"
            + "</div>" * 50_000 + "</body></html>")
    article = _extract(page)
    assert isinstance(article, Article) and article.title == "Deep"


def test_five_megabyte_paragraph_is_capped() -> None:
    page = "<html><body><p>" + "word " * (MAX_PAGE // 5) + "</p></body></html>"
    article = _extract(page.encode())
    assert article.text.startswith("word word")
    assert 0 < len(article.text) <= MAX_TEXT


def test_page_of_many_elements_goes_to_the_heuristic_and_stops_at_the_paragraph_cap() -> None:
    """100,000 small blocks: trafilatura's walks grow quadratically with the tree (minutes
    at this size), so a tree past MAX_TREE goes to the heuristic, whose text stops at
    MAX_PARAGRAPHS. Sent to trafilatura, the page would stall past the ceiling, and its
    text would be cut at MAX_TEXT characters, not at MAX_PARAGRAPHS paragraphs."""
    page = "<html><body>" + "<div><p>a <b>b</b> <i>c</i></p></div>" * 100_000 + "</body></html>"
    paragraphs = _extract(page).text.split("\n\n")
    assert len(paragraphs) == MAX_PARAGRAPHS
    assert set(paragraphs) == {"a b c"}


def test_page_just_under_the_tree_limit_is_extracted() -> None:
    page = "<html><body>" + "<div><p>text, <b>bold</b> <i>it</i></p></div>" * 2_400 + "</body>"
    assert "bold" in _extract(page).text


@pytest.mark.parametrize("page", ["", "   ", "\x00\x01\x02", "<<<>>>&&&;", "<html></body>",
                                  b"\xff\xfe\xfa\x00<p", b"<p>\x80\x81\xfe</p>",
                                  "<html><body><p>unclosed <b><i>tags", "<!--", "<?xml?>",
                                  '<script type="application/ld+json">{"@type": [</script>'])
def test_bad_html_never_raises(page: str | bytes) -> None:
    article = extract_article(page, "not a url")
    assert isinstance(article.text, str) and isinstance(article.title, str)


# --- encodings ------------------------------------------------------------------------------

def test_meta_charset_decodes_bytes() -> None:
    text = "Войска отразили наступление в Алеппо"
    page = f'<html><head><meta charset="windows-1251"><title>{text}</title></head>' \
           f"<body><article><p>{text}. {text}, {text}.</p></article></body></html>"
    article = extract_article(page.encode("cp1251"), "https://example.ru/a")
    assert article.title == text
    assert text in article.text


def test_http_equiv_latin1_is_read_as_windows_1252() -> None:
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=iso-8859-1"></head><body><p>Café “déjà vu” à Alep</p></body></html>')
    decoded = decode_page(page.encode("cp1252"))
    assert "Café “déjà vu” à Alep" in decoded


def test_bom_wins_over_meta() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Halab حلب</p></body></html>'
    assert "حلب" in decode_page(b"\xef\xbb\xbf" + page.encode("utf-8"))
    assert "حلب" in decode_page(b"\xff\xfe" + page.encode("utf-16-le"))


def test_undeclared_or_broken_bytes_fall_back_to_utf8() -> None:
    assert decode_page("Alep – été".encode()) == "Alep – été"
    assert decode_page(b"ok \xff\xfe bad") == "ok \ufffd\ufffd bad"
    assert decode_page(b'<meta charset="no-such-charset"><p>\xc3\xa9</p>').endswith("é</p>")


def test_input_is_capped() -> None:
    assert len(decode_page(b"a" * (MAX_PAGE + 10))) == MAX_PAGE
    assert len(decode_page("a" * (MAX_PAGE + 10))) == MAX_PAGE


# --- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2016-08-15T14:32:00+03:00", datetime(2016, 8, 15, 11, 32, tzinfo=UTC)),
    ("2016-08-15T11:32:00Z", datetime(2016, 8, 15, 11, 32, tzinfo=UTC)),
    ("2016-08-15T11:32:00.250Z", datetime(2016, 8, 15, 11, 32, 0, 250_000, tzinfo=UTC)),
    ("2016-08-15 11:32:00", datetime(2016, 8, 15, 11, 32, tzinfo=UTC)),
    ("2016-08-15", datetime(2016, 8, 15, tzinfo=UTC)),
    ("Mon, 15 Aug 2016 14:32:00 +0300", datetime(2016, 8, 15, 11, 32, tzinfo=UTC)),
    ("Mon, 15 Aug 2016 11:32:00 GMT", datetime(2016, 8, 15, 11, 32, tzinfo=UTC)),
    ("yesterday", None), ("", None), (None, None), ("0001-01-01", None),
])
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


# --- the other entry points -----------------------------------------------------------------

def test_extract_html_gives_a_document() -> None:
    page = (PAGES / "seed-aleppo.html").read_text(encoding="utf-8")
    document = extract_html(page)
    assert isinstance(document, Document)
    assert document.title == "Syrian army repel armed opposition’s advance in Aleppo"
    assert "Shoigu" in document.text and "Leave a comment" not in document.text


def test_extract_text_and_looks_like_html() -> None:
    assert extract_text("Title\n\nbody line\n") == Document("Title", "body line")
    assert extract_text("  \n") == Document("", "")
    assert looks_like_html("<!DOCTYPE html><html>") and not looks_like_html("plain text")
