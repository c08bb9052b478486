"""Pieces every part of the store shares: the tables' common shape, write transactions, IN-list
chunking and the lease condition."""

from __future__ import annotations

import functools
import hashlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import ColumnElement, Connection, Dialect, Engine, Table, or_
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

P = ParamSpec("P")
T = TypeVar("T")

WRITE_ATTEMPTS = 6  # a write the database calls busy is tried this often before it is raised


class StoreError(Exception):
    """The state database cannot be opened or used; the message says what to do.

    `unreachable` is set when the database did not answer (a server restarting, a file
    locked by another process): waiting may cure it, which `run` does."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class Tables:
    """What each part of the Store (sources, leases, outbox, history) works with; Store
    itself opens the engine and names the owner."""

    engine: Engine
    owner: str  # who holds this process's leases, see leases.replica_name
    _insert: Callable[..., Any]  # the dialect's INSERT, for ON CONFLICT
    _writer: AbstractContextManager[Any]  # SQLite: one writing thread at a time
    _write_engine: Engine  # the engine whose transactions write (BEGIN IMMEDIATE on SQLite)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it is the process's only one at that moment and
        takes the database's write lock when it begins, so it never meets another writer
        halfway (which SQLite answers with "database is locked" at once, whatever the busy
        timeout); other processes' writers are waited for by the busy timeout."""
        with self._writer, self._write_engine.begin() as conn:
            yield conn


def retried(method: Callable[P, T]) -> Callable[P, T]:
    """Run a one-transaction write again, whole, when the database says it is busy (SQLite's
    lock held by another process past the busy timeout; a PostgreSQL deadlock or
    serialization failure). The transaction rolled back, so running it again is safe."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return method(*args, **kwargs)
            except DBAPIError as err:
                if attempt == WRITE_ATTEMPTS - 1 or not busy(err):
                    raise
                time.sleep(min(0.05 * 2**attempt, 2.0) * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def busy(err: DBAPIError) -> bool:
    """The database refused for now because of other transactions, not because it is gone."""
    text = str(err.orig).lower()
    code = getattr(err.orig, "sqlstate", None)
    return (
        "database is locked" in text
        or "database table is locked" in text
        or code in ("40001", "40P01")
    )  # serialization failure, deadlock detected


def transient(err: DBAPIError) -> bool:
    """The database did not answer or was busy: the same work may succeed later. Other
    errors (a constraint, bad SQL) would fail the same way again."""
    return (
        isinstance(err, (OperationalError, InterfaceError))
        or err.connection_invalidated
        or busy(err)
    )


def outage(err: BaseException) -> str:
    """The driver's first line on a database error, for a one-line message or log."""
    cause = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    return (str(cause).strip().splitlines() or [type(err).__name__])[0][:300]


def key_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def unleased(table: Table, now: datetime) -> ColumnElement[bool]:
    """Rows no live replica holds: never leased, given back, or expired."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until <= now)


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Long IN lists go in parts: databases cap the parameters of one statement."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def ids_of(ids: int | Sequence[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)


# Parameters in one multi-row statement: SQLite (3.32 and later) takes 32,766, PostgreSQL
# 65,535.
MAX_PARAMETERS = 30_000


@dataclass(frozen=True)
class _Shape:
    head: str  # INSERT INTO t (a, b) VALUES
    row: str  # (?, ?)
    tail: str  # ON CONFLICT (...) DO NOTHING RETURNING ...
    processors: tuple[Callable[[Any], Any] | None, ...]


@functools.cache
def _shape(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    returning: tuple[str, ...],
) -> _Shape:
    quote = dialect.identifier_preparer.quote
    missing = [c.name for c in table.columns if c.name not in columns and c.default is not None]
    if missing:  # SQLAlchemy would fill those in; this insert does not
        raise ValueError(f"insert into {table.name} must name {', '.join(missing)}")
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    tail = ""
    if conflict:
        tail += f" ON CONFLICT ({', '.join(map(quote, conflict))}) DO NOTHING"
    if returning:
        tail += f" RETURNING {', '.join(map(quote, returning))}"
    return _Shape(
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) VALUES ",
        f"({', '.join([mark] * len(columns))})",
        tail,
        tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns),
    )


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[Any]:
    """Insert `rows` (values in the order of `columns`) in multi-row statements that go to
    the driver as they are; the RETURNING rows. Each value goes through its column's own
    bind processing, so it is stored exactly as SQLAlchemy stores it (UTCDateTime's text on
    SQLite), but without SQLAlchemy building and processing each row's parameters as a
    statement of its own, which was most of the cost of recording a poll's new entries
    and their alerts. `conflict`: the unique columns whose duplicates are skipped."""
    shape = _shape(conn.dialect, table, tuple(columns), tuple(conflict), tuple(returning))
    processed = [i for i, p in enumerate(shape.processors) if p is not None]
    found: list[Any] = []
    for part in chunks(rows, max(1, MAX_PARAMETERS // len(columns))):
        params: list[Any] = []
        for row in part:
            if processed:
                row = list(row)
                for i in processed:
                    row[i] = shape.processors[i](row[i])  # type: ignore[misc]
            params.extend(row)
        sql = shape.head + ", ".join([shape.row] * len(part)) + shape.tail
        result = conn.exec_driver_sql(sql, tuple(params))
        if returning:
            found.extend(result.fetchall())
    return found
