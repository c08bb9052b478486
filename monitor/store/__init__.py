"""The state that survives restarts: sources, seen entries and the alert outbox.

SQLite (WAL) by default, PostgreSQL for replicas, through SQLAlchemy Core, with Alembic
migrations applied when the store opens. The one promise that matters most lives here:
an entry is recorded as seen in the same transaction that writes its alerts to the outbox
(sources.py, `record_poll`).

One class, `Store`, in parts by job: sources and their entries (sources.py), leases between
replicas (leases.py), the outbox (outbox.py), history and retention (history.py), source
health notices (health.py), who carries a story and the messages held for
corroboration (corroboration.py), the threads follow-ups build on (threads.py),
surges (surgestore.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

from monitor.logs import mask_url
from monitor.store.corroboration import Corroborations
from monitor.store.health import HealthNotices, HealthRow
from monitor.store.history import History, StoredEntry
from monitor.store.leases import Leases, Replica, replica_name
from monitor.store.outbox import AlertRow, FeedAlert, Outbox
from monitor.store.repair import MIGRATIONS, alembic_config, repair
from monitor.store.sources import Sources
from monitor.store.sql import StoreError, key_hash, outage, retried, transient
from monitor.store.surgestore import SurgeRow, Surges
from monitor.store.threads import Threads

__all__ = [
    "Store",
    "AlertRow",
    "SurgeRow",
    "HealthRow",
    "FeedAlert",
    "Replica",
    "StoredEntry",
    "StoreError",
    "replica_name",
    "key_hash",
    "outage",
    "transient",
    "HEAD",
    "MIGRATIONS",
]

HEAD = "0008"  # the newest migration; a test keeps it in step with migrations/versions
BUSY_TIMEOUT_MS = 10_000  # how long SQLite waits for another process's write lock

log = logging.getLogger("monitor")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store(Sources, Leases, Outbox, Corroborations, Threads, Surges, History, HealthNotices):
    """All reads and writes of the state database. One instance per process.

    Several processes (replicas) may share one database. Work is handed out by leases: a
    claimed source or outbox row carries its owner and an expiry that the owner renews
    while it works. A replica that dies stops renewing, and once its leases expire the
    others take its work. On PostgreSQL the claims lock with FOR UPDATE SKIP LOCKED, so
    replicas never wait on each other's claims.
    """

    def __init__(self, engine: Engine, owner: str | None = None):
        self.engine = engine
        self.owner = owner or replica_name()
        self._insert = _dialect_insert(engine.dialect.name)
        on_sqlite = engine.dialect.name == "sqlite"
        self._writer = threading.Lock() if on_sqlite else contextlib.nullcontext()
        self._write_engine = engine.execution_options(news_monitor_writes=True)

    @classmethod
    def open(cls, url: str, owner: str | None = None) -> Store:
        """Open (creating or migrating as needed) the database at `url`."""
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            engine = create_engine(
                url, future=True, pool_pre_ping=True, connect_args=_connect_args(url)
            )
        except Exception as err:  # bad URL syntax, missing driver: never show its password
            shown = mask_url(url)
            raise StoreError(f"cannot use state '{shown}': {str(err).replace(url, shown)}") from err
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        store = cls(engine, owner)
        try:
            store.migrate()
        except BaseException:
            engine.dispose()
            raise
        return store

    def migrate(self) -> None:
        """Bring the schema to HEAD, in one transaction: a crash at any point leaves the
        database as it was before, never half-migrated. A database already at HEAD is left
        alone without loading Alembic, which a daemon restarting after a crash should not
        wait for."""
        if self._revision() == HEAD:
            return
        try:
            self._upgrade()
        except StoreError:
            raise
        except DBAPIError as err:
            raise StoreError(
                f"cannot open the state database: {outage(err)}", unreachable=transient(err)
            ) from err
        except Exception as err:
            raise StoreError(f"cannot open the state database: {err}") from err

    @retried
    def _upgrade(self) -> None:
        from alembic import command

        cfg = alembic_config()
        with self._write() as conn:
            if conn.dialect.name == "postgresql":  # replicas starting together
                conn.execute(text("SELECT pg_advisory_xact_lock(7406521)"))
            found = repair(conn, self._where())
            for action in found.actions:
                log.warning("state database: %s", action)
            cfg.attributes["connection"] = conn
            if found.stamp:
                command.stamp(cfg, found.stamp)
            command.upgrade(cfg, "head")

    def _where(self) -> str:
        """The database as a message names it: the SQLite file, or the URL unmasked of
        nothing but its password."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            return url.database or ":memory:"
        return mask_url(url.render_as_string(hide_password=False))

    def _revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # a new database; or no server, which migrate() then reports
            return None

    def close(self) -> None:
        self.engine.dispose()


def _dialect_insert(name: str) -> Any:
    """The dialect's insert() (it has on_conflict_do_nothing), imported for the one in
    use: SQLAlchemy's PostgreSQL dialect is 2 MB that a SQLite store never needs."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _connect_args(url: str) -> dict[str, Any]:
    """A server that does not answer at all (a host down, a dropped SYN) fails a connection
    in seconds rather than the minutes of TCP's own timeout: `run` then knows to wait."""
    if url.startswith("postgresql") and "connect_timeout" not in url:
        return {"connect_timeout": 10}
    return {}


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    """SQLAlchemy's recipe for real transactions on SQLite: the driver's own transaction
    handling is off (it leaves DDL outside any transaction, so a migration killed midway
    kept half its tables), and `_sqlite_begin` opens each transaction itself."""
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN for reads; BEGIN IMMEDIATE for writes, which takes the write lock at once
    (waiting for it under the busy timeout) instead of upgrading a read halfway."""
    writes = conn.get_execution_options().get("news_monitor_writes")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
