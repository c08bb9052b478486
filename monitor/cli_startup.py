"""What the one-shot commands (`check`, `test`) spare themselves: the garbage collector's
walks while the config loads, and the interpreter's teardown when they are done.

An analyst runs them after every edit of a rule, so their start-up is what they wait for
(bench/startup.py, against `python -c "import httpx"`). Two costs there are not work for
the command at all:

- Collections while loading. Loading allocates some hundreds of thousands of objects that
  live as long as the process (the modules, pydantic's validators, the gazetteer's columns,
  the compiled rules); each collection on the way walks those of its generations again and
  finds no garbage: about a tenth of a `check`. collection_paused() holds the collector for
  the block, then moves what it allocated to the oldest generation (freeze, then unfreeze: a
  move, not a walk), so the first collection after it does not walk it all either. Nothing
  is kept from collection: the next full collection finds whatever of it is garbage by then.
- Teardown. At exit the interpreter frees every one of those objects and finalises every
  module: 60-75 ms of CPU for `check` and `test`, after their output is written. A command
  that opened nothing to close (no store, no file being written, no thread) says so with
  leave_quickly(), and the process then ends as the daemon's does (daemon.exit_now): the
  standard streams flushed, logging shut down, os._exit with the command's exit code.

Only the process's own entry (`news-monitor`, `python -m monitor`: the group called as a
function) leaves that way; click's CliRunner calls Group.main() and gets the normal exit,
so tests that run the commands in-process keep their process.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import click

_quick = False  # set by leave_quickly(): the running command needs no teardown


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector held for the block (see the module docstring), then
    resumed as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def collections_paused(command: Callable[..., None]) -> Callable[..., None]:
    """The command run in collection_paused(): for a short command whose whole run is
    loading the config and one look at the result."""

    @functools.wraps(command)
    def paused(*args: Any, **kwargs: Any) -> None:
        with collection_paused():
            command(*args, **kwargs)

    return paused


def leave_quickly() -> None:
    """Say the running command leaves nothing to close: its process may end without the
    interpreter's teardown once it is done."""
    global _quick
    _quick = True


class QuickExitGroup(click.Group):
    """The `news-monitor` group: as a process's entry point, a command that called
    leave_quickly() ends with leave() instead of the interpreter's teardown."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        global _quick
        _quick = False
        try:
            return self.main(*args, **kwargs)
        except SystemExit as done:
            if _quick:
                leave(done.code)
            raise


def leave(code: object) -> NoReturn:
    """End the process now with `code` as sys.exit would take it (None: 0; a text: printed
    on stderr, 1), after flushing the standard streams and logging."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        with contextlib.suppress(OSError, ValueError):
            print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    logging.shutdown()
    os._exit(status)
