"""`check` and `test` spare themselves the collector's walks while loading and the
interpreter's teardown at exit (monitor/cli_startup.py): they still end with their exit code
and all of their output, the collector runs again afterwards as it did, and the commands
run in-process (click's CliRunner) keep their process."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref

from click.testing import CliRunner

from monitor.cli import main
from monitor.cli_startup import collection_paused
from tests.conftest import ROOT, run_cli

CONFIG = ROOT / "config" / "monitor.yaml"
ARTICLE = ROOT / "tests" / "data" / "aleppo-article.txt"


def test_check_and_test_end_with_their_exit_code_and_all_their_output(tmp_path):
    done = run_cli("check", "-c", str(CONFIG))
    assert done.returncode == 0 and done.stdout.startswith(f"{CONFIG}: ok — ")

    done = run_cli("test", "--json", "-c", str(CONFIG), str(ARTICLE))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # all of it: a cut document would not parse
    assert report["matches"] and report["casualties"]["killed"]["count"] == 32

    quiet = tmp_path / "quiet.txt"
    quiet.write_text("Nothing here\nThe weather is mild.\n", encoding="utf-8")
    done = run_cli("test", "-c", str(CONFIG), str(quiet))
    assert done.returncode == 1 and "no rule fires on “Nothing here”" in done.stdout

    done = run_cli("test", "-c", str(CONFIG), str(tmp_path / "missing.txt"))
    assert done.returncode == 2 and "cannot read" in done.stderr

    (tmp_path / "monitor.yaml").write_text("sources: 3\n", encoding="utf-8")
    done = run_cli("check", "-c", str(tmp_path / "monitor.yaml"))
    assert done.returncode == 1 and "problem found; nothing was run." in done.stderr


def test_only_the_commands_that_say_so_skip_the_teardown():
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('TORN DOWN', flush=True))\n"
        "sys.argv = ['news-monitor', *sys.argv[1:]]\n"
        "runpy.run_module('monitor', run_name='__main__')\n"
    )

    def torn_down(*args: str) -> bool:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT
        )
        assert done.returncode in (0, 1), done.stderr
        return "TORN DOWN" in done.stdout

    assert not torn_down("check", "-c", str(CONFIG))
    assert not torn_down("test", "-c", str(CONFIG), str(ARTICLE))
    assert torn_down("schema")
    assert torn_down("--version")


def test_check_run_in_process_returns_to_its_caller():
    result = CliRunner().invoke(main, ["check", "-c", str(CONFIG)])
    assert result.exit_code == 0 and ": ok" in result.output


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_collector_resumes_after_loading_and_collects_what_became_garbage():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle: only the collector frees it
        gone = weakref.ref(a)
    assert gc.isenabled()
    del a, b
    gc.collect()
    assert gone() is None

    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # as it was
    finally:
        gc.enable()
