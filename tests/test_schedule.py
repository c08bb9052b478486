"""When a source is polled next: adaptive pace, server hints, backoff (a pure policy)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.config import PollSettings, Source
from monitor.records import Poll
from monitor.sources.schedule import WEEK, Pace, interval_for, next_check

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SETTINGS = PollSettings(interval="5m", min_interval="2m", max_interval="1h",
                        max_backoff="6h")


def source(**kw) -> Source:
    base = {"name": "S", "location": "https://e.org/f", "interval": 300.0,
            "min_interval": 120.0, "max_interval": 3600.0}
    return Source(**{**base, **kw})


def ok(**kw) -> Poll:
    return Poll("S", NOW, **kw)


def failed(**kw) -> Poll:
    return Poll("S", NOW, error="HTTP 500", **kw)


def test_new_source_polls_at_its_starting_interval():
    assert interval_for(source(), None) == 300
    assert interval_for(source(), Pace(500, 3600)) == 300  # under a day of history


@pytest.mark.parametrize("published, expected", [
    (0, 3600),              # silent for a week: the slowest pace
    (7, 3600),              # one a day: half the gap is 12 h, capped at 1 h
    (168, 1800),            # one an hour: every 30 minutes
    (2016, 150),            # one every 5 minutes: every 2.5 minutes
    (100_000, 120),         # a firehose: never faster than min_interval
])
def test_interval_adapts_to_how_often_the_source_publishes(published, expected):
    assert interval_for(source(), Pace(published, WEEK)) == pytest.approx(expected)


def test_a_configured_interval_is_kept():
    assert interval_for(source(fixed=True, interval=900.0), Pace(100_000, WEEK)) == 900


def test_cache_headers_and_ttl_are_honoured_up_to_max_backoff():
    assert next_check(source(), ok(fresh_for=1800.0), 0, SETTINGS) == 1800
    assert next_check(source(), ok(fresh_for=60.0), 0, SETTINGS) == 300
    assert next_check(source(), ok(fresh_for=10 * 86400.0), 0, SETTINGS) == 6 * 3600


def test_failures_back_off_exponentially_up_to_max_backoff():
    waits = [next_check(source(), failed(), n, SETTINGS) for n in range(10)]
    assert waits[:5] == [300, 600, 1200, 2400, 4800]
    assert waits[-1] == 6 * 3600 and max(waits) == 6 * 3600


def test_retry_after_is_never_cut_short():
    assert next_check(source(), failed(retry_after=1200.0), 0, SETTINGS) == 1200
    assert next_check(source(), failed(retry_after=5.0), 0, SETTINGS) == 300


def test_retry_after_and_cache_headers_are_read_as_seconds_or_dates():
    import httpx

    from monitor.sources.fetch import fresh_for, retry_after

    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert retry_after("120") == 120
    assert retry_after("Wed, 25 Nov 2026 12:02:00 GMT", now) == 120
    assert retry_after("soon") is None and retry_after(None) is None
    assert fresh_for(httpx.Headers({"Cache-Control": "public, max-age=600"}), now) == 600
    assert fresh_for(httpx.Headers({"Cache-Control": "no-cache, max-age=600"}), now) is None
    assert fresh_for(httpx.Headers({"Expires": "Wed, 25 Nov 2026 13:00:00 GMT"}), now) == 3600
    assert fresh_for(httpx.Headers({"Expires": "0"}), now) is None
