"""news-monitor against a peer, lemon24/reader, on the same local feeds.

Both poll the same N feeds (default 2,000) served by a local HTTP server in its own process
(its CPU is not counted): a first poll where every feed lists 20 new items, then unchanged
polls, twice answered 304 Not Modified and twice 200 with the same body (a server that
ignores the conditional request). Each tool runs in its own fresh process, so their peak RSS
is comparable; CPU is the tool process's own (user + system, every thread).

- news-monitor is driven the way the daemon polls: `Monitor.poll_all()` over its own store
  (SQLite), with --rules generated rules in one watchlist routed to two channels; a few rules
  fire on every item, so the outbox fills as it does in service. Items are dated a few
  minutes before the run, so a first poll matches and alerts them (undated ones would be
  recorded only).
- reader is used the way its documentation says: `make_reader` on an SQLite file,
  `add_feed` for each feed, `update_feeds(scheduled=False, workers=W)` (every feed, due or
  not, as `poll_all` does). W is --reader-workers, default 16: of 1, 4 and 16 at 200 feeds
  it was the fastest (polls/s 35 / 32 / 35 on the first poll, 205 / 199 / 223 at 304,
  41 / 39 / 41 at 200 with the same body; 2 cores); its CPU per poll hardly changes.

Prints CPU seconds per 1,000 polls of each kind and peak RSS, side by side, and whether
news-monitor is within the targets (CPU at most reader's on every kind, peak RSS at most
1.5x reader's).

Run: make bench   (or: python bench/peer.py [--feeds 2000] [--rules 1000])
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOST = "127.0.0.2"
KINDS = ("first poll, 20 new items", "unchanged: 304", "unchanged: 200, same body")
ROUNDS = (0, 1, 1, 2, 2)  # the kind of each poll round, in order

SERVER = r"""
import asyncio, random, sys
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
HOST, FEEDS, RULES = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
WHEN = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=10))
VOCABULARY = [a + b + c for a in ("bor", "cal", "dem", "fen", "gol", "har", "kil", "lum",
              "mar", "nor", "pel", "ros", "sal", "tor", "val", "wen") for b in ("ad", "ek",
              "in", "ov", "um", "is", "ar", "en", "ik", "ul") for c in ("a", "o", "er", "is",
              "an", "et", "ia", "on", "us", "ix")]
def item(n, i):
    k = n * 20 + i
    title = " ".join(w.capitalize() for w in random.Random(k).sample(VOCABULARY, 6))
    terms = " ".join(f"term{(k * p) % RULES}" for p in (3, 17, 41)) if RULES else ""
    url = f"https://news{n % 50}.example.org/{n}/{i}"
    return (f"<item><title>{title} {k}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>{WHEN}</pubDate><description>Delegations met again on Monday as "
            f"envoys pressed for a ceasefire along the northern front. {terms}"
            f"</description></item>")
def body(n):
    items = "".join(item(n, i) for i in range(20))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
            f"<link>https://news{n % 50}.example.org/</link>{items}</channel></rss>").encode()
