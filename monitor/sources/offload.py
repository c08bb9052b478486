"""Work on untrusted bytes (inflating, parsing, extracting) runs off the event loop, in a
pool of its own, under a deadline.

Its own pool, because the default executor carries every database write: parses that take
their time must never make a poll's record wait. The deadline makes a poll that parses too
long count as that source's failure. Python cannot stop a thread, so a parse that outlives
its deadline keeps its worker until it returns; the parsers are linear in their input and
their input is capped, so it returns soon after, and a stop does not wait for it (see
daemon.py: the process exits after its grace period whatever the workers are doing).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["Overran", "offload", "WORKERS"]

WORKERS = 4  # a poll's parse rarely takes 50 ms: four let one slow parse delay nothing else

_P = ParamSpec("_P")
_T = TypeVar("_T")
_pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="parse")


class Overran(Exception):
    """Work did not finish within its deadline; str() says what and how long."""


async def offload(fn: Callable[_P, _T], *args: _P.args, timeout: float | None = None,
                  what: str = "parsing", **kwargs: _P.kwargs) -> _T:
    """Run `fn(*args, **kwargs)` in the parse pool; Overran after `timeout` seconds."""
    future = asyncio.get_running_loop().run_in_executor(
        _pool, functools.partial(fn, *args, **kwargs))
    if timeout is None:
        return await future
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        raise Overran(f"{what} took longer than {timeout:g}s") from None
