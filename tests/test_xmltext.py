"""Decoding XML as a parser would, so that entity declarations are found in any encoding:
BOMs, UTF-16/32 and EBCDIC without one, declared and HTTP charsets, fallbacks; and the
feeds and sitemaps that rely on it refuse entities quickly and in little memory."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sources.feeds import FeedError, parse_feed
from monitor.sources.sitemaps import parse_sitemap
from monitor.sources.xmltext import (
    declares_entities,
    decode_xml,
    strip_doctype,
    utf8_content_type,
    utf8_document,
)
from tests.bounded import finishes, peak_rss_mb

CORPUS = Path(__file__).parent / "data" / "feedparser"
NO_BOM = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037", "cp500"]
SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def rss(items: str, encoding: str) -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
            f"<title>T</title><link>https://example.org/</link>{items}</channel></rss>")


def entity_feed(encoding: str) -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE rss [<!ENTITY a "'
            + "x" * 1000 + '">]><rss version="2.0"><channel><title>T</title><item><title>'
            + "&a;" * 100 + "</title></item></channel></rss>")


def corpus_cases() -> list[tuple[str, str | None, str]]:
    """(file, its Content-Type, what its Expect line says) for every copied corpus file."""
    cases = []
    for path in sorted(CORPUS.glob("*.xml")):
        text = decode_xml(path.read_bytes()).text
        header = re.search(r"Header:\s*Content-type:\s*(.+)", text)
        expect = re.search(r"Expect:\s*(.+)", text)
        assert expect, path
        cases.append((path.name, header[1].strip() if header else None, expect[1].strip()))
    return cases


@pytest.mark.parametrize(("name", "content_type", "expect"), corpus_cases())
def test_decoding_agrees_with_each_corpus_feeds_own_expectation(name, content_type, expect):
    decoded = decode_xml((CORPUS / name).read_bytes(), content_type)
    encoding = re.search(r"encoding == '([^']+)'", expect)
    title = re.search(r"title'?\]? == '([^']+)'", expect)
    assert encoding or title, expect
    if encoding:
        assert decoded.encoding == codecs.lookup(encoding[1]).name
    if title:
        expected = title[1].encode("ascii").decode("unicode_escape")
        assert f"<title>{expected}</title>" in decoded.text


@pytest.mark.parametrize("codec", NO_BOM)
def test_ordinary_feeds_without_a_bom_parse_in_utf16_utf32_and_ebcdic(codec):
    label = codec.removesuffix("-le").removesuffix("-be")
    body = rss("<item><title>Al\u00e9p news</title><link>https://e.org/1</link></item>",
               label).encode(codec)
    entries, _ = parse_feed(body, source="S", url="https://feeds.example.org/rss")
    assert [(e.title, e.url) for e in entries] == [("Al\u00e9p news", "https://e.org/1")]


@pytest.mark.parametrize(("codec", "title"), [
    ("latin-1", "Caf\u00e9 \u00e0 Tripoli"), ("windows-1251", "\u0425\u0430\u043b\u0435\u0431"),
    ("windows-1256", "\u062d\u0644\u0628"), ("koi8-r", "\u0425\u0430\u043b\u0435\u0431")])
def test_ordinary_feeds_in_declared_legacy_encodings_parse(codec, title):
    body = rss(f"<item><title>{title}</title><link>https://e.org/1</link></item>", codec)
    entries, _ = parse_feed(body.encode(codec), source="S", url="https://e.org/rss")
    assert entries[0].title == title


@pytest.mark.parametrize("codec", NO_BOM)
def test_entity_declarations_are_refused_in_any_encoding_without_a_bom(codec):
    label = codec.removesuffix("-le").removesuffix("-be")
    body = entity_feed(label).encode(codec)
    assert b"<!ENTITY" not in body  # what the old byte-level check searched for
    with pytest.raises(FeedError, match="entities"):
        parse_feed(body, source="S", url="https://e.org/rss")
    sitemap = entity_feed(label).replace("<rss", f"<urlset {SITEMAP_NS}").encode(codec)
    with pytest.raises(FeedError, match="entities"):
        parse_sitemap(sitemap, source="S", url="https://e.org/sitemap.xml")


def test_a_large_utf16_entity_feed_is_refused_in_little_memory(tmp_path):
    """9.4 MB of UTF-16 without a BOM whose one 100 KB entity, used 9,000 times, stays
    under expat's amplification limit: before, it reached the parser (1.6 GB peak)."""
    head = ('<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY a "'
            + "x" * 100_000 + '">]><rss version="2.0"><channel><title>T</title>')
    item = "<item><title>" + "&a;" * 9_000 + "</title><link>https://e.org/1</link></item>"
    padding = "<!-- " + "p" * (4_700_000 - len(head) - len(item)) + " -->"
    body = (head + item + padding + "</channel></rss>").encode("utf-16-le")
    assert len(body) > 9_400_000 and b"<!ENTITY" not in body
    path = tmp_path / "bomb.xml"
    path.write_bytes(body)
    code = ("import sys; from pathlib import Path;"
            "from monitor.sources.feeds import FeedError, parse_feed\n"
            "try:\n parse_feed(Path(sys.argv[1]).read_bytes(), source='S', url='https://e.org/')\n"
            "except FeedError as err:\n print(err)")
    peak, output = peak_rss_mb(code, str(path))
    assert "declares XML entities" in output
    assert peak < 300, f"peak RSS {peak:.0f} MB"


