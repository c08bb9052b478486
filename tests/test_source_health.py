"""Source health as alerts, end to end: a real feed server stopped and started again, polled
by the real Monitor (a fake clock, so backoff and rate limits take no time) or by the
daemon, and a real HTTP receiver behind the json:// admin channel counting the messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest
from prometheus_client import generate_latest
from werkzeug import Response

from tests.conftest import Daemon, rss_feed, run_cli, wait_until
from tests.healthkit import T0, Clock, Feed, Run, config_for, messages, tidy, titles


@pytest.fixture
def feed() -> Iterator[Feed]:
    f = Feed()
    try:
        yield f
    finally:
        f.stop()


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
        metrics = generate_latest(run.monitor.metrics.registry).decode()
        for event in ("failing", "recovered"):
            assert f'news_monitor_health_notices_total{{event="{event}"}} 1.0' in metrics
    finally:
        run.close()


def test_once_run_failing_after_times_against_a_stopped_feed_tells_admin_once(feed, site,
                                                                            tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}])
    assert run_cli("once", "-c", str(config)).returncode == 0
    feed.stop()
    for _ in range(4):
        assert run_cli("once", "-c", str(config)).returncode == 0
    assert titles(site) == ["Source Wire failing"]
    feed.start()
    for _ in range(2):
        assert run_cli("once", "-c", str(config)).returncode == 0
    assert titles(site) == ["Source Wire failing", "Source Wire recovered"]


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
            f.stop()


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


def test_a_failure_message_keeps_the_secrets_of_the_source_url_out(feed, site, tmp_path):
    secret = f"{feed.url}?token=S3cretFeedToken99"
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": secret}])
    run = Run(config, Clock())
    try:
        run.poll()
        feed.stop()
        for _ in range(3):
            run.poll()
        [failing] = messages(site)
        assert f"{feed.url} answers" in failing["message"]
        assert "S3cretFeedToken99" not in str(site.posts)
    finally:
        run.close()
