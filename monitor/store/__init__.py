"""The state that survives restarts: sources, seen entries and the alert outbox.

SQLite (WAL) by default, PostgreSQL for replicas, through SQLAlchemy Core, with Alembic
migrations applied when the store opens. The one promise that matters most lives here:
an entry is recorded as seen in the same transaction that writes its alerts to the outbox
(sources.py, `record_poll`).

One class, `Store`, in parts by job: sources and their entries (sources.py), leases between
replicas (leases.py), the outbox (outbox.py), history and retention (history.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from monitor.logs import mask_url
from monitor.store.history import History, StoredEntry
from monitor.store.leases import Leases, Replica, replica_name
from monitor.store.outbox import AlertRow, Outbox
from monitor.store.sources import Sources
from monitor.store.sql import key_hash

__all__ = ["Store", "AlertRow", "Replica", "StoredEntry", "StoreError", "replica_name",
           "key_hash"]

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0004"  # the newest migration; a test keeps it in step with migrations/versions


class StoreError(Exception):
    """The state database cannot be opened or used; the message says what to do."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store(Sources, Leases, Outbox, History):
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
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @classmethod
    def open(cls, url: str, owner: str | None = None) -> Store:
        """Open (creating or migrating as needed) the database at `url`."""
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        except Exception as err:  # bad URL syntax, missing driver: never show its password
            shown = mask_url(url)
            raise StoreError(f"cannot use state '{shown}': "
                             f"{str(err).replace(url, shown)}") from err
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, owner)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to HEAD. A database already there is left alone without loading
        Alembic, which a daemon restarting after a crash should not wait for."""
        if self._revision() == HEAD:
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":  # replicas starting together
                    conn.execute(text("SELECT pg_advisory_xact_lock(7406521)"))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as err:
            raise StoreError(f"cannot open the state database: {err}") from err

    def _revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # a new database; or no server, which migrate() then reports
            return None

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
