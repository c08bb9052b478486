"""Source health as alerts, end to end: a real feed server stopped and started again, polled
by the real Monitor (a fake clock, so backoff and rate limits take no time) or by the
daemon, and a real HTTP receiver behind the json:// admin channel counting the messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import Daemon, Site, rss_feed, run_cli, wait_until, write_config

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUIET_ITEM = {"title": "Council meets on Tuesday", "link": "https://news.example.org/q0",
              "description": "The town council meets on Tuesday."}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Feed:
    """A feed server that can really be stopped (connection refused) and started again on
    the same port."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.body = rss_feed(QUIET_ITEM)
        self.server.expect_request("/feed.xml").respond_with_handler(
            lambda _r: Response(self.body, content_type="application/rss+xml"))
        self.server.start()
        self.url = self.server.url_for("/feed.xml")

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


@pytest.fixture
def feed() -> Iterator[Feed]:
    f = Feed()
    try:
        yield f
    finally:
        if f.server.is_running():
            f.server.stop()


def messages(site: Site, path: str = "/admin") -> list[dict]:
    """What the receiver got on `path`: Apprise's json:// payloads (title, message)."""
    return [json.loads(p) for p in site.posts.get(path, [])]


def tidy(title: str) -> str:
    """A title as the message's text says it: the channel puts the rule first."""
    assert title.startswith("[source health] "), title
    return title.removeprefix("[source health] ")


def titles(site: Site, path: str = "/admin") -> list[str]:
    return [tidy(m["title"]) for m in messages(site, path)]


def config_for(folder: Path, site: Site, sources: list[dict], state: str | None = None,
               **settings) -> Path:
    channels = settings.pop("channels", {"admin": f"json://127.0.0.1:{site.port}/admin"})
    return write_config(folder, sources=sources, channels=channels, state=state,
                        poll={"interval": "5m", "failing_after": 3, **settings.pop("poll", {})},
                        **settings)


class Run:
    """A Monitor on a fake clock, polled and told to send as the daemon's jobs would."""

    def __init__(self, config: Path, clock: Clock) -> None:
        self.config, self.clock = load_config(config), clock
        self.store = Store.open(self.config.state_url)
        self.loop = asyncio.new_event_loop()  # one loop, as the daemon's: clients bind to it
        self.monitor = self.loop.run_until_complete(self._start(clock))

    async def _start(self, clock: Clock) -> Monitor:
        return Monitor(self.config, self.store, clock=clock)

    def run(self, step):
        return self.loop.run_until_complete(step)

    def poll(self, minutes: float = 10) -> int:
        """Poll every source, then, a minute later (past the rate limit), send the health
        messages due; return how many went."""
        async def go() -> int:
            await self.monitor.poll_all()
            self.clock.now += timedelta(seconds=61)
            return await self.monitor.send_health()
        sent = self.run(go())
        self.clock.now += timedelta(minutes=minutes)
        return sent

    def close(self) -> None:
        self.run(self.monitor.aclose())
        self.loop.close()
        self.store.close()


def test_a_feed_down_for_failing_after_polls_sends_one_failure_then_one_recovery_message(
        feed, site, tmp_path, state_url):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}], state=state_url)
    run = Run(config, Clock())
    try:
        run.poll()
        feed.stop()
        run.poll(), run.poll()
        assert messages(site) == []  # two failures: not failing yet
        run.poll()  # the third
        [failing] = messages(site)
        assert tidy(failing["title"]) == "Source Wire failing"
        assert "3 failed polls in a row" in failing["message"]
        assert "Connection refused" in failing["message"] or "connect" in failing["message"]
        assert "/feed.xml answers" in failing["message"]
        for _ in range(3):
            run.poll()  # still down: nothing more
        assert len(messages(site)) == 1
        feed.start()
        run.poll()
        assert titles(site) == ["Source Wire failing",
                                                         "Source Wire recovered"]
        assert "after 6 failed polls in a row" in messages(site)[1]["message"]
        run.poll(), run.poll()
        assert len(messages(site)) == 2
    finally:
        run.close()


def test_restart_does_not_repeat_a_health_notice(feed, site, tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}])
    clock = Clock()
    run = Run(config, clock)
    run.poll()
    feed.stop()
    for _ in range(3):
        run.poll()
    run.close()
    assert len(messages(site)) == 1
    again = Run(config, clock)  # a restart, the source still down
    try:
        again.poll(), again.poll()
        assert len(messages(site)) == 1
        feed.start()
        again.poll()
        assert titles(site)[-1] == "Source Wire recovered"
        assert len(messages(site)) == 2
    finally:
        again.close()


