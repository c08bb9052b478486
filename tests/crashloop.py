"""Crash a migration at each of its SQL statements, as kill -9 would, and check that the
next start opens the database with every row it held.

Run by tests/test_migrations.py in a process of its own, single-threaded so that it may
fork: `python -m tests.crashloop FOLDER FROM [legacy]` prints one JSON object.

FROM is "fresh" (no file) or a revision to start the upgrade from, with rows in every table.
Each crash point runs in a forked child that opens the store and leaves with os._exit at
its n-th statement (or just before its commit): nothing is rolled back or closed, as after
kill -9. With `legacy` the child migrates as versions before one-transaction migrations
did (the driver's own transaction handling), to make the half-made files they left.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text

from monitor.store import HEAD, Store
from monitor.store.repair import OURS, alembic_config

PRIMARY = {"sources": "name", "entries": "id", "alerts": "id", "deliveries": "id",
           "leases": "name", "alert_rules": "id", "health_notices": "id"}
WHEN = "2026-11-20 08:00:00.000000"  # a stored UTC time, as SQLite holds it


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


Snapshot = dict[str, tuple[list[str], list[list[object]]]]  # table -> (columns, rows)


def make_template(path: Path, revision: str) -> Snapshot:
    """A database at `revision` with rows in every table it has; returns those rows."""
    from alembic import command

    engine = create_engine(url_of(path))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        _fill(conn, tables)
    columns = {t: _columns(engine, t) for t in OURS if t in tables}
    rows = _rows(engine, columns)
    engine.dispose()
    return {t: (columns[t], rows[t]) for t in columns}


def _fill(conn, tables: set[str]) -> None:
    for i in range(40):
        conn.execute(text("INSERT INTO sources (name, location, active, next_check_at, "
                          "error_count, entries_seen) VALUES (:n, :l, 1, :w, 0, :i)"),
                     {"n": f"feed {i}", "l": f"https://e.org/{i}.xml", "w": WHEN, "i": i})
    for i in range(120):
        conn.execute(text("INSERT INTO entries (source, key_hash, key, url, story, title, "
                          "text, seen_at) VALUES (:s, :h, :k, :u, :st, :t, :x, :w)"),
                     {"s": f"feed {i % 40}", "h": f"{i:040x}", "k": f"key {i}",
                      "u": f"https://e.org/a/{i}", "st": f"story {i}", "t": f"Title {i}",
                      "x": f"Text of article {i}", "w": WHEN})
    for i in range(60):
        conn.execute(text("INSERT INTO alerts (story, watchlist, rule, channel, entry_id, "
                          "priority, payload, state, attempts, next_attempt_at, created_at) "
                          "VALUES (:st, 'w', 'r', 'desk', :e, 'high', '{}', :state, 0, :w, "
                          ":w)"),
                     {"st": f"story {i}", "e": i + 1, "w": WHEN,
                      "state": "sent" if i % 2 else "pending"})
    if "alert_rules" in tables:
        conn.execute(text("INSERT INTO alert_rules (story, watchlist, rule, channel, alert_id, "
                          "created_at) SELECT story, watchlist, rule, channel, id, created_at "
                          "FROM alerts"))
    if "deliveries" in tables:
        for _ in range(20):
            conn.execute(text("INSERT INTO deliveries (channel, sent_at, alerts, kind) "
                              "VALUES ('desk', :w, 1, 'alert')"), {"w": WHEN})
    if "leases" in tables:
        conn.execute(text("INSERT INTO leases (name, owner, until) VALUES "
                          "('channel:desk', 'r', :w)"), {"w": WHEN})
    if "health_notices" in tables:
        conn.execute(text("INSERT INTO health_notices (source, channel, event, text, state, "
                          "attempts, next_attempt_at, created_at) VALUES ('feed 1', 'admin', "
                          "'failing', 'feed 1: failing', 'pending', 0, :w, :w)"), {"w": WHEN})


def _columns(engine: Engine, table: str) -> list[str]:
    return [c["name"] for c in inspect(engine).get_columns(table)]


def _rows(engine: Engine, columns: dict[str, list[str]]) -> dict[str, list[list[object]]]:
    with engine.connect() as conn:
        return {t: [list(r) for r in conn.execute(text(
            f"SELECT {', '.join(cols)} FROM {t} ORDER BY {PRIMARY[t]}"))]
            for t, cols in columns.items()}


def crash_at(n: int, url: str, legacy: bool) -> bool:
    """Open the store in a forked child that dies at its n-th statement; False if the child
    got through with fewer statements than n."""
    pid = os.fork()
    if pid == 0:
        count = 0

        def die(*_args: object) -> None:
            nonlocal count
            count += 1
            if count == n:
                os._exit(9)

        event.listen(Engine, "before_cursor_execute", die)
        event.listen(Engine, "commit", die)
        try:
            _legacy_open(url) if legacy else Store.open(url).close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 9


def _legacy_open(url: str) -> None:
    """How the store migrated before: inside engine.begin(), with the driver's own
    transaction handling, which runs DDL outside any transaction."""
    from alembic import command

    engine = create_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def check(url: str, before: Snapshot, exact: bool = True) -> str | None:
    """What is wrong with the database the next start finds, or None. `exact`: every row as
    it was; else (after a daemon that ran a while and did its work) every row still there."""
    try:
        store = Store.open(url)
    except Exception as err:
        return f"next start failed: {type(err).__name__}: {err}"
    try:
        with store.engine.connect() as conn:
            integrity = conn.execute(text("PRAGMA integrity_check")).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if integrity != "ok":
            return f"integrity check: {integrity}"
        if revision != HEAD:
            return f"at revision {revision}, not {HEAD}"
        now = _rows(store.engine, {t: columns for t, (columns, _) in before.items()})
        for table, (columns, rows) in before.items():
            if exact and now[table] != rows:
                return f"{table}: {len(rows)} rows before, {len(now[table])} after, or changed"
            key = columns.index(PRIMARY[table])
            lost = {r[key] for r in rows} - {r[key] for r in now[table]}
            if lost:
                return f"{table}: {len(lost)} of {len(rows)} rows lost"
    finally:
        store.close()
    return None


def main(folder: Path, start: str, legacy: bool) -> dict[str, object]:
    template = folder / "template.db"
    before = make_template(template, start) if start != "fresh" else {}
    failures: list[str] = []
    n = 0
    while True:
        n += 1
        path = folder / f"crash-{n}.db"
        if start != "fresh":
            shutil.copy(template, path)
        if not crash_at(n, url_of(path), legacy):
            break
        problem = check(url_of(path), before)
        if problem:
            failures.append(f"crash at statement {n}: {problem}")
        for leftover in folder.glob(f"crash-{n}.db*"):
            leftover.unlink()
    return {"crashes": n - 1, "failures": failures}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], "legacy" in sys.argv[3:])))
