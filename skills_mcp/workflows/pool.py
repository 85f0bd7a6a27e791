"""A fixed number of workers over many items: N tasks, not one task per item waiting on a limiter.

A folder of skills may hold hundreds; a task per skill is a frame and a cancel scope each, alive all at
once, and that was most of a sync's memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import anyio

T = TypeVar("T")


async def each(items: Iterable[T], workers: int, work: Callable[[T], Awaitable[None]]) -> None:
    """`work` on every item, at most `workers` at once, in order of the items; an exception ends them all."""
    pending = iter(items)  # shared: each worker takes the next item when it is free

    async def worker() -> None:
        for item in pending:
            await work(item)

    async with anyio.create_task_group() as tg:
        for _ in range(max(1, workers)):
            tg.start_soon(worker)
