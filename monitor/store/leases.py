"""Leases: how replicas sharing one database split the work and take over a dead one's."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from monitor.store.schema import alerts, leases, sources
from monitor.store.sql import Tables, chunks, retried


@dataclass(frozen=True, slots=True)
class Replica:
    """A process holding leases now, as `status` shows it."""

    owner: str
    sources: int  # being polled
    channels: tuple[str, ...]  # delivered by it


def replica_name() -> str:
    """Who holds a lease: host, process and a random tag (pids repeat across restarts)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Leases(Tables):
    """Renewing, giving back and taking named leases; who holds what."""

    @retried
    def renew(self, now: datetime, lease: timedelta, polling: Iterable[str] = ()) -> None:
        """Extend this replica's leases: on the sources it is polling, the outbox rows it is
        delivering and its named leases. Leases on anything else are left to expire."""
        until = now + lease
        polling = list(polling)
        with self._write() as conn:
            for part in chunks(polling):
                conn.execute(update(sources).where(sources.c.lease_owner == self.owner,
                                                   sources.c.name.in_(part))
                             .values(lease_until=until))
            conn.execute(update(alerts).where(alerts.c.lease_owner == self.owner)
                         .values(lease_until=until))
            conn.execute(update(leases).where(leases.c.owner == self.owner)
                         .values(until=until))

    @retried
    def release_all(self) -> None:
        """A clean stop gives back every lease at once: the others need not wait."""
        with self._write() as conn:
            for table in (sources, alerts):
                conn.execute(update(table).where(table.c.lease_owner == self.owner)
                             .values(lease_owner=None, lease_until=None))
            conn.execute(leases.delete().where(leases.c.owner == self.owner))

    @retried
    def take_leases(self, names: Iterable[str], now: datetime, lease: timedelta) -> set[str]:
        """Of these named leases, the ones this replica holds now: free or expired ones
        are taken, its own are renewed, live ones of other replicas are left alone."""
        held: set[str] = set()
        with self._write() as conn:
            for name in names:
                stmt = self._insert(leases).values(name=name, owner=self.owner,
                                                   until=now + lease)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["name"],
                    set_={"owner": stmt.excluded.owner, "until": stmt.excluded.until},
                    where=or_(leases.c.until <= now, leases.c.owner == self.owner),
                ).returning(leases.c.name)
                if conn.execute(stmt).scalar() is not None:
                    held.add(name)
        return held

    def replicas(self, now: datetime) -> list[Replica]:
        """Who holds live leases: for `status` on a shared database."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources.c.lease_owner, func.count())
                                .where(sources.c.lease_until > now)
                                .group_by(sources.c.lease_owner))
            polling = {owner: n for owner, n in rows}
            named = conn.execute(select(leases.c.owner, leases.c.name)
                                 .where(leases.c.until > now)
                                 .order_by(leases.c.name)).fetchall()
        channels: dict[str, list[str]] = {}
        for owner, name in named:
            if name.startswith("channel:"):
                channels.setdefault(owner, []).append(name.removeprefix("channel:"))
        return [Replica(owner, polling.get(owner, 0), tuple(channels.get(owner, ())))
                for owner in sorted(set(polling) | set(channels))]
