"""Who carries a story, and the messages that wait until enough independent outlets do.

A story's carriers are the sources of its entries, each with when we first saw it there and
its outlet (the registrable domain of its article's URL, monitor/outlets.py). A rule with
`min_sources: N` has its messages held (state "held", next_attempt_at = when its `wait`
ends); `release_held` sends each on (state "pending") once N independent outlets carry its
story, or when the wait ends, marked single source. A held message is never dropped, and
every step is one compare-and-set update in the database, so a restart, a kill -9 or a
second replica changes nothing: the next pass of any replica finds the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, select, update

from monitor.outlets import independent, outlet
from monitor.records import Carrier
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.schema import alerts, entries
from monitor.store.sql import Tables, chunks, retried, unleased

HELD_PER_PASS = 500  # held messages looked at in one pass; the rest wait for the next


def carriers_in(conn: Connection, stories: Iterable[str]) -> dict[str, list[Carrier]]:
    """story_carriers, inside a transaction."""
    found: dict[str, dict[str, Carrier]] = {}
    for part in chunks(list(set(stories))):
        rows = conn.execute(select(entries.c.story, entries.c.source, entries.c.seen_at,
                                   entries.c.url)
                            .where(entries.c.story.in_(part)).order_by(entries.c.id))
        for story, source, seen_at, url in rows:
            by_source = found.setdefault(story, {})
            if source not in by_source:
                by_source[source] = Carrier(source, seen_at, outlet(url, source))
    return {story: list(carried.values()) for story, carried in found.items()}


class Corroborations(Tables):
    """Carriers of stories, and the release of messages held for corroboration."""

    def story_carriers(self, stories: Iterable[str]) -> dict[str, list[Carrier]]:
        """Every source that carried each story, with when it first did (seen by us) and
        its outlet, in that order."""
        with self.engine.connect() as conn:
            return carriers_in(conn, stories)

    def story_sources(self, stories: Iterable[str]) -> dict[str, list[str]]:
        """Every source that carried each story, in the order they did."""
        return {story: [c.source for c in carried]
                for story, carried in self.story_carriers(stories).items()}

    def independent_outlets(self, stories: Iterable[str]) -> dict[str, int]:
        """How many independent outlets carry each story (stories we have not seen: none)."""
        return {story: independent(c.outlet for c in carried)
                for story, carried in self.story_carriers(stories).items()}

    @retried
    def release_held(self, now: datetime) -> tuple[int, int]:
        """Send on the held messages whose stories now have the outlets they wait for, and
        those whose wait is over (marked single source). Returns (corroborated, single)."""
        with self.engine.connect() as conn:
            held = conn.execute(
                select(alerts.c.id, alerts.c.story, alerts.c.payload, alerts.c.next_attempt_at)
                .where(alerts.c.state == "held", unleased(alerts, now))
                .order_by(alerts.c.id).limit(HELD_PER_PASS)).fetchall()
        if not held:
            return 0, 0
        counts = self.independent_outlets(row.story for row in held)
        ready, lapsed = [], []
        for row in held:
            alert = alert_from_json(row.payload)
            if counts.get(row.story, 0) >= alert.waits_for():
                ready.append(row.id)
            elif row.next_attempt_at <= now:
                lapsed.append((row.id, alert_to_json(replace(alert, single_source=True))))
        with self._write() as conn:
            for part in chunks(ready):
                conn.execute(update(alerts).where(alerts.c.id.in_(list(part)),
                                                  alerts.c.state == "held")
                             .values(state="pending", next_attempt_at=now))
            for ident, payload in lapsed:
                conn.execute(update(alerts).where(alerts.c.id == ident,
                                                  alerts.c.state == "held")
                             .values(state="pending", next_attempt_at=now, payload=payload))
        return len(ready), len(lapsed)
