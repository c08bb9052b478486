"""JSON Feed 1.0/1.1 into entries: fields, links, dates, bounds, bad items and sniffing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.sources.feeds import MAX_ENTRIES, MAX_TITLE, FeedError
from monitor.sources.jsonfeed import (
    iso_datetime,
    looks_like_json_feed,
    parse_json_feed,
    parse_json_feed_full,
)
from monitor.text import MAX_MARKUP

DATA = Path(__file__).parent / "data" / "sources"
FEED_URL = "https://www.levantobserver.example/feeds/latest.json"
V11 = "https://jsonfeed.org/version/1.1"


def parse(body: bytes | dict):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    return parse_json_feed(body, source="Observer JSON", url=FEED_URL)


def feed(*items: object, **fields: object) -> dict:
    return {"version": V11, "title": "T", **fields, "items": list(items)}


def test_json_feed_1_1_items_become_entries_in_feed_order():
    entries, warnings = parse((DATA / "feed-1.1.json").read_bytes())
    assert warnings == []
    assert [e.key for e in entries] == ["https://www.levantobserver.example/?p=90211",
                                        "90198", "90187"]  # a numeric id becomes a string
    first = entries[0]
    assert first.source == "Observer JSON"
    assert first.title == "Shelling in Aleppo displaces hundreds of families"
    assert first.summary == "Residents of eastern districts fled overnight as shelling intensified."
    assert first.url == ("https://www.levantobserver.example/2024/05/14/"
                         "aleppo-shelling-displaces-families")  # utm_* dropped


def test_content_html_becomes_text_without_its_script():
    first = parse((DATA / "feed-1.1.json").read_bytes())[0][0]
    assert first.content.startswith("Hundreds of families fled the eastern districts of Aleppo")
    assert "The ICRC said it was ready to deliver aid." in first.content
    assert "track" not in first.content and "<" not in first.content


def test_content_text_is_used_when_there_is_no_html():
    second = parse((DATA / "feed-1.1.json").read_bytes())[0][1]
    assert second.content == ("The price of subsidised bread in Damascus has doubled since "
                              "April, residents and traders said.")
    assert second.summary == ""


def test_external_url_and_relative_urls_resolve_against_the_home_page():
    entries, _ = parse((DATA / "feed-1.1.json").read_bytes())
    assert entries[1].url == ("https://www.levantobserver.example/2024/05/13/"
                              "damascus-bread-prices-double")  # only an external_url
    assert entries[2].url == ("https://www.levantobserver.example/2024/05/13/"
                              "icrc-statement-on-idlib-access")  # "2024/05/13/…"


def test_relative_urls_resolve_against_the_feed_url_without_a_home_page():
    entries, _ = parse(feed({"id": "1", "title": "A", "url": "../2024/a-story"}))
    assert entries[0].url == "https://www.levantobserver.example/2024/a-story"


def test_dates_become_utc_and_a_bad_date_is_none():
    entries, _ = parse((DATA / "feed-1.1.json").read_bytes())
    assert entries[0].published == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)  # +03:00
    assert entries[1].published == datetime(2024, 5, 13, 18, 0, tzinfo=UTC)
    assert entries[2].published is None  # "yesterday at noon"


def test_date_modified_stands_in_for_a_missing_date_published():
    entries, _ = parse(feed({"id": "1", "title": "A", "date_published": 20240514,
                             "date_modified": "2024-05-14T10:00:00-04:00"}))
    assert entries[0].published == datetime(2024, 5, 14, 14, 0, tzinfo=UTC)


def test_json_feed_1_0_parses():
    entries, warnings = parse({
        "version": "https://jsonfeed.org/version/1", "title": "Old", "items": [
            {"id": "x1", "url": "https://a.example/1", "content_html": "<p>Hello <b>world</b></p>",
             "date_published": "2017-05-17T08:02:12-07:00", "author": {"name": "A"}}]})
    assert warnings == []
    assert entries[0].content == "Hello world" and entries[0].title == ""
    assert entries[0].published == datetime(2017, 5, 17, 15, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize("body", [
    b"", b"<?xml version='1.0'?><rss version='2.0'></rss>", b"\xff\xfe\xfa garbage",
    b"[1, 2, 3]", b'"items"', b"null",
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "no items"}',
    b'{"version": "https://jsonfeed.org/version/1.1", "items": {"id": "1"}}',
])
def test_a_body_that_is_not_a_json_feed_is_refused(body):
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse(body)


def test_deeply_nested_json_is_refused():
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse(b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")


def test_bad_items_are_skipped_with_a_warning():
    entries, warnings = parse(feed(
        "just a string", 7, None, {},
        {"id": "ok", "title": "A real item"},
        {"id": "js", "title": ["not", "a", "string"], "url": "javascript:alert(1)"},
    ))
    assert [e.key for e in entries] == ["ok"]
    assert warnings == ["item 1 skipped: a JSON string, not an object",
                        "item 2 skipped: a JSON number, not an object",
                        "item 3 skipped: a JSON null, not an object",
                        "item 4 skipped: no text and no URL",
                        "item 6 skipped: no text and no URL"]


def test_an_item_with_only_a_url_is_kept_for_article_extraction():
    entries, warnings = parse(feed({"id": "u", "url": "https://a.example/2024/05/14/x-y-z"}))
    assert warnings == []
    assert entries[0].url == "https://a.example/2024/05/14/x-y-z" and entries[0].title == ""


def test_an_item_without_id_is_keyed_by_its_url_then_by_its_text():
    entries, _ = parse(feed({"url": "/a?utm_source=x", "title": "A"}, {"title": "B"}))
    assert entries[0].key == "https://www.levantobserver.example/a"
    assert entries[1].key.startswith("sha1:") and entries[1].url == ""


def test_feeds_are_bounded_like_rss_feeds():
    items = [{"id": str(i), "title": "x" * (MAX_TITLE * 3)} for i in range(MAX_ENTRIES + 100)]
    entries, warnings = parse(feed(*items))
    assert len(entries) == MAX_ENTRIES
    assert len(entries[0].title) == MAX_TITLE
    assert warnings == [f"feed lists {MAX_ENTRIES + 100} items; "
                        f"only its newest {MAX_ENTRIES} are read"]
    assert entries[0].key == "0"  # undated: document order


def test_a_long_oldest_first_json_feed_keeps_its_newest_items():
    start = datetime(2006, 1, 1, tzinfo=UTC)
    items = [{"id": str(i), "title": f"Item {i}",
              "date_published": (start + timedelta(days=7 * i)).isoformat()}
             for i in range(1046)]
    entries, _ = parse(feed(*items))
    assert len(entries) == MAX_ENTRIES and entries[-1].title == "Item 1045"
    assert entries[0].title == f"Item {1046 - MAX_ENTRIES}"


def test_control_and_bidi_characters_are_removed_from_titles():
    entries, _ = parse(feed({"id": "1", "title": "Evil\u202e title\x00 here\n"}))
    assert entries[0].title == "Evil title here"


def test_an_unknown_version_warns_but_parses():
    entries, warnings = parse({"version": "2.0", "items": [{"id": "1", "title": "A"}]})
    assert len(entries) == 1
    assert warnings == ["version is not a JSON Feed URL ('2.0'); read as 1.1"]


def test_a_utf8_bom_is_accepted():
    body = b"\xef\xbb\xbf" + json.dumps(feed({"id": "1", "title": "Al\u00e9p"})).encode()
    assert parse(body)[0][0].title == "Al\u00e9p"


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    (b'{"items": []}', "application/feed+json", True),
    (b'{"items": []}', "application/json; charset=utf-8", True),
    (b'  {"version": "https://jsonfeed.org/version/1.1", "items": []}', "text/plain", True),
    (b'\xef\xbb\xbf{"version":"https://jsonfeed.org/version/1","items":[]}', None, True),
    (b'{"items": [], "version": "https://jsonfeed.org/version/1.1"}', "text/html", True),
    (b'{"data": {"version": "1.0"}}', None, False),
    (b'{"items": [{"content_text": "see \\"version\\": \\"https://jsonfeed.org/version/1\\""}]}',
     None, False),
    (b'<?xml version="1.0"?><rss version="2.0"/>', "application/rss+xml", False),
    (b'<?xml version="1.0"?><rss version="2.0"/>', "application/json", False),  # mislabelled
    (b"", None, False),
])
def test_looks_like_json_feed_sniffs_type_and_body(body, content_type, expected):
    assert looks_like_json_feed(body, content_type) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-05-14T09:30:00+03:00", datetime(2024, 5, 14, 6, 30, tzinfo=UTC)),
    ("2024-05-14T09:30:00.123Z", datetime(2024, 5, 14, 9, 30, 0, 123000, tzinfo=UTC)),
    ("2024-05-14 09:30:00", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
    ("2024-05-14", datetime(2024, 5, 14, tzinfo=UTC)),
    ("2024-05", datetime(2024, 5, 1, tzinfo=UTC)),
    ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
    ("Tue, 14 May 2024 09:30:00 GMT", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
    ("2024-13-45", None), ("yesterday", None), ("", None), ("9" * 500, None), (None, None),
    (1715678400, None), ("0001-01-01T00:00:00+01:00", None),
])
def test_iso_datetime_reads_what_feeds_and_sitemaps_write(text, expected):
    assert iso_datetime(text) == expected


def test_an_integer_too_long_for_int_costs_nothing_but_that_value():
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
            b'{"id": ' + b"9" * 5000 + b', "title": "Huge id"}, {"id": "2", "title": "Next"}]}')
    entries, _ = parse(body)  # int() refuses 4,300 digits: the whole feed failed before
    assert [(e.key, e.title) for e in entries] == [("inf", "Huge id"), ("2", "Next")]


def test_item_problems_are_reported_apart_from_warnings():
    filler = "<i></i>" * (MAX_MARKUP // 7 + 1000)
    parsed = parse_json_feed_full(json.dumps(feed(
        {"id": "1", "title": "Huge", "url": "https://a.example/1", "content_html": filler},
        {"id": "2", "title": "Fine", "content_html": "<p>ok</p>"}, 7)).encode(),
        source="S", url=FEED_URL)
    assert [(e.key, e.title, e.content) for e in parsed.entries] == [
        ("1", "Huge", ""), ("2", "Fine", "ok")]
    assert parsed.problems == [
        'item 1 ("Huge"): content_html cut: markup longer than 1,000,000 characters']
    assert parsed.warnings == ["item 3 skipped: a JSON number, not an object"]
    assert parsed.ttl is None
