"""Follow-ups: a story that alerted on a channel speaks up there again when it escalates.

The first message of a story on a channel opens its thread (`story_threads`), which keeps
what the channel was told: the independent outlets, the places and groups named, the
highest priority, the killed figure. When a poll records entries of a story with a thread,
`escalate` compares the story as it now stands with that: `outlets` more independent
outlets, a place or group of its rules not named before, or a killed figure that proves
more than the one told ("Toll rose: at least 32 → 45 killed"; Figure.minimum: "up to 50"
proves nothing) queue one update (an outbox row like any alert) that says what changed
and refers to the first message. A toll rises only from a toll told: a story first told
without a figure follows up on outlets and places (its update then carries the figure). At
most `max_updates` per story and channel, and the next one not before `interval` after the
last message (it is queued then, not dropped); while an update waits, a second one is not
queued.

Everything happens in the transaction that records the entries (escalate) or marks the
message sent (note_sent), and the thread's `updates` count changes by compare-and-set, so a
crash, a restart or two replicas queue an update once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, select, update

from monitor.facts.figures import Figure
from monitor.outlets import independent
from monitor.records import PRIORITIES, Alert, Update, UpdatePolicy
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.corroboration import carriers_in
from monitor.store.schema import alerts, story_threads
from monitor.store.sql import Tables, chunks
from monitor.stories import thread_id

Insert = Callable[[Table], Any]


class Threads(Tables):
    """What delivery reads of the threads: a late rule's message on a story the channel
    was told of is shown as a follow-up of that first message."""

    def threads_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Update]:
        """(story, channel) -> the Update a message there would be (number: updates so
        far + 1, no changes listed), for the keys with a thread."""
        wanted = list(set(keys))
        found: dict[tuple[str, str], Update] = {}
        with self.engine.connect() as conn:
            for part in chunks(sorted({story for story, _ in wanted})):
                for row in conn.execute(select(story_threads).where(
                        story_threads.c.story.in_(list(part)))):
                    if (row.story, row.channel) in wanted:
                        found[row.story, row.channel] = Update(
                            row.updates + 1, row.title, row.first_sent_at.timestamp(), (),
                            thread_id(row.story, row.channel))
        return found


def note_sent(conn: Connection, insert: Insert, channel: str,
              sent: Sequence[tuple[int, Alert]], now: datetime) -> None:
    """After a message went to `channel`: (outbox row, alert as sent) of each story in it.
    A story's first message opens its thread; a later one that is not an update (a rule
    that fired after the first message went) moves what the channel was told; a sent
    update frees the thread for the next."""
    for row_id, alert in sent:
        if not alert.story:
            continue
        outlets = alert.corroboration()[1]
        killed = alert.casualties.killed
        opened = conn.execute(insert(story_threads).on_conflict_do_nothing(
            index_elements=["story", "channel"]).values(
            story=alert.story, channel=channel, first_alert_id=row_id, title=alert.title,
            first_sent_at=now, updates=0, last_at=now, outlets=outlets,
            concepts=json.dumps(list(alert.concepts()), ensure_ascii=False),
            priority=alert.priority, **_toll_columns(killed)))
        if opened.rowcount:
            continue
        where = (story_threads.c.story == alert.story) & (story_threads.c.channel == channel)
        if alert.update is not None:
            conn.execute(update(story_threads).where(where, story_threads.c.pending_update
                                                      == row_id).values(pending_update=None))
            continue
        thread = conn.execute(select(story_threads).where(where)).one()
        told = json.loads(thread.concepts)
        conn.execute(update(story_threads).where(where).values(
            outlets=max(thread.outlets, outlets), last_at=now,
            concepts=json.dumps(told + [c for c in alert.concepts() if c not in told],
                                ensure_ascii=False),
            priority=_higher(thread.priority, alert.priority),
            **_toll_columns(_newer(thread, killed))))


def escalate(conn: Connection, insert: Insert, entry_ids: Mapping[str, int],
             latest: Mapping[tuple[str, str], Alert], policies: Mapping[str, UpdatePolicy],
             now: datetime) -> int:
    """Queue the updates the poll's entries call for. `entry_ids`: each story of the poll,
    with the id of its newest entry; `latest`: the poll's alert for a (story, channel), if
    one; `policies`: each channel's UpdatePolicy (a channel absent has none). Returns how
    many updates were queued."""
    threads = _open_threads(conn, list(entry_ids), policies)
    if not threads:
        return 0
    carried = carriers_in(conn, {t.story for t in threads})
    queued = 0
    for thread in threads:
        policy = policies[thread.channel]
        now_outlets = independent(c.outlet for c in carried.get(thread.story, ()))
        poll_alert = latest.get((thread.story, thread.channel))
        told = json.loads(thread.concepts)
        new = [c for c in (poll_alert.concepts() if poll_alert else ()) if c not in told]
        changes = []
        if now_outlets - thread.outlets >= policy.outlets:
            gained = now_outlets - thread.outlets
            changes.append(f"{gained} more independent outlets ({now_outlets} in all)")
        if new:
            changes.append("now also: " + ", ".join(new))
        figure = poll_alert.casualties.killed if poll_alert else None
        toll = _rose(thread, figure)
        if toll is not None:
            changes.append(f"Toll rose: {_told_text(thread)} → {toll}")
        if not changes:
            continue
        due = max(now, thread.last_at + timedelta(seconds=policy.interval))
        base = poll_alert or _first_alert(conn, thread.first_alert_id)
        known = _newer(thread, figure)
        alert = replace(base, story=thread.story, single_source=False, update=Update(
            thread.updates + 1, thread.title, thread.first_sent_at.timestamp(),
            tuple(changes), thread_id(thread.story, thread.channel)),
            casualties=replace(base.casualties, killed=known or base.casualties.killed))
        if _queue(conn, insert, thread, alert, entry_ids[thread.story], due, now_outlets,
                  told + new, now, known):
            queued += 1
    return queued


def _open_threads(conn: Connection, stories: list[str],
                  policies: Mapping[str, UpdatePolicy]) -> list[Any]:
    """The threads of these stories that may still get an update, locked on PostgreSQL."""
    found = []
    for part in chunks(stories):
        query = select(story_threads).where(story_threads.c.story.in_(list(part)),
                                            story_threads.c.pending_update.is_(None))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found += [row for row in conn.execute(query)
                  if row.channel in policies
                  and row.updates < policies[row.channel].max_updates]
    return found


def _first_alert(conn: Connection, alert_id: int) -> Alert:
    payload = conn.execute(select(alerts.c.payload).where(alerts.c.id == alert_id)).scalar()
    return alert_from_json(payload)


def _queue(conn: Connection, insert: Insert, thread: Any, alert: Alert, entry_id: int,
           due: datetime, outlets: int, concepts: list[str], now: datetime,
           killed: Figure | None) -> bool:
    """Claim the thread's next update (compare-and-set on its count), then queue it."""
    where = ((story_threads.c.story == thread.story)
             & (story_threads.c.channel == thread.channel)
             & (story_threads.c.updates == thread.updates)
             & story_threads.c.pending_update.is_(None))
    claimed = conn.execute(update(story_threads).where(where).values(
        updates=thread.updates + 1, last_at=due, outlets=outlets,
        concepts=json.dumps(concepts, ensure_ascii=False), **_toll_columns(killed)))
    if not claimed.rowcount:
        return False
    row = conn.execute(insert(alerts).returning(alerts.c.id).values(
        story=thread.story, watchlist=alert.watchlist, rule=alert.rule,
        channel=thread.channel, entry_id=entry_id, priority=alert.priority,
        payload=alert_to_json(alert), state="pending", attempts=0, next_attempt_at=due,
        created_at=now)).scalar()
    conn.execute(update(story_threads).where(
        (story_threads.c.story == thread.story) & (story_threads.c.channel == thread.channel))
        .values(pending_update=row))
    return True


def _higher(one: str, other: str) -> str:
    rank = {p: n for n, p in enumerate(PRIORITIES)}
    return one if rank.get(one, 0) >= rank.get(other, 0) else other


def _told(thread: Any) -> Figure | None:
    """The killed figure the thread's channel was last told, if any."""
    if thread.killed is None:
        return None
    return Figure("killed", thread.killed, thread.killed_qualifier or "", "")


def _told_text(thread: Any) -> str:
    told = _told(thread)
    return f"{told.qualifier} {told.count:,}".strip() if told else ""


def _rose(thread: Any, killed: Figure | None) -> Figure | None:
    """`killed` when it proves more than the figure the channel was told; else None."""
    told = _told(thread)
    if killed is None or told is None or killed.minimum() <= told.minimum():
        return None
    return killed


def _newer(thread: Any, killed: Figure | None) -> Figure | None:
    """What the channel knows of the toll once told `killed`: the figure that proves more."""
    told = _told(thread)
    if killed is not None and killed.minimum() > (told.minimum() if told else 0):
        return killed
    return told


def _toll_columns(killed: Figure | None) -> dict[str, Any]:
    if killed is None:
        return {}
    return {"killed": killed.count, "killed_qualifier": killed.qualifier}
