"""Routing per channel, through the daemon's own delivery and real local receivers: bursts
grouped by group_wait, digests at their cron time, rate limits that defer to the digest
and never drop, quiet hours with one summary, min_priority and muted rules."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.route import in_quiet_hours, route
from monitor.config import Channel, cron_trigger, load_config
from monitor.records import Match
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import rss_feed, write_config


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def items(n: int) -> bytes:
    """n different stories (their headlines share too few words to be one story)."""
    return rss_feed(*({"title": f"Airstrike number {i} in Aleppo: " + " ".join(
                       f"w{i}x{k}" for k in range(4)),
                       "link": f"https://e.org/story/{i}", "description": "airstrike"}
                      for i in range(n)))


def monitor_for(tmp_path, site, channel: dict, feed: bytes, start: datetime,
                **watch) -> tuple[Monitor, Clock]:
    site.feeds["/f.xml"] = feed
    rules = [{"name": "Fighting", "places": ["Aleppo"], "keywords": ["airstrike"], **watch}]
    config = load_config(write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}],
                                      channels={"out": channel}, rules=rules))
    clock = Clock(start)
    return Monitor(config, Store.open(config.state_url), clock=clock), clock


def posts(site) -> list[dict]:
    return [json.loads(p) for p in site.posts.get("/hook", [])]


NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_fifty_matches_within_ten_seconds_arrive_as_one_message(site, tmp_path):
    hook = f"json://127.0.0.1:{site.port}/hook"
    monitor, clock = monitor_for(tmp_path, site, {"url": hook, "group_wait": "30s"},
                                 items(50), NOON)

    async def scenario():
        await monitor.poll_all()
        for offset in (1, 5, 10, 29):
            clock.now = NOON + timedelta(seconds=offset)
            assert (await monitor.deliver()).sent == 0
        clock.now = NOON + timedelta(seconds=31)
        assert (await monitor.deliver()).sent == 50
        await monitor.aclose()

    asyncio.run(scenario())
    assert len(posts(site)) == 1
    message = posts(site)[0]
    assert message["title"] == "50 stories: Fighting (50)"
    assert "Airstrike number 0 in Aleppo" in message["message"]
    assert monitor.store.alert_counts() == {"sent": 50}


def test_a_digest_channel_sends_one_email_at_its_cron_time(site, tmp_path, mailbox):
    seven = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    monitor, clock = monitor_for(tmp_path, site, {"url": mailbox.url(), "digest": "0 8 * * *"},
                                 items(6), seven)
    trigger = cron_trigger("0 8 * * *", "UTC")
    assert trigger.get_next_fire_time(None, seven) == seven + timedelta(hours=1)

    async def scenario():
        await monitor.poll_all()
        assert (await monitor.deliver()).sent == 0
        clock.now = seven + timedelta(hours=1)
        assert (await monitor.send_digest("out")).sent == 6
        assert (await monitor.send_digest("out")).sent == 0  # nothing since the last one
        await monitor.aclose()

    asyncio.run(scenario())
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["Subject"] == "Digest of 6 stories: Fighting (6)"
    html = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
    for i in range(6):
        assert f"Airstrike number {i} in Aleppo" in html.get_content()


def test_over_max_per_hour_the_rest_reach_the_next_digest_and_none_are_lost(site, tmp_path):
    hook = f"json://127.0.0.1:{site.port}/hook"
    monitor, clock = monitor_for(tmp_path, site, {"url": hook, "group_wait": 0,
                                                  "max_per_hour": 5}, items(8), NOON)
    channel = monitor.routes["out"]
    assert channel.digest_cron == "0 * * * *"  # hourly digest when none is set

    async def scenario():
        await monitor.poll_all()
        first = await monitor.deliver()
        assert (first.sent, first.held) == (5, 3)
        clock.now = NOON + timedelta(hours=1)
        assert (await monitor.send_digest("out")).sent == 3
        await monitor.aclose()

    asyncio.run(scenario())
    titles = [p["title"] for p in posts(site)]
    assert len(titles) == 6 and titles[-1] == "Digest of 3 stories: Fighting (3)"
    assert monitor.store.alert_counts() == {"sent": 8}


def test_quiet_hours_hold_alerts_and_send_one_summary_when_they_end(site, tmp_path):
    hook = f"json://127.0.0.1:{site.port}/hook"
    night = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    monitor, clock = monitor_for(tmp_path, site, {"url": hook, "group_wait": "30s",
                                                  "quiet_hours": {"start": "22:00",
                                                                  "end": "07:00"}},
                                 items(3), night)

    async def scenario():
        await monitor.poll_all()
        for hours in (1, 4, 7.9):
            clock.now = night + timedelta(hours=hours)
            assert (await monitor.deliver()).sent == 0
        clock.now = night + timedelta(hours=8, minutes=1)
        assert (await monitor.deliver()).sent == 3
        await monitor.aclose()

    asyncio.run(scenario())
    assert [p["title"] for p in posts(site)] == ["Quiet hours summary of 3 stories: Fighting (3)"]


def test_quiet_hours_follow_the_channels_timezone():
    damascus = Channel("c", "console://", quiet_hours=(22 * 60, 7 * 60),
                       timezone="Asia/Damascus")  # UTC+3
    assert in_quiet_hours(damascus, datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    assert not in_quiet_hours(damascus, datetime(2026, 11, 25, 18, 0, tzinfo=UTC))


@pytest.mark.parametrize("priority, channels", [("low", ("all",)), ("high", ("all", "urgent"))])
def test_min_priority_keeps_lower_priorities_off_a_channel(priority, channels):
    routes = {"all": Channel("all", "console://"),
              "urgent": Channel("urgent", "console://", min_priority="high")}
    match = Match("w", "R", priority, 1.0, (), ("all", "urgent"))
    assert route(match, routes, {}, NOON) == channels


def test_a_muted_rule_sends_nothing_until_its_date(site, tmp_path):
    hook = f"json://127.0.0.1:{site.port}/hook"
    monitor, _ = monitor_for(tmp_path, site, {"url": hook, "group_wait": 0}, items(2), NOON,
                             mute_until="2026-12-01")

    async def scenario():
        await monitor.poll_all()
        await monitor.deliver()
        await monitor.aclose()

    asyncio.run(scenario())
    assert posts(site) == [] and monitor.store.alert_counts() == {}


def test_check_reports_a_broken_channel_template_with_its_line(tmp_path):
    from tests.conftest import run_cli

    (tmp_path / "bad.j2").write_text("{{ alert.title }\n", encoding="utf-8")
    config = write_config(tmp_path, sources=[{"name": "F", "feed": str(tmp_path / "bad.j2")}],
                          channels={"out": {"url": "console://", "template": "bad.j2"}})
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    assert "monitor.yaml:" in result.stderr and "bad template" in result.stderr
    assert "bad.j2:1" in result.stderr


def test_send_test_delivers_a_sample_alert(site, tmp_path):
    from tests.conftest import run_cli

    config = write_config(tmp_path, sources=[{"name": "F", "feed": str(tmp_path / "x.xml")}],
                          channels={"hook": f"json://127.0.0.1:{site.port}/hook"})
    (tmp_path / "x.xml").write_text("<rss/>")
    result = run_cli("send-test", "hook", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "sample alert accepted" in result.stdout
    assert "Fighting in Aleppo" in posts(site)[0]["title"]
    missing = run_cli("send-test", "nope", "-c", str(config))
    assert missing.returncode == 2 and "no channel 'nope'" in missing.stderr
