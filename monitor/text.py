"""Markup to plain text, and the bounds we put on untrusted text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# C0/C1 controls and the bidi overrides that can make a title display as something else
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = frozenset({"script", "style", "noscript", "iframe", "object", "template", "head"})
_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "tr", "td", "th", "table", "section", "article", "header",
                     "footer", "figure", "figcaption", "hr", "pre", "dd", "dt", "aside"})


def clean(text: str, limit: int) -> str:
    """One line of plain text: no control or bidi-override characters, single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


class _Text(HTMLParser):
    """Collects visible text; block elements become word breaks, inline ones do not.

    The standard library's streaming parser: a feed summary needs no tree, and building
    one (BeautifulSoup) cost seven times as much per item here.
    """

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


def html_to_text(markup: str, limit: int) -> str:
    """Visible text of an HTML fragment; scripts and styles dropped, blocks kept apart."""
    if "<" not in markup:
        return clean(html.unescape(markup), limit)
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return clean("".join(parser.parts), limit)
