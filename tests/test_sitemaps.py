"""Sitemaps into entries or child sitemaps: news fields, dates and age, order and bounds,
gzip, and the defences against bombs and entities."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.sources.feeds import MAX_ENTRIES, FeedError
from monitor.sources.sitemaps import MAX_CHILDREN, Sitemap, parse_sitemap
from tests.bounded import finishes, finishes_apart

DATA = Path(__file__).parent / "data" / "sources"
NOW = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
SITE = "https://www.levantobserver.example"
TRIPOLI = "https://www.courrier-tripoli.example"
ALEPPO = f"{SITE}/2024/05/14/aleppo-shelling-displaces-families"
BREAD = f"{SITE}/2024/05/13/damascus-bread-prices-double"
HAMA = f"{SITE}/2024/05/10/harvest-festival-returns-to-hama"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def parse(body: bytes | str, **options) -> Sitemap:
    if isinstance(body, str):
        body = body.encode("utf-8")
    options.setdefault("now", NOW)
    return parse_sitemap(body, source="Observer sitemap", url=f"{SITE}/news-sitemap.xml",
                         **options)


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def urlset(urls: str, ns: str = NS) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {ns}>{urls}</urlset>'


def test_news_sitemap_yields_titles_and_dates_newest_first():
    sitemap = parse(fixture("news-sitemap.xml"))
    assert sitemap.children == ()
    first, second = sitemap.entries
    assert first.source == "Observer sitemap"
    assert first.key == first.url == ALEPPO  # utm_source dropped
    assert first.title == "Shelling in Aleppo displaces hundreds of families"
    assert first.summary == "" and first.content == ""
    assert first.published == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)  # news date, not lastmod
    assert second.url == BREAD
    assert second.title == "Damascus bread prices double in a month & queues grow"
    assert second.published == datetime(2024, 5, 13, 18, 0, tzinfo=UTC)


def test_news_sitemap_drops_urls_older_than_two_days():
    urls = [e.url for e in parse(fixture("news-sitemap.xml")).entries]
    assert HAMA not in urls
    assert [e.url for e in parse(fixture("news-sitemap.xml"), max_age_days=5).entries] == [
        ALEPPO, BREAD, HAMA]
    assert [e.url for e in parse(fixture("news-sitemap.xml"), max_age_days=None).entries] == [
        ALEPPO, BREAD, HAMA]


def test_max_age_counts_back_from_the_current_time_by_default():
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = urlset(f"<url><loc>{SITE}/a</loc><lastmod>{recent}</lastmod></url>"
                  f"<url><loc>{SITE}/b</loc><lastmod>2001-01-01</lastmod></url>")
    sitemap = parse_sitemap(body.encode(), source="S", url=f"{SITE}/s.xml")
    assert [e.url for e in sitemap.entries] == [f"{SITE}/a"]


def test_image_locs_are_not_mistaken_for_the_article_loc():
    urls = [e.url for e in parse(fixture("news-sitemap.xml"), max_age_days=None).entries]
    assert not any("cdn." in u for u in urls)


def test_sitemap_index_lists_children_newest_first():
    sitemap = parse(fixture("sitemap-index.xml"))
    assert sitemap.entries == ()
    assert sitemap.children == (f"{SITE}/sitemaps/news-2024-05-14.xml",
                                f"{SITE}/sitemaps/news-2024-05-13.xml")


def test_sitemap_index_keeps_the_newest_fifty_then_undated_children_in_order():
    dated = "".join(f"<sitemap><loc>{SITE}/s-{d}.xml</loc><lastmod>2024-03-{d:02d}</lastmod>"
                    f"</sitemap>" for d in range(1, 32))
    undated = [f"<sitemap><loc>{SITE}/u-{i}.xml</loc></sitemap>" for i in range(40)]
    body = f'<sitemapindex {NS}>{undated[0]}{dated}{"".join(undated[1:])}</sitemapindex>'
    children = parse(body).children
    assert len(children) == MAX_CHILDREN
    assert children[:3] == (f"{SITE}/s-31.xml", f"{SITE}/s-30.xml", f"{SITE}/s-29.xml")
    assert children[30:33] == (f"{SITE}/s-1.xml", f"{SITE}/u-0.xml", f"{SITE}/u-1.xml")
    assert children[-1] == f"{SITE}/u-18.xml"


def test_plain_sitemap_has_empty_titles_and_dates_from_lastmod():
    entries = parse(fixture("sitemap.xml"), max_age_days=None).entries
    assert [e.title for e in entries] == ["", "", "", ""]
    assert [(e.url, e.published) for e in entries] == [
        (f"{TRIPOLI}/archives/2024/mai/le-port-de-tripoli-rouvre-ses-quais.html",
         datetime(2024, 5, 14, 10, 0, tzinfo=UTC)),
        (f"{TRIPOLI}/", datetime(2024, 5, 14, tzinfo=UTC)),
        (f"{TRIPOLI}/archives/2024/mars/budget-municipal-adopte.html",
         datetime(2024, 3, 1, 7, 15, tzinfo=UTC)),
        (f"{TRIPOLI}/mentions-legales.html", None),  # undated: after the dated ones
    ]


def test_plain_sitemap_keeps_undated_urls_when_filtering_by_age():
    urls = [e.url for e in parse(fixture("sitemap.xml")).entries]
    assert urls == [f"{TRIPOLI}/archives/2024/mai/le-port-de-tripoli-rouvre-ses-quais.html",
                    f"{TRIPOLI}/", f"{TRIPOLI}/mentions-legales.html"]


def test_a_large_undated_sitemap_keeps_the_last_listed_first():
    body = urlset("".join(f"<url><loc>{SITE}/p/{i}</loc></url>" for i in range(20_000)))
    entries = parse(body).entries
    assert len(entries) == MAX_ENTRIES
    assert entries[0].url == f"{SITE}/p/19999" and entries[-1].url == f"{SITE}/p/19500"


def test_a_large_dated_sitemap_keeps_the_newest():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    urls = [f"<url><loc>{SITE}/p/{i}</loc><lastmod>{(start + timedelta(minutes=i)).isoformat()}"
            f"</lastmod></url>" for i in range(3000)]
    urls[10], urls[2999] = urls[2999], urls[10]  # the newest listed early
    entries = parse(urlset("".join(urls)), max_age_days=None).entries
    assert len(entries) == MAX_ENTRIES
    assert entries[0].url == f"{SITE}/p/2999" and entries[1].url == f"{SITE}/p/2998"
    assert entries[-1].url == f"{SITE}/p/2500"


def test_duplicate_and_unusable_locs():
    body = urlset(f"<url><loc> {SITE}/a?utm_source=x </loc><lastmod>2024-05-14</lastmod></url>"
                  f"<url><loc>{SITE}/a</loc><lastmod>2024-05-13</lastmod></url>"
                  "<url><loc>javascript:alert(1)</loc></url><url><loc></loc></url><url></url>"
                  "<url><loc>/relative/page</loc></url>")
    assert [(e.url, e.published.day if e.published else None) for e in parse(body).entries] == [
        (f"{SITE}/a", 14), (f"{SITE}/relative/page", None)]


def test_sitemap_without_namespace_parses():
    body = ('<?xml version="1.0"?><urlset><url><loc>https://a.example/2024/x</loc>'
            '<lastmod>2024-05-14T08:00:00Z</lastmod></url></urlset>')
    assert [e.url for e in parse(body).entries] == ["https://a.example/2024/x"]


def test_news_fields_in_another_namespace_version_are_read():
    body = urlset('<url><loc>https://a.example/1</loc><n:news><n:publication_date>2024-05-14'
                  '</n:publication_date><n:title>Old news namespace</n:title></n:news></url>',
                  ns=f'{NS} xmlns:n="http://www.google.com/schemas/sitemap-news/0.84"')
    assert parse(body).entries[0].title == "Old news namespace"


def test_elements_of_other_namespaces_do_not_pass_for_sitemap_ones():
    body = urlset('<url><x:loc>https://a.example/wrong</x:loc><loc>https://a.example/right</loc>'
                  '</url>', ns=f'{NS} xmlns:x="urn:example:other"')
    assert [e.url for e in parse(body).entries] == ["https://a.example/right"]


def test_hostile_field_lengths_are_cut():
    body = urlset(f"<url><loc>{SITE}/a</loc><news:news><news:publication_date>2024-05-14"
                  f"</news:publication_date><news:title>{'A' * 100_000}</news:title></news:news>"
                  "</url>", ns=f'{NS} xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"')
    assert len(parse(body).entries[0].title) == 500


def test_gzipped_sitemap_reads_like_the_plain_one():
    assert fixture("news-sitemap.xml.gz")[:2] == b"\x1f\x8b"
    assert parse(fixture("news-sitemap.xml.gz")) == parse(fixture("news-sitemap.xml"))


def test_concatenated_gzip_members_are_all_read():
    xml = fixture("sitemap-index.xml")
    body = gzip.compress(xml[:100], mtime=0) + gzip.compress(xml[100:], mtime=0) + b"\0" * 8
    assert parse(body) == parse(xml)


def test_gzip_bomb_is_refused():
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = b"\0" * 2**20
    bomb = b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()
    assert len(bomb) < 2**20  # 200 MB of zeros in a few hundred KB
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match="gzip bomb"):
            parse(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 120 * 2**20  # the 50 MB cap, not the 200 MB the bomb holds


@pytest.mark.parametrize("body", [gzip.compress(b"<urlset/>" * 100, mtime=0)[:-30],
                                  b"\x1f\x8bnot gzip"])
def test_broken_gzip_is_refused(body):
    with pytest.raises(FeedError, match="gzip"):
        parse(body)


def test_entity_declarations_are_refused():
    with pytest.raises(FeedError, match="entities"):
        parse(fixture("sitemap-entities.xml"))


def test_external_entities_are_refused():
    body = ('<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<urlset {NS}><url><loc>https://a.example/&xxe;</loc></url></urlset>')
    with pytest.raises(FeedError, match="entities"):
        parse(body)


def test_entities_in_an_encoding_a_byte_check_cannot_read_are_refused():
    text = fixture("sitemap-entities.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    body = text.encode("utf-16")  # with a BOM: "<!ENTITY" is no longer ASCII bytes
    assert b"<!ENTITY" not in body
    with pytest.raises(FeedError, match="declares XML entities"):
        parse(body)


def test_a_plain_doctype_is_removed_and_an_external_dtd_never_loaded():
    body = ('<?xml version="1.0"?>\n<!DOCTYPE urlset SYSTEM "http://127.0.0.1:9/sitemap.dtd">\n'
            f'<urlset {NS}><url><loc>https://a.example/1</loc></url></urlset>')
    assert [e.url for e in parse(body).entries] == ["https://a.example/1"]


@pytest.mark.parametrize(("body", "problem"), [
    (b"", "not a sitemap"),
    (b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>",
     "not a sitemap"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "a `feed:` source"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "not a sitemap"),
    (b"\x00\xff\xfe\x01 garbage", "not a sitemap"),
    (f"<urlset {NS}><url><loc>https://a.example/1</loc></url>".encode(), "XML error"),
    (b"https://a.example/1\nnot a url\n", "line 2"),
])
def test_something_that_is_not_a_sitemap_is_refused(body, problem):
    with pytest.raises(FeedError, match=problem):
        parse(body)


def test_junk_after_the_sitemap_is_ignored():
    body = urlset(f"<url><loc>{SITE}/a</loc></url>") + "\n<br />\n<b>Notice</b>: Undefined index"
    assert [e.url for e in parse(body).entries] == [f"{SITE}/a"]


def test_leading_whitespace_and_a_bom_are_accepted():
    body = "\ufeff" + urlset(f"<url><loc>{SITE}/a</loc></url>")
    assert len(parse(body).entries) == 1
    assert len(parse("\n\n  " + urlset(f"<url><loc>{SITE}/a</loc></url>")).entries) == 1


def test_a_text_sitemap_lists_one_url_a_line():
    body = f"{SITE}/2024/05/14/a\r\n\r\n{SITE}/2024/05/14/b?utm_medium=x\n"
    assert [(e.url, e.title, e.published) for e in parse(body).entries] == [
        (f"{SITE}/2024/05/14/b", "", None), (f"{SITE}/2024/05/14/a", "", None)]


def test_many_unclosed_doctypes_are_refused_without_a_quadratic_search():
    """11 MB of "<!DOCTYPE [": a DOCTYPE searched for anywhere would take hours; looked for
    in the prolog only, the body is refused well within the ceiling (in a process of its
    own: a stalled regular expression match holds the GIL)."""
    body = b'<?xml version="1.0"?>' + b"<!DOCTYPE [" * 1_000_000
    with pytest.raises(FeedError, match="not a sitemap"):
        finishes_apart(parse, body)


def test_gzip_inflates_to_at_most_max_bytes_and_says_so():
    xml = urlset("".join(f"<url><loc>{SITE}/p/{i}</loc></url>" for i in range(40_000)))
    body = gzip.compress(xml.encode(), mtime=0)
    assert len(xml) > 1_000_000 and len(body) < 200_000
    with pytest.raises(FeedError, match="inflates to more than 1,000,000 bytes"):
        parse(body, max_bytes=1_000_000)
    assert len(parse(body, max_bytes=len(xml)).entries) == MAX_ENTRIES  # exactly the cap: read


def test_a_gzip_bomb_costs_memory_in_proportion_to_max_bytes():
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(packer.compress(b"\0" * 2**20) for _ in range(200)) + packer.flush()
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match="more than 5,242,880 bytes; refused as a possible "
                                            "gzip bomb"):
            parse(bomb, max_bytes=5 * 2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 15 * 2**20  # the 5 MB cap, not the 50 MB default nor the 200 MB bomb


def test_thousands_of_tiny_gzip_members_cost_linear_time():
    empty = gzip.compress(b"", mtime=0)
    body = (gzip.compress(urlset("").removesuffix("</urlset>").encode(), mtime=0)
            + empty * 1_000_000 + gzip.compress(f"<url><loc>{SITE}/a</loc></url></urlset>"
                                                .encode(), mtime=0))
    assert len(body) > 19_000_000  # when each member copied the rest: about 3 minutes
    assert [e.url for e in finishes(lambda: parse(body)).entries] == [f"{SITE}/a"]


def test_a_plain_body_over_max_bytes_is_refused():
    body = urlset(f"<url><loc>{SITE}/a</loc></url>")
    with pytest.raises(FeedError, match=f"larger than {len(body) - 1:,} bytes"):
        parse(body, max_bytes=len(body) - 1)


def test_a_loc_longer_than_its_bound_costs_that_url_and_is_reported():
    body = urlset(f"<url><loc>{SITE}/{'x' * 5000}</loc></url><url><loc>{SITE}/ok</loc></url>")
    sitemap = parse(body)
    assert [e.url for e in sitemap.entries] == [f"{SITE}/ok"]
    assert sitemap.problems == (f'item 1 ("{SITE}/{"x" * 24}…"): skipped: <loc> longer than '
                                "4,096 characters",)
    assert parse(urlset(f"<url><loc>{SITE}/ok</loc></url>")).problems == ()
