"""Where the store's writes of polls run: on SQLite, one thread of their own.

SQLite has one writer at a time. A poll's record used to go to a worker of asyncio's shared
pool, which then waited there for the write lock: polls finishing together held every
worker, and the pool's other jobs (reading a feed's known keys, matching its entries) queued
behind them. One writing thread takes the records one after another instead, and the pool
stays free for the rest. PostgreSQL takes concurrent writers: there they use the shared pool.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TypeVar

from monitor.store import Store

T = TypeVar("T")


class Writes:
    """The writer of a Monitor's polls; `close_writer` when the Monitor closes."""

    store: Store
    _writes: Executor | None

    def _open_writer(self) -> None:
        sqlite = self.store.engine.dialect.name == "sqlite"
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="store-writer") if sqlite else None

    async def _in_writer(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` on the writing thread (the shared pool, off SQLite)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writes, functools.partial(fn, *args)
        )

    def _close_writer(self) -> None:
        if self._writes is not None:
            self._writes.shutdown(wait=False)
