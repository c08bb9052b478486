"""Delivery through the outbox: real SMTP, a real webhook receiver, a channel that goes down
and comes back, and alerts that fail for good stay visible."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from werkzeug import Response

from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import rss_feed, run_cli, write_config

FIGHTING = {"title": "Airstrikes pound eastern Aleppo", "link": "https://news.example.org/a1",
            "description": "Warplanes carried out airstrikes on Aleppo, residents said."}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def monitor_for(config_path, clock: Clock) -> Monitor:
    config = load_config(config_path)
    return Monitor(config, Store.open(config.state_url), clock=clock)


def test_alert_email_has_html_and_plain_parts_and_the_rule_in_the_subject(
        site, tmp_path, mailbox):
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"desk": mailbox.url()})
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["Subject"] == "[Fighting in Aleppo] Airstrikes pound eastern Aleppo"
    assert message.get_content_type() == "multipart/alternative"
    kinds = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert set(kinds) == {"text/plain", "text/html"}
    assert 'href="https://news.example.org/a1"' in kinds["text/html"]
    assert "Fighting in Aleppo" in kinds["text/plain"] and "airstrikes" in kinds["text/plain"]


def test_a_channel_that_is_down_gets_the_alert_once_it_is_back(site, tmp_path):
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    up = {"ok": False}

    def hook(request):
        if not up["ok"]:
            return Response("unavailable", status=503)
        site.posts.setdefault("/hook", []).append(request.get_data())
        return Response("ok")

    site.handlers["/hook"] = hook
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": f"json://127.0.0.1:{site.port}/hook"},
                          delivery={"retry_base": "30s", "max_attempts": 5})
    clock = Clock()
    monitor = monitor_for(config, clock)

    async def scenario():
        await monitor.poll_all()
        first = await monitor.deliver()
        assert (first.sent, first.retried) == (0, 1)
        assert (await monitor.deliver()).retried == 0  # not due again yet
        clock.now += timedelta(seconds=30)
        assert (await monitor.deliver()).retried == 1  # still down: next wait 60 s
        up["ok"] = True
        clock.now += timedelta(seconds=59)
        assert (await monitor.deliver()).sent == 0
        clock.now += timedelta(seconds=1)
        assert (await monitor.deliver()).sent == 1
        assert (await monitor.deliver()).sent == 0

    asyncio.run(scenario())
    assert len(site.posts["/hook"]) == 1
    assert monitor.store.alert_counts() == {"sent": 1}


def test_alerts_that_never_get_through_are_marked_failed_and_listed(site, tmp_path):
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    site.handlers["/hook"] = lambda r: Response("nope", status=500)
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": f"json://127.0.0.1:{site.port}/hook"},
                          delivery={"retry_base": "10s", "max_attempts": 3})
    clock = Clock()
    monitor = monitor_for(config, clock)

    async def scenario():
        await monitor.poll_all()
        for _ in range(3):
            await monitor.deliver()
            clock.now += timedelta(hours=1)

    asyncio.run(scenario())
    assert monitor.store.alert_counts() == {"failed": 1}
    listed = run_cli("alerts", "--json", "--since", "3650d", "-c", str(config))
    row = json.loads(listed.stdout.splitlines()[0])
    assert row["state"] == "failed" and row["attempts"] == 3 and row["error"]


def test_one_down_channel_does_not_hold_back_another(site, tmp_path):
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": f"json://127.0.0.1:{site.port}/hook",
                                    "dead": "json://127.0.0.1:9/hook"})
    monitor = monitor_for(config, Clock())

    async def scenario():
        await monitor.poll_all()
        return await monitor.deliver()

    delivered = asyncio.run(scenario())
    assert (delivered.sent, delivered.retried) == (1, 1)
    assert len(site.posts["/hook"]) == 1