def test_a_notice_queued_before_a_restart_is_sent_after_it(feed, site, tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}])
    clock = Clock()
    run = Run(config, clock)
    run.poll()
    feed.stop()
    for _ in range(3):
        run.run(run.monitor.poll_all())  # the failure is announced, never sent
    run.close()
    assert messages(site) == []
    again = Run(config, clock)
    try:
        clock.now += timedelta(minutes=2)
        assert again.run(again.monitor.send_health()) == 1
        assert titles(site) == ["Source Wire failing"]
    finally:
        again.close()


def test_many_sources_failing_at_once_make_one_message(site, tmp_path):
    feeds = [Feed() for _ in range(3)]
    names = ["Alpha", "Bravo", "Charlie"]
    config = config_for(tmp_path, site, [{"name": n, "feed": f.url}
                                         for n, f in zip(names, feeds, strict=True)])
    run = Run(config, Clock())
    try:
        run.poll()
        for f in feeds:
            f.stop()
        for _ in range(3):
            run.poll()
        [only] = messages(site)
        assert tidy(only["title"]) == "3 sources failing: Alpha, Bravo, Charlie"
        body = only["message"]
        assert (body.index("Alpha: failing since") < body.index("Bravo: failing since")
                < body.index("Charlie: failing since"))
    finally:
        run.close()
        for f in feeds:
            if f.server.is_running():
                f.server.stop()


def test_health_messages_are_rate_limited_and_what_waits_goes_in_the_next(feed, site,
                                                                          tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}],
                        poll={"failing_after": 1}, delivery={"health_every": "10m"})
    clock = Clock()
    run = Run(config, clock)
    try:
        run.poll()
        feed.stop()
        run.poll(minutes=1)  # failing: sent at once (nothing went to admin before)
        feed.start()
        run.poll(minutes=1)  # recovered, two minutes later: held by the rate limit
        feed.stop()
        run.poll(minutes=1)  # failing again: held too
        assert titles(site) == ["Source Wire failing"]
        clock.now += timedelta(minutes=10)
        assert run.run(run.monitor.send_health()) == 1
        later = messages(site)[1]
        assert tidy(later["title"]) == "Source health: 1 recovered (Wire); 1 failing (Wire)"
        body = later["message"]
        assert body.index("Wire: recovered at") < body.index("Wire: failing since")
    finally:
        run.close()


def test_a_health_message_the_admin_channel_refuses_is_sent_once_it_is_back(feed, site,
                                                                            tmp_path):
    up = {"ok": False}

    def admin(request):
        if not up["ok"]:
            return Response("unavailable", status=503)
        site.posts.setdefault("/admin", []).append(request.get_data())
        return Response("ok")

    site.handlers["/admin"] = admin
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}],
                        delivery={"retry_base": "30s"})
    clock = Clock()
    run = Run(config, clock)
    try:
        run.poll()
        feed.stop()
        for _ in range(3):
            run.poll()
        assert messages(site) == []
        notices = run.store.health_notices()
        assert [(n.state, n.attempts) for n in notices] == [("pending", 1)]
        up["ok"] = True
        run.poll()  # due again: sent, once
        assert titles(site) == ["Source Wire failing"]
        run.poll()
        assert len(messages(site)) == 1
    finally:
        run.close()


def test_health_notices_go_to_the_health_alerts_channels(feed, site, tmp_path):
    channels = {"admin": f"json://127.0.0.1:{site.port}/admin",
                "ops": f"json://127.0.0.1:{site.port}/ops"}
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}],
                        channels=channels, health_alerts=["ops"])
    run = Run(config, Clock())
    try:
        run.poll()
        feed.stop()
        for _ in range(3):
            run.poll()
        assert titles(site, "/ops") == ["Source Wire failing"]
        assert messages(site, "/admin") == []
    finally:
        run.close()


