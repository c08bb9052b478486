"""Adding alerts to the outbox: one row (one message) per story and channel, the rules
inside it.

Which rules have fired for a story on a channel is recorded in `alert_rules`, whose unique
index is the promise never to alert twice: a rule's row is inserted first, and only the
rules whose row is new go out. They join the story's message on that channel while it still
waits (pending and not claimed by a delivery); once it is claimed, sent, failed or held for
a digest they go as a message of their own, so nothing is added to a message after it was
read for sending. All of it runs inside the transaction that records the entry.

A poll's entries are added together, a few statements for the whole poll rather than
several per alert: one multi-row insert of every rule × channel row (the first entry
listing a rule for a story and channel claims it, as one by one), one read of the waiting
messages of the poll's stories, one multi-row insert of the new messages, an update per
message joined, and one executemany setting which message carries each rule. Statements
whose shape does not change are compiled once and cached; one per row was most of the cost
of recording a busy poll.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, select, update

from monitor.records import Alert, Fired
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.schema import alert_rules, alerts
from monitor.store.sql import chunks, insert_rows

Insert = Callable[[Table], Any]  # the dialect's insert(), with on_conflict_do_nothing
Pairs = Sequence[tuple[str, Alert]]  # (channel, alert) of one entry
_RULE_COLUMNS = ("story", "watchlist", "rule", "channel", "created_at")
_MESSAGE_COLUMNS = (
    "story",
    "watchlist",
    "rule",
    "channel",
    "entry_id",
    "priority",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
)


@dataclass
class _Message:
    """A story's message on a channel as this poll leaves it."""

    alert: Alert | None  # None: a stored one not read yet (most are never joined)
    entry_id: int
    alert_id: int | None = None  # None: new, inserted at the end
    changed: bool = False
    rule_rows: list[int] | None = None
    payload: str = ""
    wait: float = 0.0  # held for corroboration: seconds at most (from the rules' `wait`)


def add_poll_alerts(
    conn: Connection,
    insert: Insert,
    recorded: Sequence[tuple[str, int, Pairs]],
    now: datetime,
    waits: Mapping[tuple[str, str], float] | None = None,
) -> int:
    """Queue the alerts of a poll's new entries, (story, entry id, pairs) in the order they
    were recorded; returns how many rules were new (the number of rule × channel alerts,
    as `status` has always counted them).

    Rules that wait for corroboration (Fired.min_sources > 1) go in a message of their own
    per story and channel, held (state "held") until `release_held` finds enough outlets
    or their `waits` (seconds, per watchlist and rule) run out."""
    claimed = _claim_rules(conn, insert, recorded, now)
    if not claimed:
        return 0
    stories = sorted({story for story, _, _ in recorded})
    messages: dict[tuple[str, str, bool], _Message] = {
        where: _Message(None, 0, alert_id, payload=payload)
        for where, (alert_id, payload) in _open_messages(conn, stories).items()
    }
    added = 0
    for story, entry_id, pairs in recorded:
        for channel, alert in pairs:
            rows = {
                rule: claimed.pop((story, *rule, channel))
                for rule in {(f.watchlist, f.rule) for f in alert.rules()}
                if (story, *rule, channel) in claimed
            }
            if not rows:
                continue
            fired = [f for f in alert.rules() if (f.watchlist, f.rule) in rows]
            for held in (False, True):
                part = [f for f in fired if (f.min_sources > 1) == held]
                if part:
                    _join(
                        messages,
                        (story, channel, held),
                        alert,
                        part,
                        entry_id,
                        [rows[f.watchlist, f.rule] for f in part],
                    )
                    if held:
                        message = messages[story, channel, held]
                        message.wait = max(
                            [
                                message.wait,
                                *((waits or {}).get((f.watchlist, f.rule), 0.0) for f in part),
                            ]
                        )
            added += len(rows)
    _write_messages(conn, insert, messages, now)
    return added


def _join(
    messages: dict[tuple[str, str, bool], _Message],
    where: tuple[str, str, bool],
    alert: Alert,
    fired: Sequence[Fired],
    entry_id: int,
    rule_rows: list[int],
) -> None:
    """Add these rules to the story's waiting message there, or start one."""
    message = messages.get(where)
    if message is None:
        message = messages[where] = _Message(naming(alert, fired), entry_id)
    else:
        held = message.alert or alert_from_json(message.payload)
        message.alert = held.with_rules(fired)
        message.changed = True
    message.rule_rows = (message.rule_rows or []) + rule_rows


