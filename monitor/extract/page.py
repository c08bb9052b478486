"""Page bytes to an lxml tree: decoded by BOM, <meta charset>, or detection, capped at
MAX_PAGE.

Detection is for pages that name no charset and are not UTF-8: an Arabic page in
windows-1256 or ISO-8859-6 saved without its HTTP header, a Cyrillic one in windows-1251.
Read as UTF-8 those become U+FFFD and lose every word, so charset-normalizer (which
trafilatura already uses) guesses from the first DETECT_BYTES; a page that is valid UTF-8
is never second-guessed, and a guess that is none decodes as UTF-8 with replacement.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html
from lxml import etree

MAX_PAGE = 5_000_000  # bytes (or characters) of a page we look at; the rest is ignored
DETECT_BYTES = 64_000  # bytes charset detection reads (it is linear, and the head suffices)
MIN_FOREIGN = 16  # non-ASCII bytes a page needs before its charset is guessed

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_HEADER_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)


def decode_page(page: str | bytes, content_type: str | None = None) -> str:
    """Text of a page, in the browsers' order: a BOM wins, then the charset of the HTTP
    Content-Type (`content_type`, when the page was fetched), then <meta charset> in the
    first 4 KB, then UTF-8 if the bytes are UTF-8, then the detected charset.

    Undecodable bytes become U+FFFD; an unknown or UTF-16 charset named in the header or
    the (ASCII) meta tag is ignored, as browsers do.
    """
    if isinstance(page, str):
        return page[:MAX_PAGE]
    data = bytes(page[:MAX_PAGE])
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    for found in (_HEADER_CHARSET.search((content_type or "").encode("latin-1", "replace")),
                  _META_CHARSET.search(data[:4096])):
        encoding = _named(found.group(1)) if found else None
        if encoding:
            return data.decode(encoding, errors="replace")
    return data.decode(_detected(data), errors="replace")


def _named(name: bytes) -> str | None:
    """The codec a charset label names, None for an unknown or UTF-16/32 label."""
    try:
        codec = codecs.lookup(name.decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if codec.startswith(("utf-16", "utf-32")):
        return None
    # the WHATWG rule: a page that says latin-1 is decoded as windows-1252
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _detected(data: bytes) -> str:
    """UTF-8 when the bytes are UTF-8 (a page cut at MAX_PAGE may end mid-character),
    else charset-normalizer's guess from the head of the page, else UTF-8."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 3:
            return "utf-8"
    if sum(1 for byte in data[:DETECT_BYTES] if byte >= 0x80) < MIN_FOREIGN:
        return "utf-8"  # a few stray bytes in an ASCII page: not a text in another charset
    from charset_normalizer import from_bytes

    best = from_bytes(data[:DETECT_BYTES]).best()
    if best is None:
        return "utf-8"
    try:
        return codecs.lookup(best.encoding).name
    except LookupError:
        return "utf-8"


def parse_html(page: str) -> Any:
    """An lxml tree of the page, or None when there is nothing to parse."""
    if not page.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(page.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None
