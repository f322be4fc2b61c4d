"""Solver: orchestration overhead (time outside generator and verifier calls) and `minos batch`
throughput against the raw client at the same concurrency, on the llama.cpp server."""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import time
from pathlib import Path

from minos.generators.base import BaseGenerator
from minos.verifier.base import BaseVerifier

from benchmarks.common import print_table, raw_completions


class _TimedGenerator(BaseGenerator):
    """Wraps a generator and records the wall-clock interval of every call."""

    def __init__(self, inner, intervals: list) -> None:
        self.inner, self.intervals, self.name = inner, intervals, inner.name

    async def complete(self, prompt, params, *, messages=None):
        started = time.perf_counter()
        try:
            return await self.inner.complete(prompt, params, messages=messages)
        finally:
            self.intervals.append((started, time.perf_counter()))

    async def aclose(self):
        await self.inner.aclose()


class _TimedVerifier(BaseVerifier):
    """Wraps a verifier and records the wall-clock interval of every call."""

    def __init__(self, inner, intervals: list) -> None:
        self.inner, self.intervals, self.name = inner, intervals, inner.name

    def score(self, question, solutions):
        started = time.perf_counter()
        try:
            return self.inner.score(question, solutions)
        finally:
            self.intervals.append((started, time.perf_counter()))


def _covered(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of intervals (concurrent calls count once)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def _overhead(url: str, quick: bool) -> list[list]:
    from minos.generators.openai_http import OpenAIGenerator
    from minos.solver import asolve, build
    from minos.verifier import load_verifier

    question = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"
    rows = []
    cases = [
        ("weighted_vote", dict(n=4, max_tokens=96)),
        ("beam_search", dict(n=2, beam_width=2, max_steps=4 if quick else 6, step_max_tokens=40)),
    ]
    for strategy, settings in cases:
        intervals: list = []
        generator = _TimedGenerator(OpenAIGenerator(url, "gemma"), intervals)
        config = build(generator=generator, verifier=_TimedVerifier(load_verifier("symbolic"), intervals), strategy=strategy, seed=0,
                       **settings)
        for label, repeats in (("first solve", 1), ("next solves", 1 if quick else 3)):
            intervals.clear()
            started = time.perf_counter()
            tokens = sum(asyncio.run(asolve(question, config)).usage.completion_tokens for _ in range(repeats))
            wall = time.perf_counter() - started
            inside = _covered(intervals)
            rows.append([f"{strategy}, {label}", len(intervals), tokens, wall, inside, (wall - inside) / wall])
        asyncio.run(generator.aclose())
    return rows


class _Instant(BaseGenerator):
    """A generator that answers at once: what is left of a solve's time is orchestration."""

    name = "instant"

    async def complete(self, prompt, params, *, messages=None):
        from minos.core.types import Usage
        from minos.generators import Completion

        return [Completion("48 / 2 = 24 clips in May.\n\nThe answer is 72.", "stop", Usage(10, 12))] * params.n


def _fixed_cost(quick: bool) -> list[list]:
    from minos.solver import asolve, build

    rows = []
    for strategy, settings in (("weighted_vote", dict(n=4)), ("beam_search", dict(n=2, beam_width=2, max_steps=4))):
        config = build(generator=_Instant(), verifier="symbolic", strategy=strategy, **settings)
        asyncio.run(asolve("How many clips?", config))
        repeats = 5 if quick else 30
        started = time.perf_counter()
        for _ in range(repeats):
            asyncio.run(asolve("How many clips?", config))
        rows.append([strategy, repeats, (time.perf_counter() - started) / repeats * 1e3])
    return rows


def _batch(url: str, quick: bool) -> list[list]:
    from minos.core.data import load_problems
    from minos.core.types import Problem
    from minos.generators import FewShotTemplate
    from minos.generators.openai_http import OpenAIGenerator
    from minos.solver import build
    from minos.solver.batch import run_batch
    from rich.console import Console

    from tests.conftest import FIXTURES

    base = load_problems(FIXTURES / "gsm8k_sample.jsonl")
    problems = [Problem(f"{p.id}-{k}", p.question, p.reference) for k in range(4) for p in base][: 6 if quick else 16]
    template = FewShotTemplate()
    prompts = [template.render(p.question) for p in problems]

    def minos(concurrency: int, problems=problems) -> tuple[float, int]:
        config = build(generator=OpenAIGenerator(url, "gemma", max_concurrency=concurrency), verifier="none", strategy="greedy",
                       max_tokens=64)
        out = Path(tempfile.mkdtemp(prefix="minos-bench-")) / "out.jsonl"
        started = time.perf_counter()
        asyncio.run(run_batch(problems, {"greedy": config}, out, resume=False, concurrency=concurrency, console=Console(file=io.StringIO())))
        seconds = time.perf_counter() - started
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert all(r.get("error") is None for r in rows), [r.get("error") for r in rows]
        return seconds, sum(r["usage"]["completion_tokens"] for r in rows)

    minos(1, problems[:1])  # once per process: the answer-grading worker starts (the overhead table shows it)
    rows = []
    for concurrency in (1, 4, 16):
        best = {"raw": (1e9, 0), "minos": (1e9, 0)}
        for _ in range(1 if quick else 2):  # alternate, keep each side's best run
            for name, run in (("raw", lambda c=concurrency: asyncio.run(raw_completions(url, prompts, c, 64))), ("minos", lambda c=concurrency: minos(c))):
                result = run()
                best[name] = min(best[name], result)
        (raw_s, raw_tokens), (minos_s, minos_tokens) = best["raw"], best["minos"]
        rows.append([concurrency, len(problems), raw_tokens, minos_tokens, len(problems) / raw_s, len(problems) / minos_s, raw_s / minos_s])
    return rows


_BREAKDOWN = """
import json, sys, time
t0 = time.perf_counter()
import torch, transformers  # noqa: F401 - what a solve with the default verifier imports
from minos.solver import build
from minos.generators import load_generator
from minos.verifier import load_verifier
t1 = time.perf_counter()
generator = load_generator("default")
t2 = time.perf_counter()
verifier = load_verifier("hybrid:default")
t3 = time.perf_counter()
from minos.solver.graph import asolve
from minos.generators.loop import wait_for
seconds = {"generator": 0.0, "verifier": 0.0}
def note(event):
    seconds["generator"] += event.get("generator_seconds", 0.0)
    seconds["verifier"] += event.get("verifier_seconds", 0.0)
config = build(generator=generator, verifier=verifier, n=4)
result = wait_for(asolve(sys.argv[1], config, on_event=note))
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "generator load": t2 - t1, "verifier load": t3 - t2,
                  "sampling": seconds["generator"], "scoring": seconds["verifier"], "solve": t4 - t3, "total": t4 - t0}))
"""
QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
            "How many clips did Natalia sell altogether in April and May?")


