"""The daemon as `make run` starts it: it alerts on the bundled sample offline, stops cleanly
on SIGTERM and SIGINT, and a restart sends nothing again."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, rss_feed, run_cli, write_config

ALERT_LINE = "Syrian army repel armed opposition’s advance in Aleppo"


def start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def read_until(proc: subprocess.Popen[str], needle: str, seconds: float) -> tuple[bool, str]:
    """Read the daemon's stdout until `needle` shows up or time runs out. Reads the raw pipe:
    a buffered readline would hide lines already read from the selector."""
    seen, deadline = b"", time.monotonic() + seconds
    fd = proc.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                seen += chunk
                if needle.encode() in seen:
                    return True, seen.decode(errors="replace")
    finally:
        selector.close()
    return False, seen.decode(errors="replace")


def stop(proc: subprocess.Popen[str], signum: int) -> tuple[float, int, str]:
    began = time.monotonic()
    proc.send_signal(signum)
    try:
        code = proc.wait(timeout=15)
    finally:
        proc.kill()
    return time.monotonic() - began, code, proc.stderr.read()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_alerts_on_the_sample_within_30s_and_stops_cleanly(bundled_config, signum):
    proc = start(bundled_config)
    began = time.monotonic()
    found, out = read_until(proc, ALERT_LINE, 30)
    took = time.monotonic() - began
    elapsed, code, err = stop(proc, signum)
    assert found, f"no alert within 30 s; stdout:\n{out}\nstderr:\n{err}"
    assert took < 30
    assert elapsed < 10 and code == 0, err
    assert "stopped" in err


def test_restarted_daemon_does_not_resend(bundled_config):
    proc = start(bundled_config)
    found, _ = read_until(proc, ALERT_LINE, 30)
    read_until(proc, "no such line", 3)  # let the rest of the sample's alerts go out
    stop(proc, signal.SIGTERM)
    assert found
    status = run_cli("status", "--json", "-c", str(bundled_config))
    assert set(json.loads(status.stdout)["alerts"]) == {"sent"}
    proc = start(bundled_config)
    again, out = read_until(proc, ALERT_LINE, 5)
    _, _, err = stop(proc, signal.SIGTERM)
    assert not again, out
    assert "not sent again" in err


def test_daemon_stops_promptly_even_while_a_source_is_dripping(site, tmp_path):
    from tests.test_hostile import drip

    site.handlers["/drip.xml"] = drip
    site.feeds["/good.xml"] = rss_feed({"title": "Airstrikes on Aleppo", "link":
                                        "https://e.org/1", "description": "airstrike"})
    config = write_config(tmp_path, poll={"timeout": "60s"},
                          sources=[{"name": "drip", "feed": site.url("/drip.xml")},
                                   {"name": "good", "feed": site.url("/good.xml")}])
    proc = start(config)
    found, out = read_until(proc, "Airstrikes on Aleppo", 20)
    elapsed, code, err = stop(proc, signal.SIGTERM)
    assert found, out + err
    assert elapsed < 10 and code == 0, err


def test_a_reload_keeps_the_running_objects_of_unchanged_sources(tmp_path):
    from monitor.config import load_config
    from monitor.service import _reuse_sources

    feeds = [{"name": f"feed {i}", "feed": f"https://news.example.org/{i}.xml"}
             for i in range(3)]
    running = load_config(write_config(tmp_path, sources=feeds))
    feeds[1]["feed"] = "https://news.example.org/moved.xml"
    feeds.append({"name": "feed 3", "feed": "https://news.example.org/3.xml"})
    new = _reuse_sources(load_config(write_config(tmp_path, sources=feeds)),
                         {s.name: s for s in running.sources})
    was = {s.name: s for s in running.sources}
    assert [s.name for s in new.sources] == ["feed 0", "feed 1", "feed 2", "feed 3"]
    assert new.sources[0] is was["feed 0"] and new.sources[2] is was["feed 2"]
    assert new.sources[1] is not was["feed 1"]
    assert new.sources[1].location == "https://news.example.org/moved.xml"