rounds = {}
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            seen = rounds[n] = rounds.get(n, 0) + 1
            if seen in (2, 3) and b"if-none-match" in head.lower():
                writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n'
                             b"Content-Length: 0\r\n\r\n")
            else:
                b = body(n)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                             b'ETag: "v1"\r\nContent-Length: ' + str(len(b)).encode()
                             + b"\r\n\r\n" + b)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, HOST, 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def cpu() -> float:
    """This process's CPU seconds, every thread, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def urls(port: int, feeds: int) -> list[str]:
    return [f"http://{HOST}:{port}/feed/{n}.xml" for n in range(feeds)]


def run_reader(folder: Path, port: int, feeds: int, workers: int) -> dict:
    from reader import make_reader

    reader = make_reader(str(folder / "reader.sqlite"))
    for url in urls(port, feeds):
        reader.add_feed(url)
    timings = []
    for _ in ROUNDS:
        started, wall = cpu(), time.perf_counter()
        reader.update_feeds(scheduled=False, workers=workers)
        timings.append((time.perf_counter() - wall, cpu() - started))
    entries = reader.get_entry_counts().total
    reader.close()
    return {"timings": timings, "entries": entries, "peak": peak_mb()}


def write_config(folder: Path, port: int, feeds: int, rules: int) -> Path:
    lines = [
        "state: sqlite:///state.db",
        "poll: {concurrency: 50, per_host: 50, timeout: 120s}",
        "channels: {console: {url: 'console://'}, log: {url: 'console://'}}",
        "watchlists: [w.yaml]",
        "sources:",
    ]
    lines += [f"  - {{name: f{n}, feed: '{url}'}}" for n, url in enumerate(urls(port, feeds))]
    watch = ["name: w", "notify: [console, log]", "rules:", "  - {name: R, keywords: [airstrike]}"]
    watch += [f"  - {{name: R{k}, keywords: [term{k}, 'barrel bomb {k}']}}" for k in range(rules)]
    (folder / "w.yaml").write_text("\n".join(watch) + "\n")
    path = folder / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_monitor(
    folder: Path, port: int, feeds: int, rules: int, profile: str | None = None
) -> dict:
    from sqlalchemy import text

    from monitor.config import load_config
    from monitor.service import Monitor
    from monitor.store import Store

    config = load_config(write_config(folder, port, feeds, rules))
    _ = config.matcher  # compiled before the clock starts, as a daemon does at start
    store = Store.open(config.state_url)
    monitor = Monitor(config, store)
    rounds = ROUNDS[:1] if profile else ROUNDS
    profiles = _profile_threads() if profile else None

    async def polls() -> list[tuple[float, float]]:
        timings = []
        try:
            for _ in rounds:
                started, wall = cpu(), time.perf_counter()
                cycle = await monitor.poll_all()
                assert cycle.failed == 0, f"{cycle.failed} polls failed"
                timings.append((time.perf_counter() - wall, cpu() - started))
        finally:
            await monitor.aclose()
        return timings

    if profiles is not None:
        profiles.main.enable()
    timings = asyncio.run(polls())
    if profiles is not None:
        profiles.dump(profile)
    with store.engine.connect() as db:
        entries = db.execute(text("SELECT count(*) FROM entries")).scalar()
        alerts = db.execute(text("SELECT count(*) FROM alerts")).scalar()
    return {"timings": timings, "entries": entries, "alerts": alerts, "peak": peak_mb()}


class _Profiles:
    """cProfile in every thread, in each thread's own CPU time: the poll's parsing,
    matching and store writes run in worker threads, which a profile of the main thread
    alone does not see."""

    def __init__(self) -> None:
        import cProfile

        self.main = cProfile.Profile(time.thread_time)
        self.threads: list[tuple[threading.Thread, cProfile.Profile]] = []

    def dump(self, path: str) -> None:
        import pstats

        self.main.disable()
        for thread, _ in self.threads:  # the pools' threads end once the Monitor closes
            thread.join(timeout=10)
        stats = pstats.Stats(self.main)
        for _, profiler in self.threads:
            stats.add(profiler)
        stats.dump_stats(path)


def _profile_threads() -> _Profiles:
    import cProfile

    profiles = _Profiles()
    run = threading.Thread.run

    def profiled(thread: threading.Thread) -> None:
        profiler = cProfile.Profile(time.thread_time)
        profiles.threads.append((thread, profiler))
        profiler.enable()
        try:
            run(thread)
        finally:
            profiler.disable()

    threading.Thread.run = profiled  # type: ignore[method-assign]
    return profiles


def child(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nm-peer-"))
    try:
        if args.child == "reader":
            result = run_reader(folder, args.port, args.feeds, args.reader_workers)
        else:
            result = run_monitor(folder, args.port, args.feeds, args.rules, args.profile)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


def measure(tool: str, args: argparse.Namespace) -> dict:
    """One tool's run, in a fresh process, against a fresh server."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, HOST, str(args.feeds), str(args.rules)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline())
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                tool,
                "--port",
                str(port),
                "--feeds",
                str(args.feeds),
                "--rules",
                str(args.rules),
                "--reader-workers",
                str(args.reader_workers),
            ]
            + (["--profile", args.profile] if args.profile else []),
            capture_output=True,
            text=True,
        )
    finally:
        server.terminate()
        server.wait()
    if out.returncode:
        sys.exit(f"{tool} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def per_kind(timings: list[list[float]], feeds: int) -> list[tuple[float, float]]:
    """(polls/s, CPU s per 1,000 polls) of each kind, over the rounds of that kind."""
    out = []
    for kind in range(len(KINDS)):
        mine = [t for t, k in zip(timings, ROUNDS, strict=True) if k == kind]
        wall, used = sum(t[0] for t in mine), sum(t[1] for t in mine)
        out.append((feeds * len(mine) / wall, used / (feeds * len(mine)) * 1000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--reader-workers", type=int, default=16)
    parser.add_argument("--only", choices=("reader", "monitor"))
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run news-monitor's first poll only, profiled in every thread (CPU time), "
        "and write the cProfile stats to FILE",
    )
    parser.add_argument("--child", choices=("reader", "monitor"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    import reader

    print(
        f"{args.feeds:,} feeds x 20 items on a local server; news-monitor with "
        f"{args.rules:,} rules, 2 channels; reader {reader.__version__}, "
        f"update_feeds(workers={args.reader_workers}); each tool in its own process"
    )
    if args.profile:
        timings = measure("monitor", args)["timings"]
        wall, used = timings[0]
        print(
            f"news-monitor's first poll, profiled: {args.feeds / wall:.0f} polls/s, "
            f"{used / args.feeds * 1000:.2f} CPU s/1000 polls; stats in {args.profile}"
        )
        return
    tools = ("reader", "monitor") if args.only is None else (args.only,)
    results = {tool: measure(tool, args) for tool in tools}
    rows = {tool: per_kind(r["timings"], args.feeds) for tool, r in results.items()}
    print(f"{'poll':>28} {'tool':>13} {'polls/s':>9} {'CPU s/1000 polls':>17}")
    for kind, label in enumerate(KINDS):
        for tool in tools:
            rate, used = rows[tool][kind]
            name = "news-monitor" if tool == "monitor" else "reader"
            print(f"{label:>28} {name:>13} {rate:9.0f} {used:17.2f}")
    for tool, result in results.items():
        stored = f"{result['entries']:,} entries"
        if "alerts" in result:
            stored += f", {result['alerts']:,} outbox rows"
        name = "news-monitor" if tool == "monitor" else "reader"
        print(f"{name}: peak RSS {result['peak']:.0f} MB; stored {stored}")
    if len(tools) < 2:
        return
    verdicts = []
    for kind, label in enumerate(KINDS):
        ratio = rows["monitor"][kind][1] / rows["reader"][kind][1]
        verdicts.append(ratio <= 1.0)
        print(
            f"{label}: news-monitor CPU {ratio:.2f}x reader's (target <= 1): "
            f"{'PASS' if ratio <= 1.0 else 'MISS'}"
        )
    ratio = results["monitor"]["peak"] / results["reader"]["peak"]
    verdicts.append(ratio <= 1.5)
    print(
        f"peak RSS: news-monitor {ratio:.2f}x reader's (target <= 1.5): "
        f"{'PASS' if ratio <= 1.5 else 'MISS'}"
    )


if __name__ == "__main__":
    main()
