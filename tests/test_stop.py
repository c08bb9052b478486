"""Stop means stop, and reload never dies: SIGTERM ends the daemon whatever a worker thread is
doing, and an edit that cannot be used is refused, reported, and followed by the next one."""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from werkzeug import Response

from tests.conftest import (
    EVENT_CEILING,
    Daemon,
    edit_until_logged,
    free_port,
    rss_feed,
    run_cli,
    wait_until,
    write_config,
)

STORY = {"title": "Airstrikes hit Aleppo", "link": "https://e.org/1",
         "description": "An airstrike on Aleppo."}
RULES = [{"name": "Fighting in Aleppo", "places": ["Aleppo"], "keywords": ["airstrike"]}]


def test_sigterm_while_a_channel_send_hangs_ends_the_process(site, tmp_path, silent_server):
    site.feeds["/f.xml"] = rss_feed(STORY)
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}],
                          rules=RULES, channels={"desk": f"json://127.0.0.1:{silent_server.port}"
                                                         "/hook?rto=600&cto=600"})
    daemon = Daemon(config)
    try:
        assert daemon.wait_for("1 alerts queued", EVENT_CEILING), daemon.err.decode()
        assert silent_server.accepted.wait(EVENT_CEILING), "the channel was never called"
        daemon.proc.send_signal(signal.SIGTERM)
        # The send would hang for ten minutes, far past the ceiling: a process that waited
        # for it would still be running when the ceiling is reached.
        daemon.proc.wait(timeout=EVENT_CEILING)
    finally:
        daemon.stop()
    log = daemon.err.decode()
    assert "SIGTERM received: stopping" in log
    assert daemon.proc.returncode == 0, log


def readyz(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.read().decode()


def nested(depth: int) -> str:
    return "(" * depth + "airstrike" + ")" * depth


SLOW = ("{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}"
        "{% endfor %}")


def _slow_template(config: Path) -> Path:
    """A template of 10^10 loop iterations, next to the config."""
    path = config.parent / "slow.j2"
    path.write_text(SLOW)
    return path


INVALID_EDITS = {
    "deep query": lambda wl, cfg: wl.write_text(yaml.safe_dump({"name": "test-watch", "rules": [
        {"name": "Deep", "query": nested(400)}]})),
    "bad term": lambda wl, cfg: wl.write_text(yaml.safe_dump({"name": "test-watch", "rules": [
        {"name": "Dots", "keywords": [".*"]}]})),
    "slow template": lambda wl, cfg: cfg.write_text(cfg.read_text().replace(
        "url: console://", f"url: console://\n    template: {_slow_template(cfg)}")),
    "bad channel url": lambda wl, cfg: cfg.write_text(
        cfg.read_text().replace("url: console://", "url: 'json://'")),
}


def test_every_invalid_edit_is_refused_and_the_next_valid_one_applied(site, tmp_path):
    """One daemon meets each kind of invalid edit in turn; after each, /readyz says it was
    refused, and the valid edit that follows is applied."""
    site.feeds["/f.xml"] = rss_feed(STORY)
    port = free_port()
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml"),
                                              "interval": "1s"}], rules=RULES,
                          health={"listen": f"127.0.0.1:{port}"})
    original = config.read_text()
    wl = tmp_path / "watchlists" / "test.yaml"
    daemon = Daemon(config)
    try:
        assert daemon.wait_for("news-monitor running", EVENT_CEILING), daemon.err.decode()
        for number, (edit, make) in enumerate(INVALID_EDITS.items(), start=1):
            assert edit_until_logged(daemon, functools.partial(make, wl, config),
                                     "keeping the running configuration"), (
                edit, daemon.err.decode())
            assert "config reload refused" in readyz(port), edit

            def valid(n: int = number) -> None:
                config.write_text(original)
                wl.write_text(yaml.safe_dump({"name": "test-watch", "rules": [
                    {"name": f"Truce {n}", "keywords": ["airstrike"]}]}))

            assert edit_until_logged(daemon, valid, "configuration reloaded"), (
                edit, daemon.err.decode())
            assert "refused" not in readyz(port), edit
        assert "Traceback" not in daemon.err.decode()
        assert daemon.proc.poll() is None
    finally:
        daemon.stop()


@pytest.mark.parametrize("rule", [{"name": "Deep", "query": nested(400)},
                                  {"name": "Dots", "keywords": [".*"]}])
