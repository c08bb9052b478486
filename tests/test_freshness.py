"""The date rules of freshness.py, the newest-items cut of a long feed, and how a store tells
a source's first poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitor.freshness import TOO_OLD, UNDATED, WINDOW, HeldBack, first_poll, hold_back, hold_reason
from monitor.records import Entry, Poll
from monitor.sources.feeds import MAX_ENTRIES, edge_items, first_items, parse_feed
from monitor.store import Store

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = 86400.0


def entry(key: str, published: datetime | None) -> Entry:
    return Entry(source="s", key=key, url="", title=key, summary="", published=published)


@given(offset=st.one_of(st.none(), st.integers(-10 * 365 * 86400, 10 * 365 * 86400)),
       first=st.booleans(), window=st.integers(1, 30 * 86400),
       max_age=st.integers(1, 30 * 86400))
def test_an_entry_alerts_exactly_when_recent_enough_for_the_poll_it_comes_in(
        offset, first, window, max_age):
    """Oracle: no date alerts only after the first poll; otherwise the age (the future
    counting as now) must be within max_age, and on a first poll within the window too."""
    published = None if offset is None else NOW - timedelta(seconds=offset)
    reason = hold_reason(published, NOW, first=first, alert_window=window, max_age=max_age)
    if offset is None:
        assert (reason is None) == (not first)
        return
    age = max(offset, 0)
    limit = min(window, max_age) if first else max_age
    assert (reason is None) == (age <= limit)
    if reason is not None:
        assert reason in (WINDOW, TOO_OLD) and (reason == WINDOW) == (first and age > window)


def test_a_future_date_counts_as_now_on_every_poll():
    for first in (True, False):
        assert hold_reason(NOW + timedelta(days=900), NOW, first=first, alert_window=60,
                           max_age=60) is None


def test_hold_back_keeps_order_and_counts_each_reason():
    entries = [entry("new", NOW), entry("undated", None),
               entry("week", NOW - timedelta(days=7)), entry("two days", NOW - timedelta(2))]
    alerting, held, counts = hold_back(entries, NOW, first=True, alert_window=DAY,
                                       max_age=3 * DAY)
    assert [e.key for e in alerting] == ["new"]
    assert [e.key for e in held] == ["undated", "week", "two days"]
    assert counts == HeldBack(window=2, undated=1, too_old=0)
    assert counts.describe() == ("held back 2 older than the alert window on first poll; "
                                 "1 without a date on first poll")


def test_undated_entries_pass_before_their_article_pages_may_date_them():
    alerting, held, _ = hold_back([entry("undated", None)], NOW, first=True, alert_window=DAY,
                                  max_age=DAY, undated_pass=True)
    assert [e.key for e in alerting] == ["undated"] and held == []
    assert hold_reason(None, NOW, first=True, alert_window=DAY, max_age=DAY) == UNDATED


def rss(dates: list[datetime | None]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://e.org/{i}</link>"
        + (f"<pubDate>{d.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>" if d else "")
        + "</item>" for i, d in enumerate(dates))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}'
            "</channel></rss>").encode()


def test_a_long_oldest_first_feed_keeps_its_newest_items_in_document_order():
    dates = [NOW - timedelta(hours=5000 - i) for i in range(5000)]
    entries, warnings = parse_feed(rss(dates), source="s", url="https://e.org/")
    assert [e.title for e in entries] == [f"Item {i}" for i in range(4500, 5000)]
    assert warnings == []


def test_a_long_feed_in_mixed_order_keeps_the_newest_of_its_two_ends():
    dates = [NOW - timedelta(hours=(i * 7919) % 1200) for i in range(1200)]
    entries, _ = parse_feed(rss(dates), source="s", url="https://e.org/")
    read = list(range(MAX_ENTRIES)) + list(range(1200 - MAX_ENTRIES, 1200))
    newest = sorted(read, key=lambda i: dates[i], reverse=True)[:MAX_ENTRIES]
    assert [e.title for e in entries] == [f"Item {i}" for i in sorted(newest)]


def test_undated_items_only_fill_what_the_dated_ones_leave():
    dates: list[datetime | None] = [None] * 300 + [NOW - timedelta(hours=i) for i in range(400)]
    entries, _ = parse_feed(rss(dates), source="s", url="https://e.org/")
    assert len(entries) == MAX_ENTRIES
    assert [e.title for e in entries[:100]] == [f"Item {i}" for i in range(100)]
    assert all(e.published is not None for e in entries[100:])


def test_the_edge_cut_bounds_a_huge_feed_to_twice_the_kept_items():
    body = rss([None] * 70_000).decode()
    cut = edge_items(body, MAX_ENTRIES)
    assert cut.count("<item>") == 2 * MAX_ENTRIES and cut.endswith("</item></channel></rss>")
    assert "Item 499<" in cut and "Item 500<" not in cut and "Item 69500<" in cut
    assert len(cut) < len(body) / 50


def test_the_edge_cut_falls_back_to_the_first_items_when_the_ends_sit_in_other_elements():
    head = "".join(f"<item><title>A{i}</title></item>" for i in range(3))
    tail = "".join(f"<item><title>B{i}</title></item>" for i in range(3))
    text = f"<rss><channel>{head}<more>{tail}</more></channel></rss>"
    assert edge_items(text, 2) == first_items(text, 2)


def test_a_link_only_item_is_kept_as_an_entry():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b"<item><link>https://e.org/photo/1</link></item></channel></rss>")
    entries, _ = parse_feed(body, source="s", url="https://e.org/")
    assert [(e.url, e.title) for e in entries] == [("https://e.org/photo/1", "")]


def test_the_store_tells_a_first_poll_and_forgets_the_last_success_when_the_url_changes():
    store = Store.open("sqlite:///:memory:")
    store.sync_sources([("s", "feed", "https://a.example/rss")], NOW)
    assert first_poll(store.source_state("s"))
    store.record_quiet_polls([(Poll(source="s", checked_at=NOW), NOW, None)])
    assert not first_poll(store.source_state("s"))
    store.sync_sources([("s", "feed", "https://a.example/rss")], NOW)  # unchanged: kept
    assert not first_poll(store.source_state("s"))
    store.sync_sources([("s", "feed", "https://b.example/rss")], NOW)
    assert first_poll(store.source_state("s"))
    assert first_poll(None)
