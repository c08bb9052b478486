"""Running it as a service: hot reload (file edits and SIGHUP), health and metrics, logs
without secrets, retention."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.daemon import run_forever
from monitor.records import Alert, Entry, Poll, Seen, Snippet
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import (
    EVENT_CEILING,
    ROOT,
    Daemon,
    edit_until_logged,
    free_port,
    rss_feed,
    run_cli,
    write_config,
)

A = {"title": "Talks resume in Geneva", "link": "https://e.org/a", "description": "Envoys met."}
B = {"title": "Ceasefire holds in Homs", "link": "https://e.org/b", "description": "Quiet."}
C = {"title": "Ceasefire broken near Hama", "link": "https://e.org/c", "description": "Shots."}
D = {"title": "Ceasefire talks stall again", "link": "https://e.org/d", "description": "No."}


def watchlist(path: Path, rules: list[dict]) -> None:
    path.write_text(yaml.safe_dump({"name": "test-watch", "rules": rules}), encoding="utf-8")


def test_edits_take_effect_and_invalid_edits_keep_the_old_rules(site, tmp_path):
    """A valid edit (or SIGHUP) is applied and the next poll matches by the new rules; an
    invalid one is refused with its place and the old rules go on matching. Each step
    waits for the daemon to say so (tests/conftest.py, EVENT_CEILING)."""
    site.feeds["/f.xml"] = rss_feed(A)
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml"),
                                              "interval": "1s"}],
                          rules=[{"name": "Fighting", "places": ["Aleppo"],
                                  "keywords": ["airstrike"]}])
    wl = tmp_path / "watchlists" / "test.yaml"

    def truce() -> None:
        watchlist(wl, [{"name": "Truce", "keywords": ["ceasefire"]}])

    def invalid() -> None:
        wl.write_text("name: test-watch\nrules:\n  - {name: Truce, keywrods: [x]}\n")

    daemon = Daemon(config)
    try:
        assert daemon.wait_for("news-monitor running", EVENT_CEILING), daemon.err.decode()
        assert edit_until_logged(daemon, truce, "configuration reloaded"), daemon.err.decode()
        site.feeds["/f.xml"] = rss_feed(B, A)
        assert daemon.wait_for(r"\[normal\] Truce", EVENT_CEILING, "out"), daemon.out.decode()

        assert edit_until_logged(daemon, invalid, "config reload refused"), daemon.err.decode()
        assert re.search(r"config reload refused: .*test\.yaml:3:\d+: unknown key 'keywrods'",
                         daemon.err.decode()), daemon.err.decode()
        site.feeds["/f.xml"] = rss_feed(C, B, A)
        assert daemon.wait_for("Ceasefire broken near Hama", EVENT_CEILING, "out"), \
            daemon.out.decode()

        assert edit_until_logged(daemon, truce, "configuration reloaded"), daemon.err.decode()
        before = daemon.err.count(b"configuration reloaded")
        daemon.proc.send_signal(signal.SIGHUP)
        assert daemon.wait_for(f"(?s)({'configuration reloaded.*' * (before + 1)})",
                               EVENT_CEILING), "SIGHUP did not reload"
        site.feeds["/f.xml"] = rss_feed(D, C, B, A)
        assert daemon.wait_for("Ceasefire talks stall again", EVENT_CEILING, "out"), \
            daemon.out.decode()
    finally:
        daemon.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_metrics_and_health_and_healthz_fails_when_the_scheduler_stops(site, tmp_path):
    site.feeds["/f.xml"] = rss_feed({"title": "Airstrikes on Aleppo", "link": "https://e.org/1",
                                     "description": "airstrike"})
    port = free_port()
    config = load_config(write_config(tmp_path, sources=[{"name": "F",
                                                          "feed": site.url("/f.xml")}],
                                      health={"listen": f"127.0.0.1:{port}"}))
    monitor = Monitor(config, Store.open(config.state_url))
    base = f"http://127.0.0.1:{port}"

    async def scenario() -> dict:
        stop = asyncio.Event()
        runner = asyncio.create_task(run_forever(monitor, stop))
        deadline = time.monotonic() + EVENT_CEILING  # until the alert is out
        while not monitor.store.alert_counts().get("sent") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        results = {"sent": monitor.store.alert_counts().get("sent"),
                   "healthz": await asyncio.to_thread(get, base + "/healthz"),
                   "readyz": await asyncio.to_thread(get, base + "/readyz"),
                   "metrics": await asyncio.to_thread(get, base + "/metrics")}
        from tests.test_deploy import healthcheck_command

        dockerfile = (ROOT / "Dockerfile").read_text()
        check = await asyncio.to_thread(subprocess.run, healthcheck_command(
            dockerfile, port=port, python=sys.executable), capture_output=True,
            timeout=EVENT_CEILING)
        results["image healthcheck"] = check.returncode
        monitor.scheduler.pause()  # the scheduler stops running jobs
        check = await asyncio.to_thread(subprocess.run, healthcheck_command(
            dockerfile, port=port, python=sys.executable), capture_output=True,
            timeout=EVENT_CEILING)
        results["image healthcheck, stopped"] = check.returncode
        results["stopped"] = await asyncio.to_thread(get, base + "/healthz")
        stop.set()
        await runner
        return results

    results = asyncio.run(scenario())
    assert results["sent"] == 1, results
    assert results["healthz"][0] == 200 and results["readyz"][0] == 200
    assert results["stopped"] == (503, "scheduler not running\n")
    assert results["image healthcheck"] == 0 and results["image healthcheck, stopped"] == 1
    metrics = results["metrics"][1]
    for series in ('news_monitor_polls_total{outcome="ok",source="F"} 1.0',
                   'news_monitor_entries_total{source="F"} 1.0',
                   'news_monitor_matches_total{rule="Fighting in Aleppo",watchlist="test-watch"}',
                   'news_monitor_alerts_total{state="sent"} 1.0',
                   "news_monitor_outbox_pending 0.0", "news_monitor_outbox_oldest_age_seconds",
                   "news_monitor_poll_seconds_bucket", "news_monitor_match_seconds_count",
                   "news_monitor_config_reload_ok 1.0"):
        assert series in metrics, series


def test_no_log_line_contains_slack_or_smtp_credentials(site, tmp_path, mailbox):
    site.feeds["/f.xml"] = rss_feed({"title": "Airstrikes on Aleppo", "link": "https://e.org/1",
                                     "description": "airstrike"})
    slack = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#alerts"
    smtp = (f"mailto://desk:Sup3rS3cretPw@127.0.0.1:{free_port()}"
            "?from=monitor@example.org&to=desk@example.org")
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}],
                          channels={"slack": slack, "mail": smtp})
    for fmt in ("text", "json"):
        result = run_cli("-vv", "--log-format", fmt, "once", "-c", str(config))
        logs = result.stdout + result.stderr
        assert "not delivered" in logs or "retry" in logs  # both targets fail here
        for secret in ("TIiajkdnlazkcOXrIdevi7", "A1BRTD4JD", "Sup3rS3cretPw"):
            assert secret not in logs, f"{secret} leaked in {fmt} logs"


def test_retention_forgets_old_entries_and_finished_alerts(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    store.sync_sources([("S", "feed", "https://e.org/f")], now)
    alert = Alert("w", "R", "normal", "T", "https://e.org/1", "S", now, Snippet("x"), ())
    old = now - timedelta(days=200)
    for key, when in (("old", old), ("new", now)):
        entry = Entry("S", key, f"https://e.org/{key}", "T", "x")
        store.record_poll(Poll("S", when, entries=(entry,)),
                          [Seen(entry, f"story-{key}", "x", (("c", alert),))], now)
    store.mark_sent([i.id for i in store.claim_alerts(now, timedelta(seconds=30))], now)
    assert store.prune_entries(now - timedelta(days=180)) == 1
    assert store.unseen("S", ["old", "new"]) == {"old"}
    assert store.alert_counts() == {"sent": 1}


def test_problems_of_successful_polls_are_counted_per_source():
    from prometheus_client import generate_latest

    from monitor.health import Metrics

    metrics = Metrics()
    metrics.sources.polled("S", "ok", problems=2)
    metrics.sources.polled("S", "ok")
    scraped = generate_latest(metrics.registry).decode()
    assert 'news_monitor_poll_problems_total{source="S"} 2.0' in scraped
    assert 'news_monitor_polls_total{outcome="ok",source="S"} 2.0' in scraped