def breakdown() -> None:
    """A warm offline solve (defaults, n=4), in a fresh process each: where its seconds go, and the wall time
    of the `minos solve` command itself (caches warm: the converted model and the merged adapter exist)."""
    import subprocess
    import sys

    parts = json.loads(subprocess.run([sys.executable, "-c", _BREAKDOWN, QUESTION], capture_output=True, text=True, check=True).stdout)
    print_table("a warm offline solve (llama.cpp generator, hybrid:default verifier, n=4), in a fresh process",
                ["part", "seconds"], [[k, v] for k, v in parts.items()])
    started = time.perf_counter()
    subprocess.run(["minos", "solve", QUESTION, "--show", "none"], capture_output=True, check=True)
    print_table("`minos solve` (defaults), warm, wall time", ["command", "seconds"], [["minos solve ... --show none", time.perf_counter() - started]])


def main(quick: bool = False) -> None:
    from tests.servers import free_port, start_llamacpp

    breakdown()

    print_table(
        "orchestration alone: a solve with a generator that answers at once (symbolic verifier)",
        ["strategy", "solves", "ms per solve"],
        _fixed_cost(quick),
    )

    port = free_port()
    server = start_llamacpp(port)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        print_table(
            "orchestration overhead: solve wall time outside generator / verifier calls (llama.cpp server, symbolic "
            "verifier); the first solve of a process also starts the answer-grading worker and compiles the graph",
            ["strategy", "calls", "tokens", "wall s", "inside calls s", "overhead"],
            _overhead(url, quick),
        )
        print_table(
            "`minos batch` (greedy, 64 tokens max) vs the raw client sending the same prompts, same concurrency",
            ["concurrency", "problems", "raw tokens", "minos tokens", "raw problems/s", "minos problems/s", "ratio"],
            _batch(url, quick),
        )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
