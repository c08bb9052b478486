"""Parsing feeds into entries: formats, text, dates, links, and the entity defences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.sources.feeds import FeedError, parse_feed, parse_feed_full
from monitor.sources.items import MAX_PROBLEMS
from monitor.text import MAX_MARKUP
from tests.bounded import finishes_apart
from tests.conftest import SAMPLES


def parse(body: bytes | str, content_type: str | None = None):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return parse_feed(body, source="S", url="https://feeds.example.org/rss",
                      content_type=content_type)


def rss(items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{head}<rss version="2.0"><channel><title>T</title>' \
           f'<link>https://example.org/</link>{items}</channel></rss>'


def test_sample_feed_yields_the_seed_article_with_full_text():
    entries, warnings = parse((SAMPLES / "aleppo.xml").read_bytes())
    assert warnings == []
    assert len(entries) == 4
    first = entries[0]
    assert first.title == "Syrian army repel armed opposition’s advance in Aleppo"
    assert first.url == ("https://news.example.org/2016/08/15/"
                         "syrian-army-repel-armed-opposition-advance-in-aleppo")
    assert "ISIS militant claimed responsibility" in first.content
    assert "<p>" not in first.content
    assert first.published == datetime(2016, 8, 15, 14, 5, tzinfo=UTC)


def test_atom_sample_parses_and_drops_tracking_parameters():
    entries, _ = parse((SAMPLES / "world.atom").read_bytes())
    assert [e.url for e in entries][0] == "https://wire.example.net/2016/08/15/harvest-festival"
    assert entries[1].summary == ("The twelve-year-old sealed the title with a quiet endgame "
                                  "win on Sunday.")


def test_rss_091_and_rdf_feeds_parse():
    rss091 = ('<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS '
              '0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91">'
              '<channel><title>T</title><link>http://a.example/</link><item><title>Old one'
              '</title><link>http://a.example/1</link></item></channel></rss>')
    assert parse(rss091)[0][0].title == "Old one"
    rdf = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
           ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://a.example/"><title>T'
           '</title><link>http://a.example/</link></channel><item rdf:about="http://a.example/2">'
           '<title>RDF item</title><link>http://a.example/2</link></item></rdf:RDF>')
    assert parse(rdf)[0][0].title == "RDF item"


def test_entry_without_date_has_none_and_without_guid_uses_its_resolved_link():
    entries, _ = parse(rss("<item><title>A</title><link>/a?utm_source=x</link></item>"))
    assert entries[0].published is None
    assert entries[0].url == "https://feeds.example.org/a"  # relative to the feed's URL
    assert entries[0].key == "https://feeds.example.org/a"


def test_entry_without_link_or_guid_gets_a_content_key():
    entries, _ = parse(rss("<item><title>A</title><description>b</description></item>"))
    assert entries[0].key.startswith("sha1:") and entries[0].url == ""


def test_javascript_links_are_dropped():
    entries, _ = parse(rss("<item><title>A</title><link>javascript:alert(1)</link></item>"))
    assert entries[0].url == ""


def test_billion_laughs_is_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'
                      .replace("&lol0;", "&lol;") for i in range(1, 10))
            + ']>' + rss("<item><title>&lol9;</title></item>", head=""))
    with pytest.raises(FeedError, match="entities"):
        parse(bomb)


def test_quadratic_blowup_is_refused_without_expanding():
    big = "x" * 100_000
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]>'
            + rss("<item><title>" + "&a;" * 2000 + "</title></item>", head=""))
    with pytest.raises(FeedError, match="entities"):
        parse(feed)


def test_invalid_utf8_does_not_lose_the_feed():
    body = rss("<item><title>Caf\xe9 bad byte</title><link>https://e.org/1</link></item>"
               "<item><title>Second</title><link>https://e.org/2</link></item>")
    raw = body.encode("utf-8").replace("Caf\xe9".encode(), b"Caf\xff\xfe")
    entries, _ = parse(raw)
    assert [e.url for e in entries] == ["https://e.org/1", "https://e.org/2"]


def test_utf16_feed_parses():
    body = rss("<item><title>حلب</title><link>https://e.org/1</link></item>",
               head='<?xml version="1.0" encoding="utf-16"?>')
    entries, _ = parse(body.encode("utf-16"))
    assert entries[0].title == "حلب"


def test_html_is_not_a_feed():
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse("<html><body><p>Just a page</p></body></html>", content_type="text/html")


def test_hostile_markup_in_titles_stays_text_and_scripts_leave_summaries():
    entries, _ = parse(rss(
        "<item><title>&lt;!channel&gt; &lt;script&gt;x()&lt;/script&gt; hi</title>"
        "<description>&lt;script&gt;steal()&lt;/script&gt;&lt;p&gt;Body&lt;/p&gt;</description>"
        "<link>https://e.org/1</link></item>"))
    e = entries[0]
    assert "steal" not in e.summary and e.summary == "Body"
    assert "\x1b" not in e.title


def test_control_characters_are_removed_from_titles():
    entries, _ = parse(rss("<item><title>A&#x1b;[31mred&#x202e;</title>"
                           "<link>https://e.org/1</link></item>"))
    assert entries[0].title == "A [31mred"


def test_many_doctype_openers_are_refused_without_a_quadratic_search():
    """A DOCTYPE looked for anywhere in these 2 MB would take many minutes (each opener
    scans the rest, in one regular expression call); looked for only in the prolog, the
    feed is refused well within the ceiling, which only catches that stall (in a process
    of its own: a stalled match holds the GIL)."""
    body = b'<?xml version="1.0"?>' + b"<!DOCTYPE [" * 200_000 + b"<rss/>"
    with pytest.raises(FeedError):
        finishes_apart(parse, body)


def test_junk_that_broke_the_old_parser_costs_nothing_and_the_feed_keeps_every_item():
    parsed = parse_feed_full(rss(
        "<item><title>First</title><link>https://e.org/1</link></item>"
        "<item><title>Junk</title><description>&lt;![ 1 ]]&gt; kept text</description>"
        "<link>https://e.org/2</link></item>"
        "<item><title>Stall</title><description>" + "&lt;a " * 14_000 + "</description>"
        "<link>https://e.org/3</link></item>"
        "<item><title>Last</title><link>https://e.org/4</link></item>").encode(),
        source="S", url="https://feeds.example.org/rss")
    assert [e.title for e in parsed.entries] == ["First", "Junk", "Stall", "Last"]
    assert parsed.entries[1].summary == "kept text"
    assert parsed.problems == []


def test_markup_past_the_bound_costs_that_text_only_and_is_reported():
    filler = "<i></i>" * (MAX_MARKUP // 7 + 1000)
    parsed = parse_feed_full(rss(
        f"<item><title>Huge markup</title><description><![CDATA[{filler}<p>late</p>]]>"
        "</description><link>https://e.org/1</link></item>"
        "<item><title>Fine</title><description>ok</description>"
        "<link>https://e.org/2</link></item>").encode(),
        source="S", url="https://feeds.example.org/rss")
    assert [(e.title, e.url, e.summary) for e in parsed.entries] == [
        ("Huge markup", "https://e.org/1", ""), ("Fine", "https://e.org/2", "ok")]
    assert parsed.problems == [
        'item 1 ("Huge markup"): summary cut: markup longer than 1,000,000 characters']
    assert parsed.warnings == []


def test_item_problems_are_one_safe_line_each_and_bounded():
    filler = "<i></i>" * (MAX_MARKUP // 7 + 1000)
    items = "".join(f"<item><title>Bad\u202e title {i}\nwith a newline {'x' * 200}</title>"
                    f"<description><![CDATA[{filler}]]></description>"
                    f"<link>https://e.org/{i}</link></item>" for i in range(MAX_PROBLEMS + 5))
    parsed = parse_feed_full(rss(items).encode(), source="S", url="https://e.org/rss")
    assert len(parsed.entries) == MAX_PROBLEMS + 5
    assert len(parsed.problems) == MAX_PROBLEMS + 1
    assert parsed.problems[0] == (f'item 1 ("Bad title 0 with a newline {"x" * 32}…"): '
                                  "summary cut: markup longer than 1,000,000 characters")
    assert parsed.problems[-1] == "5 more items had problems"
    assert all("\n" not in p and "\u202e" not in p and len(p) <= 300 for p in parsed.problems)


def _many(kind: str, n: int) -> bytes:
    if kind == "atom":
        entries = "".join(f"<entry><id>urn:{i}</id><title>Story {i}</title>"
                          f"<link href='https://e.org/{i}'/></entry>" for i in range(n))
        return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T'
                f"</title><author><name>A</name></author>{entries}</feed>").encode()
    items = "".join(f'<item rdf:about="https://e.org/{i}"><title>Story {i}</title>'
                    f"<link>https://e.org/{i}</link><description><![CDATA[<p>x</item>"
                    f"</p>]]></description></item>" if kind == "rdf" and i == 3 else
                    f'<item{" rdf:about=" + repr(f"https://e.org/{i}") if kind == "rdf" else ""}>'
                    f"<title>Story {i}</title><link>https://e.org/{i}</link></item>"
                    for i in range(n))
    if kind == "rdf":
        return ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
                'syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>T'
                f"</title></channel>{items}</rdf:RDF>").encode()
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><image><url>'
            f"https://e.org/i.png</url></image>{items}</channel></rss>").encode()


@pytest.mark.parametrize("kind", ["rss", "atom", "rdf"])
@pytest.mark.parametrize("n", [3, 500, 501, 1_500])
def test_a_long_feed_keeps_the_same_first_items_as_a_full_parse(kind, n):
    """Cutting a document after its 500th item keeps what parsing it all and keeping the
    first 500 kept, for RSS, Atom and RDF (whose items follow the channel)."""
    import io

    import feedparser

    from monitor.sources.feeds import MAX_ENTRIES

    body = _many(kind, n)
    entries, warnings = parse_feed(body, source="s", url="https://e.org/")
    full = feedparser.parse(io.BytesIO(body)).entries[:MAX_ENTRIES]
    assert [e.title for e in entries] == [e.title for e in full]
    assert len(entries) == min(n, MAX_ENTRIES) and warnings == []


def test_a_feed_of_seventy_thousand_items_is_cut_before_parsing():
    from monitor.sources.feeds import MAX_ENTRIES, first_items

    body = _many("rss", 70_000).decode()
    cut = first_items(body, MAX_ENTRIES)
    assert cut.count("<item>") == MAX_ENTRIES and cut.endswith("</item></channel></rss>")
    assert len(cut) < len(body) / 100
