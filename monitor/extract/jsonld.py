"""A JSON-LD articleBody as plain text, and whether it is the article or only a teaser.

Publishers fill articleBody with anything: the whole text, a 500-character teaser ending in
"…" or a literal `&hellip;`, entity-escaped HTML (`&lt;p&gt;`), or raw HTML with `</body>`.
So the value is decoded (entities, twice at most: `&amp;lt;` is common) and, if it holds
markup, parsed as an HTML fragment and read as text, block by block. Whether the result is
the article is decided by evidence elsewhere (monitor.extract.choice); `looks_like_teaser`
gives the textual part of that evidence.
"""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "tr", "section", "figure", "figcaption", "ul", "ol", "pre", "table")
_DROP = ("script", "style", "noscript", "template", "iframe", "svg", "object", "embed")
_TEASER_END = re.compile(r"(…|\.\.\.|&hellip;|\[…\]|\[\.\.\.\]|read more|continue reading|"
                         r"lire la suite|weiterlesen|leer más|اقرأ المزيد)\W*$", re.IGNORECASE)


def decode_body(value: str) -> str:
    """articleBody as plain text: entities decoded, tags removed, paragraphs kept (one per
    line, "\\n" between them, as publishers' plain-text bodies come)."""
    text = value
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    if not _TAG.search(text):
        return _lines(text)
    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return _lines(_TAG.sub(" ", text))
    for element in list(root.iter(*_DROP)):
        if element.getparent() is not None:
            element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):  # block boundaries become line breaks
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    return _lines(_TAG.sub(" ", root.text_content()))


def _lines(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def looks_like_teaser(text: str) -> bool:
    """A body that ends as a cut-off teaser does: an ellipsis or a "read more" link."""
    return bool(_TEASER_END.search(text.strip()[-60:]))