def test_the_http_charset_wins_for_xml_media_types_and_a_bom_wins_over_both():
    body = '<?xml version="1.0" encoding="utf-8"?><a>\u00e9</a>'.encode("latin-1")
    assert decode_xml(body, "application/rss+xml; charset=iso-8859-1").text.endswith(
        "<a>\u00e9</a>")
    as_text_xml = decode_xml(body, "text/xml")  # us-ascii, then the declared utf-8 fail
    assert as_text_xml.encoding == "cp1252" and as_text_xml.text.endswith("<a>\u00e9</a>")
    bom = codecs.BOM_UTF16_LE + '<?xml version="1.0"?><a>\u062d</a>'.encode("utf-16-le")
    assert decode_xml(bom, "text/xml; charset=iso-8859-1").text.endswith("<a>\u062d</a>")


@pytest.mark.parametrize("declared", ["no-such-codec", "rot13", "zlib", "utf-16", "cp500"])
def test_unknown_non_text_and_impossible_declared_encodings_fall_back(declared):
    body = f'<?xml version="1.0" encoding="{declared}"?><a>\u00e9</a>'.encode()
    decoded = decode_xml(body)
    assert decoded.encoding == "utf-8" and decoded.text.endswith("<a>\u00e9</a>")


def test_undecodable_bytes_fall_back_as_feedparser_does():
    body = b'<?xml version="1.0" encoding="utf-8"?><a>Caf\xe9</a>'
    assert decode_xml(body).encoding == "cp1252"  # utf-8 fails; windows-1252 decodes it
    assert decode_xml(b"<a>\x81\x8d\x8f</a>").encoding == "iso8859-2"  # decodes any bytes


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, "text/xml", "application/xml",
                                                 "application/rss+xml; charset=zlib",
                                                 "text/html; charset=utf-16", "x; charset="]))
def test_decode_xml_never_raises(body, content_type):
    decoded = decode_xml(body, content_type)
    assert codecs.lookup(decoded.encoding)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp500",
                        "cp037", "windows-1251", "iso-8859-1", "koi8-r", "gb18030"]),
       st.text(max_size=50))
def test_a_declared_document_decodes_to_what_was_written(codec, text):
    label = codec.removesuffix("-le").removesuffix("-be")
    document = f'<?xml version="1.0" encoding="{label}"?><a>{text}</a>'
    try:
        body = document.encode(codec)
    except UnicodeEncodeError:
        return  # not writable in that encoding
    assert decode_xml(body).text == document


def test_declares_entities_reads_text_in_any_case():
    assert declares_entities('<!DOCTYPE a [<!entity x "y">]><a/>')
    assert not declares_entities("<a>&lt;!ENTITY is only text here</a>")


def test_a_doctype_is_removed_from_the_prolog_only():
    prolog = '<?xml version="1.0"?>\n<!-- c -->\n<?pi x?>\n'
    text = prolog + '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/x.dtd">\n<rss/>'
    assert strip_doctype(text) == prolog + "\n<rss/>"
    inside = '<rss><description><![CDATA[<!DOCTYPE html>]]></description></rss>'
    assert strip_doctype(inside) == inside


def test_many_doctype_openers_are_looked_at_in_bounded_time():
    text = '<?xml version="1.0"?>' + "<!DOCTYPE [" * 1_000_000
    assert finishes(lambda: strip_doctype(text)) == text


def test_the_utf8_document_starts_with_a_line_that_is_only_its_declaration():
    for text in ['<?xml version="1.0" encoding="utf-16"?><rss/>', "  \n<rss/>",
                 '\n <?xml version="1.0"?>\n<rss>\n<x/></rss>']:
        first, _, rest = utf8_document(text).decode().partition("\n")
        assert first == '<?xml version="1.0" encoding="utf-8"?>'
        assert rest.strip().startswith("<rss")
    kept = utf8_document('<?xml version="1.0" encoding="cp1251"?>\n<rss>\n<x/></rss>')
    assert kept.decode().splitlines()[2] == "<x/></rss>"  # same line as before


def test_a_cubic_prolog_for_feedparser_is_confined_to_its_own_line():
    """feedparser reads the encoding with a pattern over the first line that is cubic on
    repeated `encoding="x"` (these 52 KB: minutes); our first line is the declaration."""
    body = b'<?xml version="1.0"?><rss ' + b'encoding="x" ' * 4000 + b"/>"
    entries, warnings = finishes(lambda: parse_feed(body, source="S", url="https://e.org/"))
    assert entries == [] and warnings[0].endswith("duplicate attribute")


def test_the_content_type_handed_on_says_utf8():
    assert utf8_content_type("text/xml; charset=iso-8859-1") == "text/xml; charset=utf-8"
    assert utf8_content_type(None) is None and utf8_content_type(";x") is None
