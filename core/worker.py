"""A function run in a long-lived worker process with a real deadline.

A thread cannot be stopped, and a regular expression or a sympy call that runs away holds the GIL; a
process can be killed. So work that must be bounded on any input (grading with math-verify, the symbolic
step checker) runs here: past its deadline the worker is killed and replaced, and the caller gets the
given default.

The worker is a plain `python -c` child (`serve`) talking over two pipes, not a multiprocessing
process: a spawned multiprocessing child re-imports the caller's main module, which re-runs a script that
has no `if __name__ == "__main__":` guard (and then breaks the pool); a forked one inherits threads and a
running event loop; and a daemonic process (a task queue's worker) may not have multiprocessing children
at all. A subprocess has none of these problems, so Minos works from a plain script, `python -c`, standard
input, a notebook, a web server's or a task queue's worker alike.
"""

from __future__ import annotations

import atexit
import importlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TypeVar

T = TypeVar("T")
_START_S = 120.0  # the worker's start and a module's imports (sympy, math-verify: seconds) are not the work


class WorkerError(RuntimeError):
    """The function raised inside the worker (its type and message are kept in the text)."""


class _Process:
    """One worker child and the two pipe ends the parent holds."""

    def __init__(self) -> None:
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        env = dict(os.environ)
        # the child imports what this process can: the same search path, however it was extended here
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.popen = subprocess.Popen(
            [sys.executable, "-c", "import sys; from minos.core.worker import serve; serve(*map(int, sys.argv[1:]))",
             str(to_child), str(from_child)],
            pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL, env=env,
        )
        os.close(to_child)
        os.close(from_child)
        self.requests = Connection(from_parent, readable=False)
        self.replies = Connection(to_parent, writable=False)
        self.imported: set[str] = set()

    def call(self, message, timeout: float):
        """The reply to `message`, or raises TimeoutError / EOFError (the child is gone)."""
        self.requests.send(message)
        if not self.replies.poll(timeout):
            raise TimeoutError
        return self.replies.recv()

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait()
        self.requests.close()
        self.replies.close()


class DeadlineWorker:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # one request at a time on the pipes
        self._process: _Process | None = None
        atexit.register(self.close)

    def run(self, fn: Callable[..., T], arg, *, timeout: float, default: T) -> T:
        """`fn(arg)` in the worker (fn must be importable at module level), or `default` past `timeout`
        or when the worker dies. An exception inside `fn` is raised here as `WorkerError`."""
        with self._lock:
            try:
                process = self._process = self._process or _Process()
                if fn.__module__ not in process.imported:
                    process.call((fn.__module__, None, None), _START_S)
                    process.imported.add(fn.__module__)
                ok, value = process.call((fn.__module__, fn.__qualname__, arg), timeout)
            except (TimeoutError, EOFError, OSError):
                self._drop()
                return default
        if not ok:
            raise WorkerError(value)
        return value

    def _drop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process = None

    def close(self) -> None:
        with self._lock:
            self._drop()


def serve(read_fd: int, write_fd: int) -> None:
    """The worker's loop: import, call, reply, until the parent closes its end."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle; it ends this worker
    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    while True:
        try:
            module, name, arg = requests.recv()
        except (EOFError, OSError):  # the parent closed its end or died
            return
        try:
            target = importlib.import_module(module)
            replies.send((True, None if name is None else getattr(target, name)(arg)))
        except Exception as exc:  # the caller decides what an error means; the worker lives on
            replies.send((False, f"{type(exc).__name__}: {exc}"))

