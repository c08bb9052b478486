"""Migrations commit whole or not at all: a crash at any point of a first start or an upgrade
leaves a database the next start opens, with every row it held. Files that earlier versions
left half-made are repaired, or reported with the command that fixes them.

The exhaustive part (a crash at each SQL statement, by fork and os._exit) runs in
tests/crashloop.py; the daemon itself is killed at random points of its start here too.
NEWS_MONITOR_START_CRASHES sets how many kills (12 by default; the issue's check is 200).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from monitor.store import Store, StoreError
from tests.conftest import ROOT, Site, rss_feed, run_cli, write_config
from tests.crashloop import check, make_template, url_of

START_CRASHES = int(os.environ.get("NEWS_MONITOR_START_CRASHES", "12"))
EARLIER = ["0001", "0002", "0003", "0004", "0005"]  # every revision before HEAD


def crash_loop(folder: Path, start: str, *more: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "tests.crashloop", str(folder), start,
                             *more], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("start", ["fresh", *EARLIER])
def test_a_migration_killed_at_any_statement_leaves_every_row_and_an_openable_file(
        tmp_path, start):
    outcome = crash_loop(tmp_path, start)
    assert outcome["crashes"] >= 5, outcome  # it really crashed inside the migrations
    assert outcome["failures"] == [], "\n".join(outcome["failures"][:10])


@pytest.mark.parametrize("start", ["fresh", *EARLIER])
def test_files_left_half_made_by_earlier_versions_are_repaired_without_losing_a_row(
        tmp_path, start):
    outcome = crash_loop(tmp_path, start, "legacy")
    assert outcome["crashes"] >= 5, outcome
    assert outcome["failures"] == [], "\n".join(outcome["failures"][:10])


def test_a_create_table_rolls_back_with_its_transaction_on_sqlite(tmp_path):
    store = Store.open(url_of(tmp_path / "s.db"))
    with pytest.raises(RuntimeError), store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("crash before commit")
    assert "scratch" not in inspect(store.engine).get_table_names()
    store.close()


def _unknown_tables_with_rows(path: Path) -> None:
    engine = create_engine(url_of(path))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sources (name TEXT PRIMARY KEY, colour TEXT)"))
        conn.execute(text("INSERT INTO sources VALUES ('a', 'red')"))
    engine.dispose()


def test_tables_with_rows_that_match_no_release_are_reported_with_the_fix(tmp_path):
    path = tmp_path / "monitor.db"
    _unknown_tables_with_rows(path)
    with pytest.raises(StoreError) as err:
        Store.open(url_of(path))
    assert f"mv '{path}' '{path}.broken'" in str(err.value)
    with create_engine(url_of(path)).connect() as conn:  # and nothing was touched
        assert conn.execute(text("SELECT colour FROM sources")).scalar() == "red"


def test_run_reports_a_half_made_file_in_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "monitor.db"
    _unknown_tables_with_rows(path)
    config = write_config(tmp_path, sources=[{"name": "s", "feed": "http://127.0.0.1:9/f"}],
                          state=url_of(path))
    result = run_cli("run", "-c", str(config))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and ".broken" in result.stderr, result.stderr


def test_a_database_recorded_without_its_version_is_recognised_and_upgraded(tmp_path):
    path = tmp_path / "monitor.db"
    before = make_template(path, "0002")
    engine = create_engine(url_of(path))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    engine.dispose()
    assert check(url_of(path), before) is None


# -- the daemon itself, killed while it starts ------------------------------------------


def _kill_during_start(config: Path, db: Path, rng: random.Random) -> None:
    """Start `news-monitor run` and kill -9 it: half the time at a random point of its first
    two seconds, half the time just after it opened the database (whenever that is on this
    machine), when its migration runs."""
    process = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0, 2))
        else:
            opened = db.with_name(db.name + "-wal")  # made by its first connection
            deadline = time.monotonic() + 120
            while not opened.exists() and process.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.3))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)


def test_a_daemon_killed_while_it_starts_never_leaves_a_file_the_next_start_cannot_open(
        tmp_path, site: Site):
    seed = int(os.environ.get("NEWS_MONITOR_FAULT_SEED", random.randrange(1 << 30)))
    print(f"fault seed: {seed}")
    rng = random.Random(seed)
    site.feeds["/f.xml"] = rss_feed({"title": "Airstrike near Aleppo",
                                     "link": "https://news.example.org/1"})
    templates = {}  # revision -> (a file at it with rows in every table, those rows)
    for revision in EARLIER:
        path = tmp_path / f"template-{revision}.db"
        templates[revision] = (path, make_template(path, revision))
    problems = []
    for n in range(START_CRASHES):
        start = rng.choice(["fresh", *EARLIER])
        folder = tmp_path / f"crash-{n}"
        folder.mkdir()
        db = folder / "monitor.db"
        before = {}
        if start != "fresh":
            path, before = templates[start]
            shutil.copy(path, db)
        config = write_config(folder, sources=[{"name": "f", "feed": site.url("/f.xml")}],
                              state=url_of(db), health={"enabled": False})
        _kill_during_start(config, db, rng)
        problem = check(url_of(db), before, exact=False)  # it may have polled and pruned
        if problem:
            problems.append(f"kill {n} (from {start}): {problem}")
        shutil.rmtree(folder)
    assert problems == [], "\n".join(problems)

