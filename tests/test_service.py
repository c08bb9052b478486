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

from tests.conftest import EVENT_CEILING, ROOT, rss_feed, run_cli, wait_until, write_config

ALERT_LINE = "Syrian army repel armed opposition’s advance in Aleppo"


def start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def read_until(proc: subprocess.Popen[str], needle: str, seconds: float,
               stream: str = "stdout") -> tuple[bool, str]:
    """Read the daemon's stdout (or stderr) until `needle` shows up or time runs out. Reads
    the raw pipe: a buffered readline would hide lines already read from the selector."""
    seen, deadline = b"", time.monotonic() + seconds
    fd = getattr(proc, stream).fileno()
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


def stop(proc: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    """Signal the daemon and wait for it to exit (within the ceiling); its code and the
    rest of its stderr."""
    proc.send_signal(signum)
    try:
        code = proc.wait(timeout=EVENT_CEILING)
    finally:
        proc.kill()
    return code, proc.stderr.read()


def alert_states(config: Path) -> set[str]:
    return set(json.loads(run_cli("status", "--json", "-c", str(config)).stdout)["alerts"])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_alerts_on_the_sample_and_stops_cleanly(bundled_config, signum):
    proc = start(bundled_config)
    found, out = read_until(proc, ALERT_LINE, EVENT_CEILING)
    code, err = stop(proc, signum)
    assert found, f"no alert; stdout:\n{out}\nstderr:\n{err}"
    assert code == 0, err
    assert "news-monitor stopped" in err  # the clean path, not the stop watchdog


def test_restarted_daemon_does_not_resend(bundled_config):
    proc = start(bundled_config)
    found, _ = read_until(proc, ALERT_LINE, EVENT_CEILING)
    # the rest of the sample's alerts go out too
    all_sent = wait_until(lambda: alert_states(bundled_config) == {"sent"}, every=0.5)
    stop(proc, signal.SIGTERM)
    assert found and all_sent
    assert alert_states(bundled_config) == {"sent"}
    proc = start(bundled_config)
    running, head = read_until(proc, "news-monitor running", EVENT_CEILING, "stderr")
    # nothing is due, and what is sent is not sent again: nothing may come out at all, so
    # this waits a while for the absence (a busy machine can only make that easier)
    again, out = read_until(proc, ALERT_LINE, 5)
    _, err = stop(proc, signal.SIGTERM)
    assert running, head + err
    assert not again, out
    assert "not sent again" in head + err


def test_daemon_stops_cleanly_while_a_source_is_dripping(site, tmp_path):
    """The drip lasts ten minutes and the poll's timeout is longer: a stop that waited for
    the poll would end only by the watchdog, without "news-monitor stopped"."""
    from tests.test_hostile import drip

    site.handlers["/drip.xml"] = drip
    site.feeds["/good.xml"] = rss_feed({"title": "Airstrikes on Aleppo", "link":
                                        "https://e.org/1", "description": "airstrike"})
    config = write_config(tmp_path, poll={"timeout": "20m"},
                          sources=[{"name": "drip", "feed": site.url("/drip.xml")},
                                   {"name": "good", "feed": site.url("/good.xml")}])
    proc = start(config)
    found, out = read_until(proc, "Airstrikes on Aleppo", EVENT_CEILING)
    dripping = wait_until(lambda: any(path == "/drip.xml" for path, _ in site.requests))
    code, err = stop(proc, signal.SIGTERM)
    assert found and dripping, out + err
    assert code == 0 and "news-monitor stopped" in err, err


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