def naming(alert: Alert, fired: Sequence[Fired]) -> Alert:
    """The alert naming exactly these of its rules (the highest priority leading)."""
    if [(f.watchlist, f.rule) for f in fired] == [(f.watchlist, f.rule) for f in alert.rules()]:
        return alert
    first = fired[0]
    base = Alert(
        watchlist=first.watchlist,
        rule=first.rule,
        priority=first.priority,
        title=alert.title,
        url=alert.url,
        source=alert.source,
        published=alert.published,
        snippet=alert.snippet,
        terms=first.terms,
        sources=alert.sources,
        score=first.score,
        hits=first.hits,
        story=alert.story,
        lead_url="" if first.url == alert.url else first.url,
        min_sources=first.min_sources,
    )
    return base.with_rules(fired[1:])


def _claim_rules(
    conn: Connection, insert: Insert, recorded: Sequence[tuple[str, int, Pairs]], now: datetime
) -> dict[tuple[str, str, str, str], int]:
    """Record each rule of each alert as fired for its story on its channel, in one
    multi-row insert; the (story, watchlist, rule, channel) not recorded before, with their
    row ids. A row listed twice (two entries of one story) is inserted once."""
    rows = list(
        {
            (story, f.watchlist, f.rule, channel): None
            for story, _, pairs in recorded
            for channel, alert in pairs
            for f in alert.rules()
        }
    )
    if not rows:
        return {}
    found = insert_rows(
        conn,
        alert_rules,
        _RULE_COLUMNS,
        [(*row, now) for row in rows],
        conflict=_RULE_COLUMNS[:4],
        returning=("id", *_RULE_COLUMNS[:4]),
    )
    return {(row.story, row.watchlist, row.rule, row.channel): row.id for row in found}


def _open_messages(
    conn: Connection, stories: Sequence[str]
) -> dict[tuple[str, str, bool], tuple[int, str]]:
    """Each story's newest message per channel that still waits (pending, or held for
    corroboration: the flag) and no delivery holds, locked (on PostgreSQL) until this
    transaction ends, so a claim or a release cannot read it half-changed. A claim that
    took it first has set its owner: then there is none."""
    found: dict[tuple[str, str, bool], tuple[int, str]] = {}
    postgres = conn.dialect.name == "postgresql"
    # SQLite's planner takes the (state, next_attempt_at) index for a test on `state`,
    # and so read every waiting message of the outbox for each poll (quadratic: a
    # 20,000-row outbox cost 16 ms a poll); `state || ''` leaves it the story index.
    state = alerts.c.state if postgres else alerts.c.state.concat("")
    for part in chunks(stories):
        query = (
            select(alerts.c.id, alerts.c.story, alerts.c.channel, alerts.c.payload, alerts.c.state)
            .where(
                alerts.c.story.in_(list(part)),
                state.in_(("pending", "held")),
                alerts.c.lease_owner.is_(None),
            )
            .order_by(alerts.c.id)
        )
        if postgres:
            query = query.with_for_update()
        for row in conn.execute(query):  # the newest stays
            found[row.story, row.channel, row.state == "held"] = (row.id, row.payload)
    return found


def _payload(made: dict[int, str], alert: Alert) -> str:
    payload = made.get(id(alert))
    if payload is None:
        payload = made[id(alert)] = alert_to_json(alert)
    return payload


def _write_messages(
    conn: Connection, insert: Insert, messages: dict[tuple[str, str, bool], _Message], now: datetime
) -> None:
    """Insert the new messages (one multi-row statement), update the joined ones, and note
    on each claimed rule's row the message that carries it."""
    new = [
        (where, m.alert, m)
        for where, m in messages.items()
        if m.alert_id is None and m.alert is not None
    ]
    if new:
        # Channels that got the same rules share one Alert (pipeline.seen_record): its JSON
        # is made once.
        payloads: dict[int, str] = {}
        made = insert_rows(
            conn,
            alerts,
            _MESSAGE_COLUMNS,
            [
                (
                    story,
                    alert.watchlist,
                    alert.rule,
                    channel,
                    m.entry_id,
                    alert.priority,
                    _payload(payloads, alert),
                    "held" if held else "pending",
                    0,
                    now + timedelta(seconds=m.wait),
                    now,
                )
                for (story, channel, held), alert, m in new
            ],
            returning=("id", "story", "channel", "state"),
        )
        for row in made:
            messages[row.story, row.channel, row.state == "held"].alert_id = row.id
    for m in messages.values():
        if m.changed and m.alert is not None:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == m.alert_id)
                .values(
                    watchlist=m.alert.watchlist,
                    rule=m.alert.rule,
                    priority=m.alert.priority,
                    payload=alert_to_json(m.alert),
                )
            )
    # Six rule rows an entry on a busy poll (three rules, two channels): the driver's own
    # executemany, without SQLAlchemy building and processing each row's parameters.
    carried = [(m.alert_id, row) for m in messages.values() for row in m.rule_rows or ()]
    if carried:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(f"UPDATE alert_rules SET alert_id = {mark} WHERE id = {mark}", carried)
