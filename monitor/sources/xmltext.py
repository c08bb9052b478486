"""XML bytes → text, decoded the way an XML parser would, so that the defences against entity
declarations read characters, whatever the encoding; then → UTF-8 bytes a parser can trust.

A check on raw bytes misses "<!ENTITY" in UTF-16 or UTF-32 without a BOM and in EBCDIC (a
9.4 MB UTF-16 feed kept under expat's amplification limit peaked at 1.6 GB). So:

1. The encoding is found as XML 1.0 Appendix F says: a BOM (UTF-32, UTF-8, UTF-16), else the
   byte pattern of "<?xm" / "<" in UTF-32 BE/LE, UTF-16 BE/LE or EBCDIC (`4C 6F A7 94`), else
   ASCII-compatible; then the XML declaration's `encoding=` and the HTTP charset choose
   among candidates in feedparser's order (RFC 3023: for application/*xml and text/* the HTTP
   charset comes first), each tried strictly, and then feedparser's own fallbacks: UTF-8,
   windows-1252, ISO-8859-2 (which decodes any bytes). Unknown or non-text encodings
   ("rot13", "zlib") are skipped, and so is a declared UTF-16/32 or EBCDIC that the bytes
   plainly are not. A UTF-16/32 document found by its BOM or pattern is decoded with U+FFFD
   for broken sequences. One difference from feedparser: with no Content-Type at all (a
   local file) the default is XML's UTF-8, not ISO-8859-1.
2. The text is searched for "<!ENTITY" (`declares_entities`), and a DOCTYPE in the prolog is
   removed (`strip_doctype`).
3. The text goes out as UTF-8 whose first line is just `<?xml version="1.0"
   encoding="utf-8"?>` (`utf8_document`). That line also matters for speed: feedparser reads
   the encoding with a regular expression over the document's first line that is cubic on
   a prolog of repeated `encoding="x"` (26 KB: 21 s).

The work is linear in the body, which the caller has already cut to its byte bound: every
pattern is anchored or has a bounded repeat, and each candidate decoding is one pass.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["XmlText", "decode_xml", "declares_entities", "strip_doctype", "utf8_document",
           "utf8_content_type"]

_BOMS = ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"))
_PATTERNS = ((b"\x00\x00\x00\x3c", "utf-32-be"), (b"\x3c\x00\x00\x00", "utf-32-le"),
             (b"\x00\x3c\x00\x3f", "utf-16-be"), (b"\x3c\x00\x3f\x00", "utf-16-le"),
             (b"\x4c\x6f\xa7\x94", "cp037"))
_EBCDIC_PROBE = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC
_ASCII_PROBE = "<?xml version='1.0' encoding=\"x\"?>"
_FALLBACKS = ("utf-8", "windows-1252", "iso-8859-2")  # feedparser's, in its order
_HEAD = 1024  # characters in which the XML declaration is looked for
_DECLARATION = re.compile(r"\s*<\?xml(?=[\s?])[^<>]{0,500}\?>")
_ENCODING = re.compile(r"""\bencoding\s*=\s*["']\s*([A-Za-z0-9._:\-]{1,40})\s*["']""")
_ENTITY = re.compile(r"<!ENTITY", re.I)
_PROLOG = 16_384  # characters searched for a DOCTYPE
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.I | re.S)
_APPLICATION_XML = frozenset({"application/xml", "application/xml-dtd",
                              "application/xml-external-parsed-entity"})
UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


@dataclass(frozen=True, slots=True)
class XmlText:
    text: str  # the whole document, decoded, without its BOM
    encoding: str  # the Python codec it was decoded with


