"""An article's title and main text from an HTML page or a plain-text file.

This first version reads a page's <title>/og:title and the text of its <article> (or, when it
has none, of its paragraphs). A later version chooses a full extractor by measurement; callers
only see `extract_html` and `extract_text`.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from monitor.records import Document
from monitor.text import clean, html_to_text

MAX_TEXT = 200_000


class _Page(HTMLParser):
    """One pass over a page collecting the title candidates and paragraph text."""

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
            text = clean("".join(self._buffer), MAX_TEXT)
            if tag == "title" and not self.title:
                self.title = text
            elif tag == "h1" and not self.h1:
                self.h1 = text
            elif tag == "p" and text and not self._hidden:
                (self.article if self._in_article else self.paragraphs).append(text)

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._buffer.append(data)


def extract_html(page: str) -> Document:
    """Title and main text of an HTML article page."""
    parser = _Page()
    parser.feed(page)
    parser.close()
    title = clean(html.unescape(parser.og_title), 500) or parser.h1 or parser.title
    body = parser.article or parser.paragraphs
    text = "\n\n".join(body) if body else html_to_text(page, MAX_TEXT)
    return Document(title=title, text=text[:MAX_TEXT])


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
