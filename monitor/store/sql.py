"""Pieces every part of the store shares: the tables' common shape, IN-list chunking and
the lease condition."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, or_


class Tables:
    """What each part of the Store (sources, leases, outbox, history) works with; Store
    itself opens the engine and names the owner."""

    engine: Engine
    owner: str  # who holds this process's leases, see leases.replica_name
    _insert: Callable[..., Any]  # the dialect's INSERT, for ON CONFLICT


def key_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def unleased(table: Table, now: datetime) -> ColumnElement[bool]:
    """Rows no live replica holds: never leased, given back, or expired."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until <= now)


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Long IN lists go in parts: databases cap the parameters of one statement."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def ids_of(ids: int | Sequence[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)
