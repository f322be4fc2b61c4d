"""One retry policy for every remote call Minos makes (generator servers, a served verifier).

Back-off is exponential with jitter. When the tries run out the error is typed: `ServerUnreachable` when
the server could not be reached at all (connection refused or reset, timeouts), `RemoteError` when it
answered but not usefully (429 / 5xx to the end). A batch counts `ServerUnreachable` to stop early instead
of retrying a dead server problem by problem. Retries are logged on the `minos` logger (`-v` shows them).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

log = logging.getLogger("minos")
T = TypeVar("T")


class RemoteError(RuntimeError):
    """A remote call failed in a way retries did not fix."""


class ServerUnreachable(RemoteError):
    """No connection to the server on any try."""


@dataclass(frozen=True)
class RetryPolicy:
    tries: int = field(default=5, metadata={"help": "attempts in all, the first one included"})
    backoff: float = field(default=0.5, metadata={"help": "seconds before the 2nd try; doubles each time"})
    unreachable: tuple[type[BaseException], ...] = field(
        default=(ConnectionError,), metadata={"help": "exceptions that mean no connection (retried, then ServerUnreachable)"}
    )
    transient: tuple[type[BaseException], ...] = field(
        default=(), metadata={"help": "exceptions from a server that answered but is busy or failing (429, 5xx)"}
    )

    def delay(self, attempt: int) -> float:
        """Seconds before try `attempt + 1`: doubling, with up to 25% jitter so clients do not retry in step."""
        return self.backoff * 2**attempt * (1 + random.random() / 4)


def _pause_after(exc: BaseException, attempt: int, policy: RetryPolicy, where: str) -> float:
    """Seconds to wait before the next try, or the typed error when the tries are spent."""
    if attempt == policy.tries - 1:
        kind = ServerUnreachable if isinstance(exc, policy.unreachable) else RemoteError
        raise kind(f"{where}: no answer after {policy.tries} tries ({type(exc).__name__}: {exc})") from exc
    pause = policy.delay(attempt)
    log.info("%s: %s (try %d of %d), retrying in %.1f s", where, type(exc).__name__, attempt + 1, policy.tries, pause)
    return pause


async def aretry(call: Callable[[], Awaitable[T]], policy: RetryPolicy, *, where: str) -> T:
    """`await call()` under the policy: its unreachable and transient exceptions are retried."""
    for attempt in range(policy.tries):
        try:
            return await call()
        except (*policy.unreachable, *policy.transient) as exc:
            await asyncio.sleep(_pause_after(exc, attempt, policy, where))
    raise AssertionError("unreachable")


def retry(call: Callable[[], T], policy: RetryPolicy, *, where: str) -> T:
    """The blocking twin of `aretry`, for thread-pool callers (the remote verifier)."""
    for attempt in range(policy.tries):
        try:
            return call()
        except (*policy.unreachable, *policy.transient) as exc:
            time.sleep(_pause_after(exc, attempt, policy, where))
    raise AssertionError("unreachable")
