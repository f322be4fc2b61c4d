"""A function run in a long-lived worker process with a real deadline.

A thread cannot be stopped, and a regular expression or a sympy call that runs away holds the GIL; a
process can be killed. So work that must be bounded on any input (grading with math-verify, the symbolic
step checker) runs here: past its deadline the worker is killed and replaced, and the caller gets the
given default. The worker is spawned (not forked), so it is safe from threads and from a running event loop.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import importlib
import multiprocessing
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _load(module: str) -> None:
    importlib.import_module(module)


class DeadlineWorker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._imported: set[str] = set()  # modules the current worker has loaded
        atexit.register(self.close)

    def _get(self) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                self._imported = set()
            return self._pool

    def _kill(self, pool: cf.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def run(self, fn: Callable[..., T], arg, *, timeout: float, default: T) -> T:
        """`fn(arg)` in the worker (fn must be importable at module level), or `default` past `timeout`."""
        pool = self._get()
        if fn.__module__ not in self._imported:
            # start-up and imports (sympy, math-verify: seconds) are not the work: keep them off the clock
            pool.submit(_load, fn.__module__).result()
            self._imported.add(fn.__module__)
        future = pool.submit(fn, arg)
        try:
            return future.result(timeout=timeout)
        except (cf.TimeoutError, cf.process.BrokenProcessPool):
            self._kill(pool)
            return default

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
