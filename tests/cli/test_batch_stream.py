"""`run_batch` streams: it pulls problems as workers free up (never the whole input first), writes every
row to disk as it finishes, and ends with the file in input order."""

from __future__ import annotations

import asyncio
import io
import json

from minos.cli.batch_run import Tally, run_batch
from minos.core.types import Problem
from minos.solver import SolverConfig
from rich.console import Console

from tests.fakes import ScriptedGenerator


def _config() -> SolverConfig:
    return SolverConfig(generator=ScriptedGenerator(["2 + 2 = 4\n\nThe answer is 4."]), verifier=None, strategy="greedy", n=1)


def _run(problems, output, *, resume=False, concurrency=4) -> None:
    asyncio.run(run_batch(problems, {"greedy": _config()}, output, resume=resume, concurrency=concurrency, console=Console(file=io.StringIO())))


def test_problems_are_pulled_as_workers_free_up(tmp_path):
    output, concurrency, ahead = tmp_path / "out.jsonl", 4, []

    def problems():
        for i in range(200):
            written = len(output.read_bytes().splitlines()) if output.exists() else 0
            ahead.append(i - written)  # problems taken from the input but not yet on disk
            yield Problem(f"p{i}", "What is 2 + 2?", "4")

    _run(problems(), output, concurrency=concurrency)
    assert max(ahead) <= concurrency  # never the whole input in memory
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"p{i}" for i in range(200)]
    assert all(r["correct"] for r in rows)


def test_repeated_ids_are_solved_once_and_resume_keeps_rows_beyond_a_smaller_input(tmp_path):
    output = tmp_path / "out.jsonl"
    _run([Problem(f"p{i}", "What is 2 + 2?", "4") for i in (0, 1, 1, 2)], output)
    assert [json.loads(x)["id"] for x in output.read_text().splitlines()] == ["p0", "p1", "p2"]
    _run([Problem("p3", "What is 2 + 2?", "4")], output, resume=True)  # a different slice of the input
    assert [json.loads(x)["id"] for x in output.read_text().splitlines()] == ["p3", "p0", "p1", "p2"]


def test_tally_counts_a_row_stream():
    rows = [
        {"strategy": "a", "correct": True, "usage": {"completion_tokens": 5}, "seconds": 1.0},
        {"strategy": "a", "correct": False, "seconds": 2.0},
        {"strategy": "a", "correct": None, "error": "boom"},
        {"strategy": "b", "correct": True},
    ]
    tally = Tally.of(rows)
    a = tally.lines["a"]
    assert (a.problems, a.graded, a.right, a.failed, a.tokens, a.seconds) == (3, 2, 1, 1, 5, 3.0)
    assert tally.progress() == "acc 66.7% of 3"
