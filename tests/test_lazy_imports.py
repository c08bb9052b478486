"""`check` and `test` on the shipped config import only what they use: the libraries of the
daemon's other work (delivery, the store, fetching, scheduling, metrics) stay unloaded, which
is most of what start-up saves (bench/startup.py measures the time; this checks the cause).

Each command runs in a fresh interpreter, as an analyst runs it, and reports the modules
loaded when it exits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

CONFIG = ROOT / "config" / "monitor.yaml"
ARTICLE = ROOT / "tests" / "data" / "aleppo-article.txt"
# Needed by no command run on the shipped config (console channel, local feeds, no digest).
NEVER = (
    "apprise",
    "requests",
    "sqlalchemy",
    "alembic",
    "httpx",
    "httpcore",
    "apscheduler",
    "prometheus_client",
    "trafilatura",
    "bs4",
    "soupsieve",
    "feedparser",
    "rich",
    "monitor.store",
    "monitor.sources",
    "monitor.service",
    "monitor.alerts.channels",
    "jinja2",  # `test` prints the console's message without the template engine (report.py)
    "monitor.alerts.render",
)
# `check` and `test` end with os._exit (monitor/cli_startup.py): the probe reports there too.
_PROBE = """
import os, runpy, sys
def report(code):
    print("LOADED", sorted(m for m in {names!r} if m in sys.modules), "EXIT", code, flush=True)
quick_exit = os._exit
os._exit = lambda code: (report(code), quick_exit(code))
sys.argv = ["news-monitor", *sys.argv[1:]]
try:
    runpy.run_module("monitor", run_name="__main__")
except SystemExit as done:
    report(done.code)
"""


def _loaded(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(names=NEVER), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("LOADED")]
    assert lines, done.stdout + done.stderr
    return lines[-1]


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("check", "-c", str(CONFIG)),
        ("test", "-c", str(CONFIG), str(ARTICLE)),
    ],
    ids=["version", "check", "test"],
)
def test_commands_on_the_shipped_config_load_none_of_the_daemons_libraries(args):
    assert _loaded(*args) == "LOADED [] EXIT 0"


def test_a_channel_apprise_must_parse_still_loads_it_in_check(tmp_path):
    """Laziness never skips a check: an Apprise URL is still parsed by Apprise."""
    (tmp_path / "monitor.yaml").write_text(
        'channels:\n  ops: {url: "json://localhost:9/"}\nsources: []\nwatchlists: []\n',
        encoding="utf-8",
    )
    assert "'apprise'" in _loaded("check", "-c", str(tmp_path / "monitor.yaml"))


def test_a_channel_template_check_must_render_still_loads_jinja2(tmp_path):
    """`test` and `check` skip the template engine only where no template is to be tried:
    a channel's own template is still compiled and rendered by `check`."""
    (tmp_path / "t.j2").write_text("{{ alert.title }}\n", encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(
        'channels:\n  ops: {url: "console://", template: t.j2}\nsources: []\nwatchlists: []\n',
        encoding="utf-8",
    )
    assert "'jinja2'" in _loaded("check", "-c", str(tmp_path / "monitor.yaml"))


# What a daemon polling plain feeds never needs: Apprise (no Apprise channel), Beautiful Soup
# and trafilatura (no page extracted), feedparser (every feed reads on the fast path), Jinja2
# (nothing rendered until an alert is delivered).
POLL_NEVER = (
    "apprise",
    "requests",
    "smtplib",
    "bs4",
    "soupsieve",
    "trafilatura",
    "feedparser",
    "jinja2",
)
_POLL_PROBE = """
import asyncio, sys
from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store

config = load_config(sys.argv[1])
store = Store.open(config.state_url)
monitor = Monitor(config, store)

async def poll():
    try:
        return await monitor.poll_all()
    finally:
        await monitor.aclose()

cycle = asyncio.run(poll())
with store.engine.connect() as db:
    queued = db.exec_driver_sql("SELECT count(*) FROM alerts").scalar()
print("POLLED", cycle.polled, "FAILED", cycle.failed, "QUEUED", queued > 0)
print("LOADED", sorted(m for m in {names!r} if m in sys.modules))
"""


def test_a_poll_of_plain_feeds_loads_none_of_the_delivery_or_page_libraries(tmp_path):
    """The alerts are matched, assigned to stories and queued in the outbox: all of a poll's
    work is done, and none of it needs those libraries."""
    from tests.conftest import rss_feed, serving, write_config

    items = [
        {
            "title": f"Airstrike hits depot {n}",
            "link": f"https://news.example.org/{n}",
            "description": "An airstrike hit a fuel depot on Monday.",
        }
        for n in range(3)
    ]
    with serving() as server:
        for n in range(2):
            server.expect_request(f"/feed{n}.xml").respond_with_data(
                rss_feed(*items), content_type="application/rss+xml"
            )
        config = write_config(
            tmp_path,
            sources=[
                {"name": f"feed{n}", "feed": server.url_for(f"/feed{n}.xml")} for n in range(2)
            ],
            rules=[{"name": "strikes", "keywords": ["airstrike"]}],
        )
        done = subprocess.run(
            [sys.executable, "-c", _POLL_PROBE.format(names=POLL_NEVER), str(config)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=600,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    lines = done.stdout.splitlines()
    assert "POLLED 2 FAILED 0 QUEUED True" in lines, done.stdout + done.stderr
    assert lines[-1] == "LOADED []", done.stdout + done.stderr
