"""A source's pace (how much it published over the last week) is counted by a query at
most once an hour; in between, each poll's recorded entries are added to it, so a busy
source costs no count query per poll and its pace still counts what it brought."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import rss_feed, write_config


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def test_a_busy_sources_pace_is_counted_once_and_kept_up_by_each_poll(site, tmp_path):
    config = write_config(tmp_path, sources=[{"name": "S", "feed": site.url("/busy.xml")}],
                          poll={"interval": "60s"})
    loaded, clock = load_config(config), Clock()
    monitor = Monitor(loaded, Store.open(loaded.state_url), clock=clock)
    queries = []
    real = monitor.store.published_since

    def counted(*args):
        queries.append(args)
        return real(*args)

    monitor.store.published_since = counted
    items: list[dict[str, str]] = []
    start = clock.now

    async def go() -> None:
        for minute in range(0, 50, 2):  # a new item every poll, for 50 minutes
            clock.now = start + timedelta(minutes=minute)
            items.append({"title": f"Item {minute}", "link": f"https://e.org/{minute}",
                          "pubDate": format_datetime(clock.now)})
            site.feeds["/busy.xml"] = rss_feed(*items)
            await monitor.poll_all()
        await monitor.aclose()

    asyncio.run(go())
    assert len(queries) <= 2  # the first poll (no history yet) and the first with news
    since = clock.now - timedelta(days=7)
    assert monitor._paces.known["S"][1].published == real("S", since, clock.now) == len(items)
