"""Page bytes to an lxml tree: decoded by BOM or <meta charset> (else UTF-8 with
replacement), capped at MAX_PAGE."""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html
from lxml import etree

MAX_PAGE = 5_000_000  # bytes (or characters) of a page we look at; the rest is ignored

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)


def decode_page(page: str | bytes) -> str:
    """Text of a page: a BOM wins, then <meta charset> in the first 4 KB, then UTF-8.

    Undecodable bytes become U+FFFD; an unknown or UTF-16 charset named in the (ASCII) meta
    tag is ignored, as browsers do.
    """
    if isinstance(page, str):
        return page[:MAX_PAGE]
    data = bytes(page[:MAX_PAGE])
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    found = _META_CHARSET.search(data[:4096])
    encoding = "utf-8"
    if found:
        try:
            name = codecs.lookup(found.group(1).decode("ascii")).name
        except (LookupError, UnicodeDecodeError):
            name = "utf-8"
        if not name.startswith(("utf-16", "utf-32")):
            # the WHATWG rule: a page that says latin-1 is decoded as windows-1252
            encoding = "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
    return data.decode(encoding, errors="replace")


def parse_html(page: str) -> Any:
    """An lxml tree of the page, or None when there is nothing to parse."""
    if not page.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(page.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None
