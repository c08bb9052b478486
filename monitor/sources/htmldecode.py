"""HTML bytes → text: the encoding a browser would pick, for pages we parse (listing pages).

Order: a BOM decides, then the HTTP Content-Type charset, then a <meta charset> or
http-equiv in the first 8 KB, else UTF-8. Labels map as the WHATWG Encoding Standard says
(ISO-8859-1 and ASCII are windows-1252, GB2312 is GB18030 …); a UTF-16/32 label in a <meta>
means UTF-8 (the meta tag itself was readable as ASCII); UTF-7, unknown and non-text codecs
("rot13") are ignored. Undecodable bytes become U+FFFD: decoding never fails.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_html"]

# BOMs, and the WHATWG Encoding Standard's replacements of legacy labels
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
_PRESCAN = 8192
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I)
_LEGACY = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
           "latin-1": "cp1252", "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
           "x-user-defined": "cp1252", "iso-8859-9": "cp1254", "latin5": "cp1254",
           "iso-8859-11": "cp874", "tis-620": "cp874", "gb2312": "gb18030", "gbk": "gb18030",
           "x-gbk": "gb18030", "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932",
           "x-sjis": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
           "big5": "big5hkscs", "x-mac-roman": "mac_roman"}
_META_ONLY = {"utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8", "utf-32": "utf-8"}
_REFUSED = frozenset({"utf-7", "utf7", "replacement"})


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """HTML bytes as text: a BOM decides, then the Content-Type charset, then a <meta
    charset> or http-equiv in the first 8 KB, else UTF-8. Undecodable bytes become U+FFFD;
    unknown or non-text encodings ("rot13", "utf-7") are ignored."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(body[:_PRESCAN])
    codec = ((header and _codec(header[1], meta=False))
             or (meta and _codec(meta[1].decode("ascii"), meta=True))
             or "utf-8")
    return body.decode(codec, errors="replace")


def _codec(label: str, *, meta: bool) -> str | None:
    name = label.strip().lower()
    name = _LEGACY.get(name, _META_ONLY.get(name, name) if meta else name)
    if name in _REFUSED:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return info.name
