"""Adding alerts to the outbox: one row (one message) per story and channel, the rules
inside it.

Which rules have fired for a story on a channel is recorded in `alert_rules`, whose unique
index is the promise never to alert twice: a rule's row is inserted first, and only the
rules whose row is new go out. They join the story's message on that channel while it still
waits (pending and not claimed by a delivery); once it is claimed, sent, failed or held for
a digest they go as a message of their own, so nothing is added to a message after it was
read for sending. All of it runs inside the transaction that records the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update

from monitor.records import Alert, Fired
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.schema import alert_rules, alerts

Insert = Callable[[Table], Any]  # the dialect's insert(), with on_conflict_do_nothing


def add_alerts(conn: Connection, insert: Insert, story: str, entry_id: int,
               pairs: Sequence[tuple[str, Alert]], now: datetime) -> int:
    """Queue each (channel, alert) of one entry; returns how many rules were new (the
    number of rule × channel alerts, as `status` has always counted them)."""
    added = 0
    for channel, alert in pairs:
        claimed = _claim_rules(conn, insert, story, channel, alert, now)
        if not claimed:
            continue
        fired = [f for f in alert.rules() if (f.watchlist, f.rule) in claimed]
        message = _open_message(conn, story, channel)
        if message is None:
            alert_id = _new_message(conn, insert, story, channel, entry_id,
                                    naming(alert, fired), now)
        else:
            alert_id, payload = message
            _update_message(conn, alert_id, alert_from_json(payload).with_rules(fired))
        conn.execute(update(alert_rules)
                     .where(alert_rules.c.id.in_(list(claimed.values())))
                     .values(alert_id=alert_id))
        added += len(claimed)
    return added


def naming(alert: Alert, fired: Sequence[Fired]) -> Alert:
    """The alert naming exactly these of its rules (the highest priority leading)."""
    if [(f.watchlist, f.rule) for f in fired] == [(f.watchlist, f.rule)
                                                  for f in alert.rules()]:
        return alert
    first = fired[0]
    base = Alert(watchlist=first.watchlist, rule=first.rule, priority=first.priority,
                 title=alert.title, url=alert.url, source=alert.source,
                 published=alert.published, snippet=alert.snippet, terms=first.terms,
                 sources=alert.sources, score=first.score, hits=first.hits,
                 story=alert.story, lead_url="" if first.url == alert.url else first.url)
    return base.with_rules(fired[1:])


def _claim_rules(conn: Connection, insert: Insert, story: str, channel: str, alert: Alert,
                 now: datetime) -> dict[tuple[str, str], int]:
    """Record each rule of the alert as fired for this story on this channel; the ones
    not recorded before, with their row ids."""
    claimed: dict[tuple[str, str], int] = {}
    for fired in alert.rules():
        row = conn.execute(insert(alert_rules).values(
            story=story, watchlist=fired.watchlist, rule=fired.rule, channel=channel,
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["story", "watchlist", "rule", "channel"])
            .returning(alert_rules.c.id)).scalar()
        if row is not None:
            claimed[(fired.watchlist, fired.rule)] = row
    return claimed


def _open_message(conn: Connection, story: str, channel: str) -> tuple[int, str] | None:
    """The story's newest message on the channel that still waits and no delivery holds,
    locked (on PostgreSQL) until this transaction ends, so a claim cannot read it
    half-changed. A claim that took it first has set its owner: then there is none."""
    query = (select(alerts.c.id, alerts.c.payload)
             .where(alerts.c.story == story, alerts.c.channel == channel,
                    alerts.c.state == "pending", alerts.c.lease_owner.is_(None))
             .order_by(alerts.c.id.desc()).limit(1))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else (row.id, row.payload)


def _new_message(conn: Connection, insert: Insert, story: str, channel: str, entry_id: int,
                 alert: Alert, now: datetime) -> int:
    return conn.execute(insert(alerts).values(
        story=story, watchlist=alert.watchlist, rule=alert.rule, channel=channel,
        entry_id=entry_id, priority=alert.priority, payload=alert_to_json(alert),
        state="pending", attempts=0, next_attempt_at=now, created_at=now,
    ).returning(alerts.c.id)).scalar_one()


def _update_message(conn: Connection, alert_id: int, alert: Alert) -> None:
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(
        watchlist=alert.watchlist, rule=alert.rule, priority=alert.priority,
        payload=alert_to_json(alert)))