def decode_xml(body: bytes, content_type: str | None = None) -> XmlText:
    """The document as text (see the module's docstring for the rules). Never raises."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            if codec == "utf-8":
                return _first_that_decodes(body[len(bom):], ["utf-8"])
            return XmlText(body[len(bom):].decode(codec, errors="replace"), codec)
    for pattern, codec in _PATTERNS:
        if body.startswith(pattern):
            if pattern == _EBCDIC_PROBE:  # which EBCDIC, the declaration says
                codec = _ebcdic(_declared(body[:_HEAD].decode(codec))) or codec
            return XmlText(body.decode(codec, errors="replace"), codec)
    declared = _declared(body[:_HEAD].decode("latin-1"))
    return _first_that_decodes(body, [_rfc3023(content_type, declared), declared or ""])


def declares_entities(text: str) -> bool:
    """Whether the document declares an entity anywhere (internal subset or not)."""
    return _ENTITY.search(text) is not None


def strip_doctype(text: str) -> str:
    """The document without the DOCTYPE of its prolog, looked for only in the prolog (after
    the declaration, comments and processing instructions) and only in its first
    _PROLOG characters, so that "<!DOCTYPE [" repeated costs linear time."""
    position = 0
    while position < _PROLOG:
        item = _PROLOG_ITEM.match(text, position, _PROLOG)
        if item is None or item.end() == position:
            break
        position = item.end()
    doctype = _DOCTYPE.match(text, position, position + _PROLOG)
    if doctype is None:
        return text
    return text[:position] + text[doctype.end():]


def utf8_document(text: str) -> bytes:
    """The document as UTF-8 whose first line is only a UTF-8 XML declaration, in place of
    the original one (and any blank space before it). Line numbers stay as they were when
    the original declaration ended its line; otherwise they move down by one."""
    declaration = _DECLARATION.match(text, 0, _HEAD)
    rest = text[declaration.end():] if declaration else text
    head = UTF8_DECLARATION if declaration is None or not rest.startswith(("\n", "\r")) else (
        UTF8_DECLARATION.rstrip("\n"))
    return head.encode() + rest.encode("utf-8", errors="replace")


def utf8_content_type(content_type: str | None) -> str | None:
    """The Content-Type with its charset replaced by UTF-8, for a parser that is handed
    `utf8_document` bytes and would otherwise decode them by the server's charset."""
    if content_type is None:
        return None
    mime = content_type.split(";", 1)[0].strip()
    return f"{mime}; charset=utf-8" if mime else None


def _first_that_decodes(body: bytes, candidates: list[str]) -> XmlText:
    tried: set[str] = set()
    for label in (*candidates, *_FALLBACKS):
        codec = _codec(label) if label else None
        if codec is None or codec in tried or not _ascii_compatible(codec):
            continue
        tried.add(codec)
        try:
            return XmlText(body.decode(codec), codec)
        except UnicodeDecodeError:
            continue
    return XmlText(body.decode("iso-8859-2", errors="replace"), "iso-8859-2")  # unreachable


def _rfc3023(content_type: str | None, declared: str | None) -> str:
    """The encoding RFC 3023 (and feedparser) give first place, from the HTTP Content-Type."""
    mime, _, params = (content_type or "").partition(";")
    mime = mime.strip().lower()
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    if mime in _APPLICATION_XML or (mime.startswith("application/") and mime.endswith("+xml")):
        return charset or declared or "utf-8"
    if mime.startswith("text/"):
        return charset or "us-ascii"
    return declared or "utf-8"


def _declared(head: str) -> str | None:
    declaration = _DECLARATION.match(head)
    if declaration is None:
        return None
    encoding = _ENCODING.search(declaration[0])
    return encoding[1] if encoding else None


@lru_cache(maxsize=256)
def _codec(label: str) -> str | None:
    """The Python codec for an encoding label, or None for unknown and non-text ones."""
    name = label.strip().lower()
    if name == "gb2312":  # feedparser's rule: its superset decodes more real feeds
        name = "gb18030"
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


@lru_cache(maxsize=256)
def _ascii_compatible(codec: str) -> bool:
    """Whether an XML declaration in this codec reads as ASCII: the only codecs a document
    without a BOM or a UTF-16/32/EBCDIC pattern can be in."""
    return _encodes_probe(codec, _ASCII_PROBE.encode("ascii"))


def _ebcdic(label: str | None) -> str | None:
    """The declared codec when it is an EBCDIC one (it writes "<?xm" as 4C 6F A7 94)."""
    codec = _codec(label) if label else None
    return codec if codec and _encodes_probe(codec, _EBCDIC_PROBE) else None


def _encodes_probe(codec: str, expected: bytes) -> bool:
    try:
        return _ASCII_PROBE.encode(codec)[:len(expected)] == expected
    except (UnicodeError, LookupError):
        return False
