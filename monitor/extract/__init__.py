"""An article's main text and metadata from its HTML page, or a plain-text file.

`extract_article` is what the pipeline calls when a source says `fetch_article: true`. Its
text is chosen per page by evidence, not by a fixed order (python bench/extract.py measures
it against trafilatura and readability on the article-extraction benchmark's pages and the
pages in tests/data/pages):

- the candidates (monitor.extract.candidates): trafilatura with favor_precision, our
  heuristic (the body the publisher marked, its same-class sibling blocks included, else
  the densest block) and the JSON-LD articleBody, decoded and tag-stripped, all from one
  parse after our clutter is pruned by whole class/id tokens (monitor.extract.clutter),
  never removing the marked body or an ancestor of it;
- the choice (monitor.extract.choice): agreement between the candidates, their lengths
  against each other and the page's visible text, teaser markers; `Article.path` says which
  reading won. Embedded social posts it lacks are put back; a repeated headline or byline
  line and markup residue the page does not show are dropped.

The metadata (title, byline, published and updated dates, language, canonical URL, lead
image) is always our own reading of JSON-LD, OpenGraph, meta tags and <time>; a page that
declares no language gets the one its script settles, if any (monitor.extract.language:
Arabic, Hebrew).

Pages are untrusted: the input is capped at 5 MB, bytes are decoded by BOM, the HTTP
charset, <meta charset>, or detection when none says (monitor.extract.page), a tree too
large for trafilatura to finish quickly goes to the heuristic, whose walks are iterative
and bounded. Nothing here raises on bad HTML.

`extract_html` (title and text of a page as a Document) and `extract_text` serve
`news-monitor test`; `looks_like_html` tells the two kinds of input apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.extract.body import (
    MAX_PARAGRAPHS,
    MAX_TEXT,
    MAX_TRAFILATURA_TEXT,
    MAX_TREE,
    heuristic_text,
    is_clutter_line,
    marked_body,
    tidy_text,
    trafilatura_text,
    tree_size,
)
from monitor.extract.candidates import Candidates, gather
from monitor.extract.choice import Choice, choose
from monitor.extract.language import script_language
from monitor.extract.metadata import parse_date, read_metadata
from monitor.extract.page import MAX_PAGE, decode_page, parse_html
from monitor.records import Document
from monitor.text import clean, own_thread
from monitor.urls import canonical_url

__all__ = ["MAX_PAGE", "MAX_PARAGRAPHS", "MAX_TEXT", "MAX_TRAFILATURA_TEXT", "MAX_TREE",
           "Article", "Candidates", "Choice", "choose", "decode_page", "extract_article",
           "extract_html", "extract_text", "gather", "heuristic_text", "is_clutter_line",
           "looks_like_html", "marked_body", "parse_date", "parse_html", "read_metadata",
           "tidy_text", "trafilatura_text", "tree_size"]


@dataclass(frozen=True, slots=True)
class Article:
    """What an article page says about itself."""

    title: str
    text: str  # plain text; paragraphs separated by "\n\n"
    byline: str | None = None
    published: datetime | None = None  # UTC-aware
    updated: datetime | None = None  # UTC-aware
    language: str | None = None  # primary language subtag, e.g. "en"
    canonical_url: str | None = None  # absolute, tracking parameters removed
    image: str | None = None  # lead image, absolute
    path: str = ""  # which reading gave the text: trafilatura, marked-body, heuristic, ...


@own_thread  # libxml2's name dictionary lives as long as the parsing thread: see own_thread
def extract_article(page: str | bytes, url: str, content_type: str | None = None) -> Article:
    """Main text and metadata of an article page (`content_type`: the HTTP header it came
    with, whose charset is the page's). Never raises on bad HTML."""
    decoded = decode_page(page, content_type)
    tree = parse_html(decoded)
    if tree is None:
        return Article(title="", text="", canonical_url=canonical_url(url) or None,
                       path="none")
    meta = read_metadata(tree, url)
    choice = choose(gather(tree, meta.body, url, meta.title, meta.byline))
    text = choice.text
    return Article(title=meta.title, text=text[:MAX_TEXT], byline=meta.byline,
                   published=meta.published, updated=meta.updated,
                   language=meta.language or script_language(text),
                   canonical_url=meta.canonical_url, image=meta.image,
                   path=choice.path)


def extract_html(page: str) -> Document:
    """Title and main text of an HTML article page."""
    article = extract_article(page, "")
    return Document(title=article.title, text=article.text)


def extract_text(text: str) -> Document:
    """A plain-text article: the first non-empty line is its title, the rest its text."""
    lines = text.strip().splitlines()
    if not lines:
        return Document("", "")
    body = "\n".join(line.strip() for line in lines[1:]).strip()
    return Document(title=clean(lines[0], 500), text=body[:MAX_TEXT])


def looks_like_html(content: str) -> bool:
    head = content.lstrip()[:1000].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head or "<p>" in head
