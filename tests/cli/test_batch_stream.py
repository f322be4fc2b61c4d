"""`run_batch` streams: it pulls problems as workers free up (never the whole input first), writes every
row to disk as it finishes, and ends with the file in input order."""

from __future__ import annotations

import asyncio
import io
import json

from minos.core.types import Problem
from minos.solver import SolverConfig
from minos.solver.batch import Tally, run_batch
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


def test_sample_strategies_share_one_draw_and_each_votes_its_own_way(tmp_path):
    """`--strategy self_consistency,weighted_vote,best_of_n` draws and scores each problem ONCE; each strategy
    votes on those candidates, so the rows equal separate runs' rows (seconds aside) at a third of the cost.
    Greedy and search strategies keep their own runs."""
    from dataclasses import replace

    from tests.fakes import TableVerifier

    scripts = ["6 * 7 = 40\n\nThe answer is 40.", "6 * 7 = 42\n\nThe answer is 42.", "6 * 7 = 40\n\nThe answer is 40."]
    table = {"6 * 7 = 40": 0.1, "6 * 7 = 42": 0.9}

    class Seeded(ScriptedGenerator):
        """The same samples for the same request, as a seeded server gives (the scripts from the first)."""

        async def complete(self, prompt, params, *, messages=None):
            self._next = 0
            return await super().complete(prompt, params, messages=messages)

    def configs(names):
        generator, verifier = Seeded(scripts), TableVerifier(table)
        base = SolverConfig(generator=generator, verifier=verifier, n=3, seed=0)
        return {name: replace(base, strategy=name) for name in names}, generator, verifier

    problems = [Problem(f"p{i}", "What is 6 * 7?", "42") for i in range(3)]
    names = ["self_consistency", "weighted_vote", "best_of_n", "greedy"]
    together, generator, verifier = configs(names)
    asyncio.run(run_batch(problems, together, tmp_path / "all.jsonl", resume=False, concurrency=1, console=Console(file=io.StringIO())))
    assert len(generator.calls) == 3 * 2  # one draw per problem for the three sample strategies, one for greedy
    assert verifier.calls == 3 * 2
    rows = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert [(r["id"], r["strategy"]) for r in rows] == [(p.id, s) for p in problems for s in names]
    assert {r["strategy"]: r.get("drawn_by") for r in rows} == {
        "self_consistency": None, "weighted_vote": "self_consistency", "best_of_n": "self_consistency", "greedy": None}
    # majority says 40; the verifier's weight and best-of-n say 42
    assert {r["strategy"]: r["answer"] for r in rows} == {"self_consistency": "40", "weighted_vote": "42", "best_of_n": "42", "greedy": "40"}
    for name in names:  # each equals its own separate run
        alone, _, _ = configs([name])
        out = tmp_path / f"{name}.jsonl"
        asyncio.run(run_batch(problems, alone, out, resume=False, concurrency=1, console=Console(file=io.StringIO())))
        separate = [json.loads(line) for line in out.read_text().splitlines()]
        shared = [r for r in rows if r["strategy"] == name]
        strip = lambda r: {k: v for k, v in r.items() if k not in ("seconds", "drawn_by")}  # noqa: E731
        assert [strip(r) for r in shared] == [strip(r) for r in separate]
