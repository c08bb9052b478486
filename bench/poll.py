"""Polling throughput: 2,000 feeds on a local server, polled by the daemon's own pipeline
(claim state, fetch, hash, parse when changed, dedupe, record) — once for a mix where the
server answers 304 Not Modified, once for a mix of 200s whose bodies mostly did not change
(one feed in ten gains an item per round, and only those are parsed).

Prints polls per second and CPU seconds per 1,000 polls for each mix, for the client as
shipped, with a full keep-alive pool (one idle connection kept per slot, as httpx does by
default) and without keep-alive, all measured in the same run.
Target: 500 polls/s on 2 cores. The server runs in its own process; its CPU is not counted
in the client's figure but shares the machine.

Then the cost of new entries: every feed gains 20 new items at once (after a first poll
that recorded its archive), matched against --rules rules (a few fire on each item, so the
outbox fills), then one unchanged poll (304). Once with near-identical headlines ("Story
412-7: talks resume in Geneva", the shape of live coverage that numbers its updates) and
once with varied ones: story assignment must not grow with the number of entries seen, so
the two stay within 20% of each other (PASS/MISS). --profile FILE writes a cProfile of the
varied new-items poll.

Run: make bench   (or: python bench/poll.py [--feeds 2000] [--rules 1000] [--only new])
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER = r'''
import asyncio, random, sys
FEEDS, MODE, HEADLINES, RULES = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
rounds, versions = {}, {}
VOCABULARY = [a + b + c for a in ("bor", "cal", "dem", "fen", "gol", "har", "kil", "lum",
              "mar", "nor", "pel", "ros", "sal", "tor", "val", "wen") for b in ("ad", "ek",
              "in", "ov", "um", "is", "ar", "en", "ik", "ul") for c in ("a", "o", "er", "is",
              "an", "et", "ia", "on", "us", "ix")]
def title(n, i):
    if HEADLINES == "alike":
        return f"Story {n}-{i}: talks resume in Geneva"
    k = n * 20 + i  # six words of 1,600: two headlines share four of them next to never
    return " ".join(w.capitalize() for w in random.Random(k).sample(VOCABULARY, 6)) + f" {k}"
def text(n, i):
    k = n * 20 + i  # three of the rules' terms: a few rules fire on every item
    terms = " ".join(f"term{(k * p) % RULES}" for p in (3, 17, 41)) if RULES else ""
    return f"Delegations met again on Monday as envoys pressed for a ceasefire. {terms}"
def body(n, extra):
    items = "".join(
        f"<item><title>{title(n, i)}</title>"
        f"<link>https://news{n % 50}.example.org/{n}/{i}</link>"
        f"<guid>https://news{n % 50}.example.org/{n}/{i}</guid>"
        f"<description>{text(n, i)}</description></item>" for i in range(extra, extra + 20))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
            f"<link>https://news{n % 50}.example.org/</link>{items}</channel></rss>").encode()
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            seen = rounds.get(n, 0)
            rounds[n] = seen + 1
            if MODE == "200" and seen and n % 10 == seen % 10:
                versions[n] = versions.get(n, 0) + 1  # one feed in ten gains an item
            if MODE == "new" and seen == 1:
                versions[n] = 20  # every feed gains 20 items at once
            if MODE in ("304", "new") and seen != 1 and b"if-none-match" in head.lower():
                writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v"\r\n'
                             b"Content-Length: 0\r\n\r\n")
            else:
                b = body(n, versions.get(n, 0))
                etag = b'ETag: "v"\r\n' if MODE in ("304", "new") else b""
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + etag
                             + b"Content-Length: " + str(len(b)).encode() + b"\r\n\r\n" + b)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
'''


def write_config(folder: Path, port: int, feeds: int, rules: int) -> Path:
    lines = ["state: sqlite:///state.db", "poll: {concurrency: 50, per_host: 50, timeout: 120s}",
             "channels: {console: {url: 'console://'}, log: {url: 'console://'}}",
             "watchlists: [w.yaml]", "sources:"]
    lines += [f"  - {{name: f{n}, feed: 'http://127.0.0.1:{port}/feed/{n}.xml'}}"
              for n in range(feeds)]
    watch = ["name: w", "notify: [console, log]", "rules:",
             "  - {name: R, keywords: [airstrike]}"]
    watch += [f"  - {{name: R{k}, keywords: [term{k}, 'barrel bomb {k}']}}"
              for k in range(rules)]
    (folder / "w.yaml").write_text("\n".join(watch) + "\n")
    path = folder / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def rounds(config_path: Path, keepalive: int | None, count: int,
                 profile: tuple[int, str] | None = None) -> list[tuple[float, float]]:
    """Poll every source `count` times; (seconds, client CPU seconds) per round. With
    `profile` (round, file), that round runs under cProfile, its stats written to file."""
    import cProfile

    import monitor.sources.fetch as fetch_module
    from monitor.config import load_config
    from monitor.service import Monitor
    from monitor.store import Store

    real = fetch_module.make_client

    def client(**kw):
        made = real(**kw)
        if keepalive is not None:  # httpcore's pool setting: idle connections kept
            made._transport._pool._max_keepalive_connections = keepalive
        return made

    fetch_module.make_client = client
    config = load_config(config_path)
    monitor = Monitor(config, Store.open(config.state_url))
    timings = []
    try:
        for number in range(count):
            profiler = cProfile.Profile() if profile and profile[0] == number else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            cycle = await monitor.poll_all()
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile[1])
            assert cycle.failed == 0, f"{cycle.failed} polls failed"
            timings.append((time.perf_counter() - wall, time.process_time() - cpu))
    finally:
        await monitor.aclose()
        fetch_module.make_client = real
    return timings


def measure(mode: str, keepalive: int | None, feeds: int, headlines: str = "alike",
            rules: int = 0, profile: str | None = None) -> list[tuple[float, float]]:
    """(polls/s, CPU s per 1,000 polls) of each of three rounds over every feed."""
    folder = Path(tempfile.mkdtemp(prefix="nm-bench-"))
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(feeds), mode, headlines,
                               str(rules)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        timings = asyncio.run(rounds(write_config(folder, port, feeds, rules), keepalive, 3,
                                     (1, profile) if profile else None))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return [(feeds / wall, cpu / feeds * 1000) for wall, cpu in timings]


def steady(timings: list[tuple[float, float]]) -> tuple[float, float]:
    """Rounds 2-3 (round 1 fills the state: the first parse of every feed)."""
    rate = 2 / sum(1 / r for r, _ in timings[1:])
    return rate, sum(c for _, c in timings[1:]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--only", choices=("mixes", "new"),
                        help="only the 304/200 mixes, or only the new-entries runs")
    args = parser.parse_args()
    feeds = args.feeds
    print(f"{feeds:,} feeds on a local server, {os.cpu_count()} cores; "
          f"concurrency 50; steady-state rounds after one warm-up round")
    if args.only != "new":
        mixes(feeds)
    if args.only != "mixes":
        new_entries(feeds, args.rules, args.profile)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the polling process: {peak:.0f} MB")


def mixes(feeds: int) -> None:
    print(f"{'mix':>6} {'idle connections kept':>24} {'polls/s':>9} {'CPU s/1000 polls':>17}")
    pools = {"as shipped": None, "50 (httpx-style)": 50, "8": 8}
    results = {}
    for mode in ("304", "200"):
        for label, keepalive in pools.items():
            rate, cpu = steady(measure(mode, keepalive, feeds))
            results[(mode, label)] = rate
            print(f"{mode:>6} {label:>24} {rate:9.0f} {cpu:17.2f}")
    for mode in ("304", "200"):
        base = results[(mode, "50 (httpx-style)")]
        shipped = results[(mode, "as shipped")]
        print(f"{mode} mix: as shipped {shipped:.0f} polls/s, {shipped / base:.2f}x a full "
              f"keep-alive pool")


def new_entries(feeds: int, rules: int, profile: str | None) -> None:
    print(f"\nnew entries: {feeds:,} feeds x 20 new items, {rules:,} rules, "
          f"2 channels; then one unchanged poll (304)")
    print(f"{'headlines':>10} {'poll':>12} {'polls/s':>9} {'CPU s/1000 polls':>17}")
    new = {}
    for headlines in ("varied", "alike"):
        timings = measure("new", None, feeds, headlines, rules,
                          profile if headlines == "varied" else None)
        new[headlines] = timings[1]
        for label, (rate, cpu) in (("first poll", timings[0]), ("20 new", timings[1]),
                                   ("unchanged", timings[2])):
            print(f"{headlines:>10} {label:>12} {rate:9.0f} {cpu:17.2f}")
    ratio = new["alike"][1] / new["varied"][1]
    print(f"near-identical headlines cost {ratio:.2f}x varied ones per new-items poll "
          f"(target within 20%): {'PASS' if 0.8 <= ratio <= 1.2 else 'MISS'}")


if __name__ == "__main__":
    main()
