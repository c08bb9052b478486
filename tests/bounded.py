"""Helpers for tests that prove a bound: outcomes within generous ceilings, peak memory of a
fresh process. No test asserts elapsed time; a ceiling only catches a stall (quadratic or
worse work takes minutes where the bounded one takes a fraction of a second)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.conftest import ROOT

T = TypeVar("T")
CEILING = 60.0  # seconds; the bounded work these tests do takes well under one


def finishes(fn: Callable[[], T], ceiling: float = CEILING) -> T:
    """fn()'s result (or its exception), which must come within `ceiling` seconds.

    fn runs in a thread. A stall inside one C call that holds the GIL (a regular
    expression's match, say) keeps this thread from waking at the ceiling; it is still
    failed, once it ends, by the time its outcome came. For such work use
    `finishes_apart`, which fails at the ceiling."""
    outcome: list[tuple[bool, object, float]] = []  # (returned, value, when it came)
    started = time.monotonic()

    def run() -> None:
        try:
            value = fn()
        except BaseException as err:
            outcome.append((False, err, time.monotonic()))
        else:
            outcome.append((True, value, time.monotonic()))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(ceiling)
    assert outcome and outcome[0][2] - started <= ceiling, (
        f"still running after a {ceiling:.0f} s ceiling: a stall")
    ok, value, _ = outcome[0]
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


def _apart(conn: Any, fn: Callable[..., object], args: tuple[object, ...]) -> None:
    try:
        conn.send((True, fn(*args)))
    except BaseException as err:
        conn.send((False, err))


def finishes_apart(fn: Callable[..., T], *args: object, ceiling: float = CEILING) -> T:
    """fn(*args)'s result (or its exception), computed in a fresh Python process that is
    killed if nothing has come within `ceiling` seconds. For work that may stall inside one
    C call holding the GIL, which `finishes` cannot interrupt. fn must be importable by
    name (a module-level function), its arguments and outcome picklable."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_apart, args=(theirs, fn, args), daemon=True)
    process.start()
    theirs.close()
    try:
        assert mine.poll(ceiling), f"still running after a {ceiling:.0f} s ceiling: a stall"
        ok, value = mine.recv()
    finally:
        process.kill()
        process.join()
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


_PROBE = ("import resource, subprocess, sys;"
          "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
          "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
          "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); sys.exit(r.returncode)")


def peak_rss_mb(code: str, *args: str) -> tuple[float, str]:
    """Run `code` in a fresh Python (cwd: the repository) and return its peak RSS in MB and
    its output. A probe process in between measures only that child."""
    result = subprocess.run([sys.executable, "-c", _PROBE, sys.executable, "-c", code, *args],
                            capture_output=True, text=True, timeout=CEILING * 2, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    peak_kib, _, output = result.stdout.partition("\n")
    return int(peak_kib) / 1024, output
