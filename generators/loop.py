"""Minos's own event loop, for sync callers of async code (the solver graph's nodes, a critic verifier)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any

_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def wait_for(coroutine: Awaitable) -> Any:
    """Run a coroutine on Minos's own event loop (a daemon thread) and wait for it.

    Sync callers (`graph.invoke`, `graph.stream`, `solve`, a sync parent graph, a notebook whose loop is
    already running, a critic verifier scored from a worker thread) all come here. One long-lived loop, not
    `asyncio.run` per call: the generators' HTTP clients belong to the loop that made them. The caller's
    context (LangGraph's config and stream writer) goes with the coroutine, so custom events still reach a
    sync `stream`.
    """
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="minos-loop", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(coroutine, _LOOP).result()
