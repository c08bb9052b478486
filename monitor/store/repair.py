"""Recognising a state database that an older version left half-made, before migrating it.

Versions before migrations ran in one transaction on SQLite could be killed midway: the
driver committed each CREATE TABLE and ALTER TABLE on its own, and the version row only at
the end. A first start could leave tables without the `alembic_version` row that says what
they are ("table sources already exists" ever after); an upgrade could leave some of the
next revision's columns, tables and indexes beside an older version row ("duplicate column
name"); a batch migration could leave an empty `_alembic_tmp_<table>` copy behind. Each
revision's schema is known (the migrations themselves make it, on an in-memory database),
so what a database holds beyond its recorded revision can be told apart and undone, inside
the migration's own transaction, before the migrations run again. Anything else is reported
with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, text

from monitor.store.sql import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
# children before parents
OURS = ("health_notices", "leases", "deliveries", "alert_rules", "alerts", "entries",
        "sources")
TEMPORARY = "_alembic_tmp_"  # Alembic's copy of a table while a batch migration alters it


@dataclass
class Found:
    """What `repair` did (for the log) and the revision to stamp a database whose tables
    are whole but whose version row is missing."""

    actions: list[str] = field(default_factory=list)
    stamp: str | None = None


def alembic_config():  # -> alembic.config.Config, imported late: most starts never need it
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def repair(conn: Connection, where: str) -> Found:
    """Make a half-made schema migratable, or raise StoreError saying what to do.

    SQLite only: on PostgreSQL, DDL was always inside the migration's transaction, so no
    version left a half-made schema there (and a replica that waited for another's
    migration must find it whole, not take it apart)."""
    found = Found()
    if conn.dialect.name != "sqlite":
        return found
    tables = set(inspect(conn).get_table_names())
    for copy in sorted(t for t in tables if t.startswith(TEMPORARY)):
        original = copy.removeprefix(TEMPORARY)
        if original not in tables and _has_rows(conn, copy):
            raise StoreError(_advice(conn, where, f"table {original} is missing and its rows "
                                     f"are in {copy}: an older version was stopped in the "
                                     "middle of a migration"))
        conn.execute(text(f'DROP TABLE "{copy}"'))
        found.actions.append(f"dropped {copy}, left over from an interrupted migration")
    version = _version(conn, tables)
    if version is not None:
        _undo_beyond(conn, where, version, found)
        return found
    ours = [t for t in OURS if t in tables]
    if not ours:
        return found
    if not any(_has_rows(conn, t) for t in ours):
        for table in ours:
            conn.execute(text(f'DROP TABLE "{table}"'))
        found.actions.append(f"made the schema again: {', '.join(sorted(ours))} had been "
                             "created but never recorded, and held nothing (a start stopped "
                             "while it made the schema)")
        return found
    revision = _revision_of(_schema(conn, ours))
    if revision is None:
        raise StoreError(_advice(conn, where, "it has news-monitor's tables with rows but no "
                                 "schema version, and they match no release's schema"))
    found.stamp = revision
    found.actions.append(f"its schema version was missing; its tables are those of revision "
                         f"{revision}, recorded as such")
    return found


def _version(conn: Connection, tables: set[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _has_rows(conn: Connection, table: str) -> bool:
    return conn.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() is not None


Schema = dict[str, tuple[frozenset[str], frozenset[str]]]  # table -> (columns, indexes)


def _schema(conn: Connection, tables: list[str]) -> Schema:
    found = inspect(conn)
    return {t: (frozenset(c["name"] for c in found.get_columns(t)),
                frozenset(i["name"] for i in found.get_indexes(t)
                          if i["name"] and not i.get("duplicates_constraint")))
            for t in tables}


def _revision_of(schema: Schema) -> str | None:
    for revision, expected in _schemas().items():
        if expected == schema:
            return revision
    return None


def _undo_beyond(conn: Connection, where: str, revision: str, found: Found) -> None:
    """Drop what an interrupted upgrade added beyond `revision`: the migrations then run
    again from there. Only additions are undone, and only empty tables are dropped; a
    schema missing part of its revision is reported."""
    expected = _schemas().get(revision)
    if expected is None:
        return  # a revision this version does not know: Alembic says so
    tables = set(inspect(conn).get_table_names())
    actual = _schema(conn, [t for t in OURS if t in tables])
    if actual == expected:
        return
    undone: list[str] = []
    for table, (columns, indexes) in actual.items():
        if table not in expected:
            if _has_rows(conn, table):
                raise StoreError(_advice(conn, where, f"it is recorded at revision "
                                         f"{revision}, which has no table {table}, yet "
                                         f"{table} holds rows"))
            conn.execute(text(f'DROP TABLE "{table}"'))
            undone.append(f"table {table}")
            continue
        want_columns, want_indexes = expected[table]
        if not want_columns <= columns or not want_indexes <= indexes:
            raise StoreError(_advice(conn, where, f"table {table} lacks part of revision "
                                     f"{revision}'s schema, which it is recorded at"))
        for index in sorted(indexes - want_indexes):
            conn.execute(text(f'DROP INDEX "{index}"'))
            undone.append(f"index {index}")
        for column in sorted(columns - want_columns):
            conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
            undone.append(f"column {table}.{column}")
    missing = set(expected) - set(actual)
    if missing:
        raise StoreError(_advice(conn, where, f"it is recorded at revision {revision} but "
                                 f"lacks its table(s) {', '.join(sorted(missing))}"))
    found.actions.append(f"undid what an interrupted upgrade from revision {revision} had "
                         f"left ({', '.join(undone)}); upgrading again")


@cache
def _schemas() -> dict[str, Schema]:
    """Each revision's tables and their columns, made by running the migrations themselves
    on an in-memory database: never a second description of the schema to keep in step."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    schemas: dict[str, Schema] = {}
    for script in ScriptDirectory.from_config(cfg).walk_revisions():
        engine = create_engine("sqlite://")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, script.revision)
            present = [t for t in OURS if t in inspect(conn).get_table_names()]
            schemas[script.revision] = _schema(conn, present)
        engine.dispose()
    return schemas


def _advice(conn: Connection, where: str, problem: str) -> str:
    if conn.dialect.name == "sqlite":
        fix = (f"move it aside (mv '{where}' '{where}.broken') and start again, which makes "
               "a new, empty state; or restore a backup of it")
    else:
        fix = ("point `state:` at a new, empty database, or restore a backup of this one")
    return f"state database {where}: {problem}. To go on, {fix}."
