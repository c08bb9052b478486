"""Helpers for tests that prove a bound: outcomes within generous ceilings, peak memory of a
fresh process. No test asserts elapsed time; a ceiling only catches a stall (quadratic or
worse work takes minutes where the bounded one takes a fraction of a second)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from tests.conftest import ROOT

T = TypeVar("T")
CEILING = 60.0  # seconds; the bounded work these tests do takes well under one


def finishes(fn: Callable[[], T], ceiling: float = CEILING) -> T:
    """fn()'s result (or its exception), which must come within `ceiling` seconds."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as err:
            outcome.append((False, err))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(ceiling)
    assert outcome, f"still running after a {ceiling:.0f} s ceiling: a stall"
    ok, value = outcome[0]
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
