"""Polling like a good citizen of the web, through the daemon's own scheduler and a real
local server: Retry-After, backoff, conditional GET, per-host limits, a configurable
User-Agent, and `status` showing what happened."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta

from werkzeug import Response

from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import EVENT_CEILING, rss_feed, run_cli, write_config

ITEM = {"title": "Airstrikes on Aleppo", "link": "https://e.org/1", "description": "x"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def requests_to(site, path: str) -> list[dict[str, str]]:
    return [headers for p, headers in site.requests if p == path]


def run_ticks(monitor: Monitor, clock: Clock, at, site, path: str) -> list[int]:
    """Run the daemon's poll tick at each of these offsets (seconds) from the start; return
    how many requests `path` had received after each."""
    start, counts = clock.now, []

    async def go() -> None:
        for offset in at:
            clock.now = start + timedelta(seconds=offset)
            await monitor.poll_due()
            await monitor.drain()
            counts.append(len(requests_to(site, path)))
        await monitor.aclose()

    asyncio.run(go())
    return counts


def make_monitor(tmp_path, site, path: str, **poll) -> tuple[Monitor, Clock]:
    config = write_config(tmp_path, sources=[{"name": "S", "feed": site.url(path)}],
                          poll={"interval": "60s", **poll})
    clock = Clock()
    loaded = load_config(config)
    return Monitor(loaded, Store.open(loaded.state_url), clock=clock), clock


def test_retry_after_120_keeps_the_server_unasked_for_120_seconds(site, tmp_path):
    site.handlers["/busy.xml"] = lambda r: Response("slow down", status=429,
                                                    headers={"Retry-After": "120"})
    monitor, clock = make_monitor(tmp_path, site, "/busy.xml")
    counts = run_ticks(monitor, clock, [0, 30, 61, 90, 119, 121], site, "/busy.xml")
    assert counts == [1, 1, 1, 1, 1, 2]
    state = monitor.store.source_state("S")
    assert "HTTP 429" in state.last_error and "asked to wait 120s" in state.last_error


def test_a_failing_source_backs_off_exponentially(site, tmp_path):
    site.handlers["/down.xml"] = lambda r: Response("boom", status=500)
    monitor, clock = make_monitor(tmp_path, site, "/down.xml")
    asked = run_ticks(monitor, clock, range(0, 1000, 10), site, "/down.xml")[-1]
    # due at 0, 60, 180 (+120), 420 (+240), 900 (+480): five polls in 1,000 s, not seventeen
    assert asked == 5
    assert monitor.store.source_state("S").error_count == 5


def test_an_unchanged_feed_costs_one_304_and_no_parse(site, tmp_path, monkeypatch):
    import monitor.sources as sources

    parses = []
    real = sources.parse_feed_full
    monkeypatch.setattr(sources, "parse_feed_full",
                        lambda *a, **k: parses.append(1) or real(*a, **k))
    body = rss_feed(ITEM)

    def conditional(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(body, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    site.handlers["/cond.xml"] = conditional
    monitor, clock = make_monitor(tmp_path, site, "/cond.xml")
    assert run_ticks(monitor, clock, [0, 61], site, "/cond.xml") == [1, 2]
    assert len(parses) == 1
    assert requests_to(site, "/cond.xml")[1].get("If-None-Match") == '"v1"'


def test_cache_control_max_age_is_honoured(site, tmp_path):
    site.handlers["/cached.xml"] = lambda r: Response(
        rss_feed(ITEM), headers={"Cache-Control": "public, max-age=600"},
        content_type="application/rss+xml")
    monitor, clock = make_monitor(tmp_path, site, "/cached.xml")
    counts = run_ticks(monitor, clock, [0, 61, 300, 599, 601], site, "/cached.xml")
    assert counts == [1, 1, 1, 1, 2]


def test_rss_ttl_is_honoured(site, tmp_path):
    body = rss_feed(ITEM).replace(b"<channel>", b"<channel><ttl>15</ttl>")
    site.feeds["/ttl.xml"] = body
    monitor, clock = make_monitor(tmp_path, site, "/ttl.xml")
    assert run_ticks(monitor, clock, [0, 61, 899, 901], site, "/ttl.xml") == [1, 1, 1, 2]


def test_no_more_than_per_host_requests_reach_one_host_at_once(site, tmp_path):
    """Each request is held until a second one is in flight (or it is the last), then for
    0.3 s more: so two at once is always seen however slow the machine, and a third the
    limit let through would arrive while two are held."""
    total, held = 6, threading.Condition()
    state = {"now": 0, "most": 0, "arrived": 0}

    def slow(request):
        with held:
            state["now"] += 1
            state["arrived"] += 1
            state["most"] = max(state["most"], state["now"])
            held.notify_all()
            held.wait_for(lambda: state["now"] >= 2 or state["arrived"] == total,
                          timeout=EVENT_CEILING)
        time.sleep(0.3)
        with held:
            state["now"] -= 1
        return Response(rss_feed(ITEM), content_type="application/rss+xml")

    for i in range(total):
        site.handlers[f"/f{i}.xml"] = slow
    config = write_config(tmp_path, poll={"per_host": 2},
                          sources=[{"name": f"S{i}", "feed": site.url(f"/f{i}.xml")}
                                   for i in range(total)])
    assert run_cli("once", "-c", str(config), timeout=600).returncode == 0
    assert state["arrived"] == total and state["most"] == 2


def test_user_agent_is_configurable(site, tmp_path):
    site.feeds["/ua.xml"] = rss_feed(ITEM)
    config = write_config(tmp_path, poll={"user_agent": "DeskBot/1.0 (+mailto:desk@e.org)"},
                          sources=[{"name": "S", "feed": site.url("/ua.xml")}])
    assert run_cli("once", "-c", str(config)).returncode == 0
    assert requests_to(site, "/ua.xml")[0]["User-Agent"] == "DeskBot/1.0 (+mailto:desk@e.org)"


def test_status_shows_each_source_with_kind_errors_and_failing(site, tmp_path):
    site.feeds["/ok.xml"] = rss_feed(ITEM)
    site.handlers["/bad.xml"] = lambda r: Response("no", status=404)
    config = write_config(tmp_path, poll={"failing_after": 2},
                          sources=[{"name": "ok", "feed": site.url("/ok.xml")},
                                   {"name": "bad", "feed": site.url("/bad.xml")}])
    for _ in range(2):
        assert run_cli("once", "-c", str(config)).returncode == 0
    report = json.loads(run_cli("status", "--json", "-c", str(config)).stdout)
    rows = {r["source"]: r for r in report["sources"]}
    assert rows["ok"]["kind"] == "feed" and rows["ok"]["entries_seen"] == 1
    assert rows["ok"]["errors"] == 0 and not rows["ok"]["failing"]
    assert rows["ok"]["last_success"] and rows["ok"]["next_check"]
    assert rows["bad"]["errors"] == 2 and rows["bad"]["failing"]
    assert rows["bad"]["last_error"] == "HTTP 404 NOT FOUND"
    table = run_cli("status", "-c", str(config)).stdout
    assert "bad (failing)" in table
