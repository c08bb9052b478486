"""The daemon's own timing: how soon an edit is applied and how soon a stop ends the process,
each beside a baseline measured in the same run. The tests check that these things happen
(waiting with generous ceilings); how soon is measured here.

1. Reload (README: a valid edit takes effect within 2 s): the time from an edit of the
   watchlist to the daemon's "configuration reloaded", beside the time from SIGHUP to the
   same line (the reload itself, without the file watcher and its debounce).
2. Stop (README: SIGINT/SIGTERM stop it cleanly within 10 s): the time from SIGTERM to the
   process's exit for an idle daemon (the baseline), for one whose source is mid-poll on a
   server dripping a byte a second, and for one whose channel send hangs on a server that
   never answers; and whether the stop took the clean path or the watchdog.

Everything runs on 127.0.0.1: `news-monitor run` in a child process, a feed server and a
silent server in this one. Each time is the median of a few runs where a run is cheap.

Run: make bench   (or: python bench/daemon_timing.py)
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CEILING = 60.0  # seconds to wait for anything before giving up
RUNS = 3
FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        b"<title>Ceasefire holds in Homs</title><link>https://e.org/1</link><guid>1</guid>"
        b"<description>Quiet.</description></item></channel></rss>")


class Feeds(BaseHTTPRequestHandler):
    """/feed.xml: one item; /drip.xml: a feed's first bytes, a byte a second for 10 min."""

    dripping = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        if self.path != "/drip.xml":
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)
            return
        self.end_headers()
        Feeds.dripping.set()
        try:
            for byte in FEED[:40] + b" " * 600:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass

    def log_message(self, *_args: object) -> None:
        pass


class Silent:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return
            self.accepted.set()


class Daemon:
    """`news-monitor run` with each stderr line noted with the time it arrived."""

    def __init__(self, config: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                                     cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.monotonic(), line))

    def count(self, text: str) -> int:
        return sum(text in line for _, line in self.lines)

    def when(self, text: str, nth: int) -> float:
        """The time the `nth` (1-based) line containing `text` arrived."""
        if not wait(lambda: self.count(text) >= nth):
            raise SystemExit(f"no {text!r} line (#{nth}) within {CEILING:g} s:\n"
                             + "".join(line for _, line in self.lines))
        return [at for at, line in self.lines if text in line][nth - 1]

    def stop(self) -> tuple[float, str]:
        """Seconds from SIGTERM to exit, and which path ended it."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=CEILING)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return CEILING, "killed"
        took = time.monotonic() - sent
        time.sleep(0.1)  # the reader thread takes the last lines
        if self.count("still not stopped"):
            return took, "watchdog"
        return took, "clean" if self.count("news-monitor stopped") else "?"


def wait(check: Callable[[], object]) -> bool:
    deadline = time.monotonic() + CEILING
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def write_config(folder: Path, sources: list[dict], channel: str = "console://",
                 rule: str = "Truce", **poll: str) -> Path:
    (folder / "watchlists").mkdir(parents=True, exist_ok=True)
    write_watchlist(folder / "watchlists" / "w.yaml", rule)
    config = {"state": "sqlite:///state/monitor.db", "health": {"listen": "127.0.0.1:0"},
              "sources": sources, "channels": {"out": {"url": channel, "group_wait": 0}},
              "watchlists": ["watchlists/*.yaml"], "poll": poll}
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def write_watchlist(path: Path, rule: str) -> None:
    path.write_text(yaml.safe_dump({"name": "w", "rules": [
        {"name": rule, "keywords": ["ceasefire"]}]}), encoding="utf-8")


def bench_reload(folder: Path, feeds: str) -> tuple[float, str]:
    """Median reload times after SIGHUP and after an edit; then the idle daemon's stop."""
    config = write_config(folder, [{"name": "F", "feed": f"{feeds}/feed.xml"}])
    daemon = Daemon(config)
    daemon.when("news-monitor running", 1)
    time.sleep(2)  # the file watcher starts a moment after the daemon says it runs
    by_signal, by_edit = [], []
    for run in range(RUNS):
        before = daemon.count("configuration reloaded")
        sent = time.monotonic()
        daemon.proc.send_signal(signal.SIGHUP)
        by_signal.append(daemon.when("configuration reloaded", before + 1) - sent)
        time.sleep(1)
        before = daemon.count("configuration reloaded")
        edited = time.monotonic()
        write_watchlist(folder / "watchlists" / "w.yaml", f"Truce {run}")
        by_edit.append(daemon.when("configuration reloaded", before + 1) - edited)
        time.sleep(1)
    sighup, edit = statistics.median(by_signal), statistics.median(by_edit)
    print(f"{'reload after SIGHUP (baseline)':<62}{1000 * sighup:10.0f}")
    print(f"{'reload after an edit of the watchlist':<62}{1000 * edit:10.0f}"
          f"   {edit / sighup:.1f}x the baseline; promise: 2,000")
    return daemon.stop()


def bench_stop(folder: Path, feeds: str, silent: Silent) -> list[tuple[str, float, str]]:
    drip = Daemon(write_config(folder / "drip", [{"name": "D", "feed": f"{feeds}/drip.xml"}],
                               timeout="20m"))
    if not wait(Feeds.dripping.is_set):
        raise SystemExit("the dripping source was never polled")
    drip.when("news-monitor running", 1)
    rows = [("a source mid-poll on a dripping server", *drip.stop())]
    hang = Daemon(write_config(folder / "hang", [{"name": "F", "feed": f"{feeds}/feed.xml"}],
                               channel=f"json://127.0.0.1:{silent.port}/hook?rto=600&cto=600"))
    if not silent.accepted.wait(CEILING):
        raise SystemExit("the hanging channel was never called")
    rows.append(("a channel send hanging", *hang.stop()))
    return rows


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feeds = f"http://127.0.0.1:{server.server_address[1]}"
    silent = Silent()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'':<62}{'ms':>10}")
        idle, path = bench_reload(Path(tmp) / "reload", feeds)
        print()
        print(f"{'stop after SIGTERM, idle daemon (baseline)':<62}{1000 * idle:10.0f}   {path}")
        for name, took, how in bench_stop(Path(tmp), feeds, silent):
            print(f"{'stop after SIGTERM, ' + name:<62}{1000 * took:10.0f}   {how}; "
                  f"{took / idle:.1f}x the baseline; promise: 10,000")
    server.shutdown()


if __name__ == "__main__":
    main()
