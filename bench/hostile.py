"""A good source's pace beside hostile ones: five good feeds polled every second by
`news-monitor run`, alone and then beside one attack source at a time, all in the same run.

Attacks (each new on every poll, so every poll meets it again):
- dead:  20 article links to a server that accepts connections and never answers;
- bombs: 5 article pages that are 1 GiB of zeros gzipped (1 MB on the wire);
- markup: item descriptions of "<a " repeated 14,000 times and an item holding "<![ 1 ]]>".

Prints, for each, the good feeds' successful polls in the window beside the run without an
attack, their ratio (target: at least 0.80) and the daemon's peak RSS (target: under
300 MB).

Run: make bench   (or: python bench/hostile.py [--seconds 30])
"""

from __future__ import annotations

import argparse
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD = 5

SERVER = r'''
import asyncio, sys, zlib
counts, polls = {}, {}
packer = zlib.compressobj(9, zlib.DEFLATED, 31)
BOMB = b"".join(packer.compress(bytes(1 << 20)) for _ in range(1024)) + packer.flush()
def feed(items):
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            + "".join(items) + "</channel></rss>").encode()
def item(key, title, link, description):
    return (f"<item><title>{title}</title><link>{link}</link><guid>{key}</guid>"
            f"<description>{description}</description></item>")
def body(path, n, port, dead):
    if path.startswith("/good/"):
        return feed([item(f"{path}-{n}", f"Airstrike report {n}", f"https://e.org{path}/{n}",
                          "An airstrike on Aleppo.")]), {}
    if path == "/dead.xml":
        return feed([item(f"d{n}-{i}", f"Story {n}-{i}", f"http://127.0.0.1:{dead}/{n}/{i}",
                          "x") for i in range(20)]), {}
    if path == "/bombs.xml":
        return feed([item(f"b{n}-{i}", f"Story {n}-{i}",
                          f"http://127.0.0.1:{port}/bomb/{n}/{i}", "x") for i in range(5)]), {}
    if path.startswith("/bomb/"):
        return BOMB, {"Content-Encoding": "gzip", "Content-Type": "text/html"}
    if path == "/markup.xml":
        stall = "&lt;a " * 14000
        return feed([item(f"m{n}", f"Story {n}", "https://e.org/m", stall),
                     item(f"p{n}", f"Poison {n}", "https://e.org/p", "&lt;![ 1 ]]&gt; x")]), {}
    return None, {}
async def handle(reader, writer, port, dead):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        if path == "/count":
            data = repr(counts).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        else:
            n = polls[path] = polls.get(path, 0) + 1
            data, headers = body(path, n, port, dead)
            if data is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            else:
                counts[path] = n
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
                writer.write(b"HTTP/1.1 200 OK\r\n" + extra
                             + b"Content-Length: %d\r\n\r\n" % len(data) + data)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
held = []
async def hold(reader, writer):
    held.append(writer)  # accept, never answer
async def main():
    dead = await asyncio.start_server(hold, "127.0.0.1", 0)
    dead_port = dead.sockets[0].getsockname()[1]
    ports = []
    server = await asyncio.start_server(lambda r, w: handle(r, w, ports[0], dead_port),
                                        "127.0.0.1", 0, backlog=512)
    ports.append(server.sockets[0].getsockname()[1])
    print(ports[0], flush=True)
    await server.serve_forever()
asyncio.run(main())
'''


def config(folder: Path, port: int, attack: str | None) -> Path:
    base = f"http://127.0.0.1:{port}"
    lines = ["state: sqlite:///state.db", "health: {enabled: false}",
             "channels: {console: {url: 'console://', group_wait: 0}}",
             "watchlists: [w.yaml]", "sources:"]
    lines += [f"  - {{name: good{n}, feed: '{base}/good/{n}.xml', interval: 1s}}"
              for n in range(GOOD)]
    if attack:
        lines.append(f"  - {{name: {attack}, feed: '{base}/{attack}.xml', interval: 1s, "
                     "fetch_article: true}")
    (folder / "w.yaml").write_text("name: w\nrules:\n  - {name: R, keywords: [airstrike]}\n")
    path = folder / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def window(attack: str | None, seconds: float) -> tuple[int, float]:
    """Successful polls of the good feeds in `seconds`, and the daemon's peak RSS (MB)."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE,
                              text=True)
    folder = Path(tempfile.mkdtemp(prefix="nm-hostile-"))
    try:
        port = int(server.stdout.readline())
        probe = ("import resource, signal, subprocess, sys\n"
                 "p = subprocess.Popen(sys.argv[1:])\n"
                 "signal.signal(signal.SIGTERM, lambda *_: p.send_signal(signal.SIGTERM))\n"
                 "p.wait()\n"
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        daemon = subprocess.Popen(
            [sys.executable, "-c", probe, sys.executable, "-m", "monitor", "-q", "run", "-c",
             str(config(folder, port, attack))], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        time.sleep(seconds)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=10) as resp:
            counts = eval(resp.read())  # noqa: S307 - our own server's repr of a dict
        daemon.send_signal(signal.SIGTERM)
        out = daemon.communicate(timeout=60)[0].strip().splitlines()
        peak = int(out[-1]) / 1024 if out and out[-1].isdigit() else float("nan")
        return sum(v for k, v in counts.items() if k.startswith("/good/")), peak
    finally:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    alone, alone_peak = window(None, args.seconds)
    print(f"{GOOD} good feeds alone: {alone} polls in {args.seconds:g}s, "
          f"peak {alone_peak:.0f} MB")
    worst = 1.0
    for attack in ("dead", "bombs", "markup"):
        polls, peak = window(attack, args.seconds)
        ratio = polls / alone if alone else 0.0
        worst = min(worst, ratio)
        print(f"  beside {attack:<6}: {polls} polls ({ratio:.2f} of alone; target >= 0.80), "
              f"peak {peak:.0f} MB (target < 300)")
    print(f"worst pace ratio {worst:.2f}: {'PASS' if worst >= 0.8 else 'FAIL'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    main()