def test_a_source_silent_for_four_usual_gaps_sends_a_silent_message(site, tmp_path):
    """Items every 6 hours for a day and a half: a usual gap of 5 hours (7 items over 30
    hours, counted from the first). Silent after 4 × 5 hours without a new one; a new item
    makes it active again."""
    items: list[dict] = []
    feed = Feed()
    clock = Clock()

    def publish(hours: float) -> None:
        items.append({"title": f"Notice {len(items)}", "link": f"https://e.org/{len(items)}",
                      "description": "Opening hours change.",
                      "pubDate": format_datetime(T0 + timedelta(hours=hours))})
        feed.body = rss_feed(*items)

    config = config_for(tmp_path, site, [{"name": "Gazette", "feed": feed.url}])
    run = Run(config, clock)
    try:
        for hours in range(0, 31, 6):
            clock.now = T0 + timedelta(hours=hours)
            publish(hours)
            run.poll()
        last_new = T0 + timedelta(hours=30)
        clock.now = last_new + timedelta(hours=19)
        run.poll()
        assert messages(site) == []
        clock.now = last_new + timedelta(hours=21)
        run.poll()
        [silent] = messages(site)
        assert tidy(silent["title"]) == "Source Gazette silent"
        assert "no new item since 2026-11-26 18:00 UTC" in silent["message"]
        assert "usually publishes every 5h" in silent["message"]
        run.poll(), run.poll()
        assert len(messages(site)) == 1
        publish(60)
        run.poll()
        assert titles(site)[-1] == "Source Gazette active again"
        assert "the first since 2026-11-26 18:00 UTC" in messages(site)[-1]["message"]
        assert len(messages(site)) == 2
    finally:
        run.close()
        feed.stop()


def test_two_replicas_deciding_the_same_change_announce_it_once(tmp_path, state_url):
    store_a = Store.open(state_url, owner="a")
    store_b = Store.open(state_url, owner="b")
    try:
        store_a.sync_sources([("Wire", "feed", "https://e.org/f.xml")], T0)
        won = [s.announce("Wire", "ok", "failing", T0, "failing", "Wire: failing", ["admin"])
               for s in (store_a, store_b)]
        assert won == [True, False]
        assert [n.source for n in store_b.due_health("admin", T0)] == ["Wire"]
        assert store_b.source_state("Wire").health == "failing"
    finally:
        store_a.close()
        store_b.close()


def test_status_shows_failing_since_and_the_health_notices(feed, site, tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}])
    run = Run(config, Clock())
    try:
        run.poll()
        feed.stop()
        for _ in range(3):
            run.poll()
    finally:
        run.close()
    shown = json.loads(run_cli("status", "-c", str(config), "--json").stdout)
    [row] = shown["sources"]
    assert (row["health"], row["failing"], row["errors"]) == ("failing", True, 3)
    assert row["health_since"] == "2026-11-25T12:11:01+00:00"  # the first failed poll
    [notice] = shown["health_notices"]
    assert (notice["event"], notice["channel"], notice["state"]) == ("failing", "admin", "sent")
    table = run_cli("status", "-c", str(config)).stdout
    assert "Wire (failing)" in table and "failing since 2026-11-25T12:11:01" in table
    assert "health notices (0 waiting to be sent)" in table


def test_a_health_alerts_channel_that_does_not_exist_is_a_located_config_error(site,
                                                                               tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": "https://e.org/f.xml"}],
                        health_alerts=["admin", "opps"])
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    assert "health_alerts names no channel 'opps' (channels: admin)" in result.stderr
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1)
                if "opps" in text)
    assert f"monitor.yaml:{line}:" in result.stderr


def test_the_daemon_tells_admin_once_when_a_feed_goes_down_and_once_when_it_is_back(
        feed, site, tmp_path):
    """`news-monitor run`, real time: a feed polled every second (backing off 1, 2, 4 s)."""
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url,
                                          "interval": "1s"}],
                        delivery={"health_every": "1s", "check_every": "0.5s"})
    daemon = Daemon(config)
    try:
        assert daemon.wait_for(r"source 'Wire': 1 entries", 60)
        feed.stop()
        assert wait_until(lambda: len(messages(site)) >= 1)
        assert titles(site) == ["Source Wire failing"]
        feed.start()
        assert wait_until(lambda: len(messages(site)) >= 2)
        polled = len(feed.server.log)
        assert wait_until(lambda: len(feed.server.log) >= polled + 2)  # polled twice more
        assert titles(site) == ["Source Wire failing",
                                                         "Source Wire recovered"]
    finally:
        daemon.stop()
