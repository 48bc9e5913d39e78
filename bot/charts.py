"""Charts are drawn in a small pool of processes, so drawing never holds up other young people.

A radar chart is ~80 ms of matplotlib, nearly all of it holding the GIL: in a thread it would
still slow the event loop. Two worker processes draw instead, while the loop goes on answering.

The pool is made at the first chart and closed by `shutdown_chart_pool()` when the application
stops. Workers are forked by a fork server that has already imported matplotlib (forkserver
preload; where there is none, as on Windows, they are spawned), so only the first chart of a
process waits for the fork server to start. If a worker dies (a broken pool), that chart is
drawn in a thread and the next one gets a new pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import ParamSpec

log = logging.getLogger(__name__)

CHART_WORKERS = 2

P = ParamSpec("P")

_pool: ProcessPoolExecutor | None = None


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the parent stops the workers in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chart_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        context: BaseContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            forkserver = multiprocessing.get_context("forkserver")
            # Only takes effect if the fork server has not started yet (it is per process).
            forkserver.set_forkserver_preload(["core.charts"])
            context = forkserver
        else:
            context = multiprocessing.get_context("spawn")
        _pool = ProcessPoolExecutor(
            max_workers=CHART_WORKERS, mp_context=context, initializer=_ignore_interrupts
        )
    return _pool


async def draw(chart: Callable[P, bytes], *args: P.args, **kwargs: P.kwargs) -> bytes:
    """`chart(*args, **kwargs)` (a picklable function such as core.charts.radar_png) in the
    chart pool, awaited without blocking the event loop."""
    job = functools.partial(chart, *args, **kwargs)
    pool = _chart_pool()
    try:
        # submit() may start a worker process (the very first time also the fork server,
        # importing matplotlib for a second): a thread waits for that, not the event loop.
        submitted = await asyncio.to_thread(pool.submit, job)
        return await asyncio.wrap_future(submitted)
    except BrokenProcessPool:
        log.warning("a chart worker died; drawing this chart in a thread")
        _discard(pool)
        return await asyncio.to_thread(job)


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is pool:
        _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_chart_pool() -> None:
    """Stop the chart workers (call when the application stops); the next chart starts a new
    pool. Waits only for charts already being drawn, which take milliseconds."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