def test_check_and_once_refuse_what_reload_refuses(tmp_path, rule):
    config = write_config(tmp_path, sources=[], rules=[rule])
    outputs = []
    for command in ("check", "once"):
        result = run_cli(command, "-c", str(config))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "test.yaml:" in result.stderr  # located in the watchlist
        outputs.append(result.stderr)
    assert outputs[0] == outputs[1]


def _status(config: Path) -> dict:
    return json.loads(run_cli("status", "--json", "-c", str(config)).stdout)


def test_a_parse_that_overruns_its_deadline_is_the_sources_error(site, tmp_path):
    # Not well-formed (a bare "&"), so feedparser's loose parser reads it, and full of tags:
    # about 2 s a megabyte here, linear; 4 MB stays well over the 0.2 s deadline anywhere.
    items = "".join(f"<item><title>t{i} &amp bad</title><link>https://e.org/{i}</link>"
                    f"<description>{'<b>w</b> ' * 2000}</description></item>"
                    for i in range(240))
    site.feeds["/slow.xml"] = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T'
                               f'</title>{items}</channel></rss>').encode()
    site.feeds["/good.xml"] = rss_feed(STORY)
    config = write_config(tmp_path, sources=[{"name": "slow", "feed": site.url("/slow.xml")},
                                             {"name": "good", "feed": site.url("/good.xml")}],
                          rules=RULES, poll={"parse_timeout": "0.2s", "max_bytes": "20MB"})
    result = run_cli("once", "-c", str(config), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Airstrikes hit Aleppo" in result.stdout  # the good source alerts regardless
    errors = {s["source"]: s["last_error"] for s in _status(config)["sources"]}
    assert errors["slow"] == "parsing took longer than 0.2s", errors
    assert errors["good"] is None


def test_sigterm_during_a_reload_stuck_in_a_template_ends_the_process(site, tmp_path):
    site.feeds["/f.xml"] = rss_feed(STORY)
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}],
                          rules=RULES)
    daemon = Daemon(config)
    try:
        assert daemon.wait_for("news-monitor running", EVENT_CEILING), daemon.err.decode()
        INVALID_EDITS["slow template"](tmp_path / "watchlists" / "test.yaml", config)
        daemon.proc.send_signal(signal.SIGHUP)  # the reload starts rendering the loop
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.proc.wait(timeout=EVENT_CEILING)  # the loop alone would run for hours
    finally:
        daemon.stop()
    assert "SIGTERM received: stopping" in daemon.err.decode()


def _slow_feed(megabytes: int) -> bytes:
    """Not well-formed and full of tags: feedparser's loose parser reads it at about 2 s a
    megabyte here, in a worker thread Python cannot stop."""
    item = ("<item><title>t &amp bad</title><link>https://e.org/x</link><description>"
            + "<b>w</b> " * 2000 + "</description></item>")
    count = megabytes * 1_000_000 // len(item)
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            + item * count + "</channel></rss>").encode()


def _serve_then_note(body: bytes, served: threading.Event):
    """A handler sending `body` a megabyte at a time, and setting `served` once the last
    megabyte has been written to the client."""
    def handler(_request) -> Response:
        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), 1 << 20):
                yield body[start:start + (1 << 20)]
            served.set()
        return Response(chunks(), content_type="application/rss+xml")
    return handler


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux /proc): it grows with the work done,
    however busy the machine is."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sigterm_during_a_long_parse_ends_the_process_by_the_clean_path(site, tmp_path):
    """The parse runs in a worker thread Python cannot stop (20 to 40 s of parsing here);
    the daemon must not wait for it. Had it waited, the watchdog would end the process
    without the clean path's "news-monitor stopped"."""
    served = threading.Event()
    site.handlers["/slow.xml"] = _serve_then_note(_slow_feed(20), served)
    config = write_config(tmp_path, sources=[{"name": "slow", "feed": site.url("/slow.xml")}],
                          rules=RULES, poll={"max_bytes": "25MB", "parse_timeout": "10m",
                                             "timeout": "10m"})
    daemon = Daemon(config)
    try:
        assert served.wait(EVENT_CEILING), "the slow feed was never fetched"
        # reading what is left of the body costs a fraction of a CPU second; a second more
        # means the parse is under way
        used = _cpu_seconds(daemon.proc.pid)
        assert wait_until(lambda: _cpu_seconds(daemon.proc.pid) > used + 1), "no parse"
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.proc.wait(timeout=EVENT_CEILING)
    finally:
        daemon.stop()
    log = daemon.err.decode()
    assert "SIGTERM received: stopping" in log and "news-monitor stopped" in log, log
    assert daemon.proc.returncode == 0, log
