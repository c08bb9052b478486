"""Surges in the store: CPU per recorded story for a topic with `surge:`, with the topic's
baseline remembered per hour (what the daemon does) beside reading its 15 days of history
again for every story (what it did before), in the same run on the same SQLite file layout.

Traffic: one topic at --rate stories an hour (Poisson), --days of history recorded first;
then --stories more are timed. Each story is its own poll of one entry, the worst case.

    python bench/surgestore.py [--rate 20] [--days 15] [--stories 500]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.records import Entry, Poll, Seen, Topic
from monitor.store import Store

START = datetime(2026, 11, 1, tzinfo=UTC)
TOPIC = Topic("place:Aleppo", "Aleppo", "syria", ("desk",))


def record(store: Store, when: datetime, n: int) -> None:
    entry = Entry(source="Wire", key=f"k{n}", url=f"https://wire.example/{n}",
                  title=f"Story {n} about Aleppo", summary="Aleppo")
    store.record_poll(Poll("Wire", when, entries=(entry,)),
                      [Seen(entry, f"story-{n}", "Aleppo", topics=(TOPIC,))],
                      when + timedelta(minutes=5))


def run(times: list[datetime], timed: int, remember: bool, folder: Path) -> float:
    store = Store.open(f"sqlite:///{folder}/{'memo' if remember else 'fresh'}.db")
    try:
        store.sync_sources([("Wire", "feed", "https://wire.example/feed")], START)
        for n, when in enumerate(times[:-timed]):
            record(store, when, n)
        started = time.process_time()
        for n, when in enumerate(times[-timed:]):
            if not remember:
                store._baselines.clear()
            record(store, when, 1_000_000 + n)
        return (time.process_time() - started) / timed * 1000
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="stories an hour")
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--stories", type=int, default=500, help="stories timed")
    args = parser.parse_args()
    rng, times, t = random.Random(1), [], START
    while t < START + timedelta(days=args.days):
        t += timedelta(hours=rng.expovariate(args.rate))
        times.append(t)
    with tempfile.TemporaryDirectory() as folder:
        fresh = run(times, args.stories, False, Path(folder))
        memo = run(times, args.stories, True, Path(folder))
    print(f"topic at {args.rate:g}/h, {len(times) - args.stories} stories of history, "
          f"{args.stories} timed; ms of CPU per recorded story (whole record_poll):")
    print(f"  history read for every story (before): {fresh:8.2f}")
    print(f"  baseline remembered per hour (now):     {memo:8.2f}   ({fresh / memo:.1f}x less)")


if __name__ == "__main__":
    main()
