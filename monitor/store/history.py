"""What was seen, for backtests and the story index, and what retention forgets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from monitor.store.schema import alert_rules, alerts, deliveries, entries
from monitor.store.sql import Tables, chunks, retried


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A seen entry as kept for backtests; `text` is None once older than keep_text."""

    source: str
    url: str
    story: str
    title: str
    text: str | None
    published: datetime | None
    seen_at: datetime


class History(Tables):
    """Seen entries read back, and pruned."""

    def entries_since(self, since: datetime) -> Iterator[StoredEntry]:
        """Every entry first seen at or after `since`, oldest first, streamed."""
        query = (select(entries.c.source, entries.c.url, entries.c.story, entries.c.title,
                        entries.c.text, entries.c.published_at, entries.c.seen_at)
                 .where(entries.c.seen_at >= since).order_by(entries.c.id))
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=1000).execute(query):
                yield StoredEntry(r.source, r.url, r.story, r.title, r.text, r.published_at,
                                  r.seen_at)

    def first_seen(self) -> dict[str, datetime]:
        """When each source's first entry was seen: its first poll, as backtests replay it."""
        with self.engine.connect() as conn:
            return {r[0]: r[1] for r in conn.execute(
                select(entries.c.source, func.min(entries.c.seen_at))
                .group_by(entries.c.source))}

    def entries_after(self, last_id: int, since: datetime
                      ) -> list[tuple[int, str, str, str, datetime]]:
        """(id, story, url, title, seen_at) of entries recorded after id `last_id` and
        seen since `since`: what other replicas saw, for the story index."""
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(entries.c.id, entries.c.story, entries.c.url, entries.c.title,
                       entries.c.seen_at)
                .where(entries.c.id > last_id, entries.c.seen_at >= since)
                .order_by(entries.c.id)))

    def last_entry_id(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(entries.c.id))).scalar() or 0

    def alerted(self, stories: Iterable[str]) -> set[tuple[str, str, str]]:
        """(story, watchlist, rule) of every rule that fired for these stories, any channel."""
        wanted = list(set(stories))
        found: set[tuple[str, str, str]] = set()
        with self.engine.connect() as conn:
            for part in chunks(wanted):
                found.update(conn.execute(
                    select(alert_rules.c.story, alert_rules.c.watchlist, alert_rules.c.rule)
                    .distinct().where(alert_rules.c.story.in_(part))))
        return found

    @retried
    def prune_entries(self, older_than: datetime) -> int:
        """Forget entries seen before `older_than` and their finished alerts, so the store
        stays bounded. Alerts still pending keep their entries. An item a feed still lists
        after this long would be seen as new again: keep_entries must outlast any feed's
        memory (180 days by default; news feeds keep days, sitemaps two)."""
        with self._write() as conn:
            done = select(alerts.c.id).where(alerts.c.created_at < older_than,
                                             alerts.c.state.in_(("sent", "failed")))
            conn.execute(alert_rules.delete().where(alert_rules.c.alert_id.in_(done)))
            conn.execute(alerts.delete().where(alerts.c.created_at < older_than,
                                               alerts.c.state.in_(("sent", "failed"))))
            kept = select(alerts.c.entry_id)
            result = conn.execute(entries.delete().where(entries.c.seen_at < older_than,
                                                         entries.c.id.not_in(kept)))
            conn.execute(deliveries.delete().where(deliveries.c.sent_at < older_than))
            return result.rowcount or 0

    @retried
    def prune_text(self, older_than: datetime) -> int:
        """Drop stored article text past its keep time; the seen-row itself stays so the
        entry is never alerted again while a feed still lists it."""
        with self._write() as conn:
            result = conn.execute(update(entries)
                                  .where(entries.c.seen_at < older_than,
                                         entries.c.text.is_not(None))
                                  .values(text=None))
            return result.rowcount or 0
