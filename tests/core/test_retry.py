"""The one retry policy: back-off, typed errors, and the `minos` logger that `minos -v` shows."""

from __future__ import annotations

import asyncio
import logging

import pytest
from minos.core.retry import RemoteError, RetryPolicy, ServerUnreachable, aretry, retry


class Busy(Exception):
    pass


def _flaky(failures: list[BaseException]):
    calls = []

    def call():
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "ok"

    return call, calls


POLICY = RetryPolicy(3, 0.001, unreachable=(ConnectionError,), transient=(Busy,))


def test_retries_then_succeeds_and_logs_each_retry(caplog):
    call, calls = _flaky([ConnectionResetError("reset"), Busy("429")])
    with caplog.at_level(logging.INFO, logger="minos"):
        assert retry(call, POLICY, where="http://x") == "ok"
    assert len(calls) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "minos"]
    assert len(lines) == 2 and "ConnectionResetError (try 1 of 3)" in lines[0] and "Busy (try 2 of 3)" in lines[1]


@pytest.mark.parametrize(
    "last, kind",
    [(ConnectionRefusedError("refused"), ServerUnreachable), (Busy("503"), RemoteError)],
)
def test_spent_tries_give_a_typed_error(last, kind):
    call, calls = _flaky([Busy("500"), Busy("500"), last])
    with pytest.raises(kind, match=r"http://x: no answer after 3 tries") as info:
        retry(call, POLICY, where="http://x")
    assert type(info.value) is kind and len(calls) == 3


def test_other_errors_are_not_retried():
    call, calls = _flaky([ValueError("bad request")])
    with pytest.raises(ValueError):
        retry(call, POLICY, where="http://x")
    assert len(calls) == 1


def test_async_twin_behaves_the_same():
    attempts = []

    async def call():
        attempts.append(1)
        raise ConnectionRefusedError("refused")

    with pytest.raises(ServerUnreachable):
        asyncio.run(aretry(call, POLICY, where="http://x"))
    assert len(attempts) == 3


def test_verbose_flag_shows_the_minos_logger():
    from minos.cli.main import app
    from typer.testing import CliRunner

    logger = logging.getLogger("minos")
    handlers, level = list(logger.handlers), logger.level
    try:
        result = CliRunner().invoke(app, ["-v", "solve", ""])
        assert result.exit_code == 2  # the flag parses on every command; the empty problem is still refused
        assert logger.level == logging.DEBUG and len(logger.handlers) == len(handlers) + 1
    finally:
        logger.handlers[:], logger.level = handlers, level
