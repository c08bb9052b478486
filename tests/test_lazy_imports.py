"""`check` and `test` on the shipped config import only what they use: the libraries of the
daemon's other work (delivery, the store, fetching, scheduling, metrics) stay unloaded, which
is most of what start-up saves (bench/startup.py measures the time; this checks the cause).

Each command runs in a fresh interpreter, as an analyst runs it, and reports the modules
loaded when it exits."""

from __future__ import annotations

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
