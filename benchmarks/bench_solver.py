"""Solver: orchestration overhead (time outside generator and verifier calls) and `minos batch`
throughput against the raw client at the same concurrency, on the llama.cpp server."""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import print_table


class _Timed:
    """Wraps a generator or verifier and records the wall-clock interval of every call."""

    def __init__(self, inner, intervals: list) -> None:
        self.inner, self.intervals, self.name = inner, intervals, inner.name

    async def complete(self, prompt, params):
        started = time.perf_counter()
        try:
            return await self.inner.complete(prompt, params)
        finally:
            self.intervals.append((started, time.perf_counter()))

    def score(self, question, solutions):
        started = time.perf_counter()
        try:
            return self.inner.score(question, solutions)
        finally:
            self.intervals.append((started, time.perf_counter()))

    async def aclose(self):
        await self.inner.aclose()


def _covered(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of intervals (concurrent calls count once)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def _overhead(url: str, quick: bool) -> list[list]:
    from minos.solver import SolverConfig, asolve
    from minos.solver.generators.openai_http import OpenAIGenerator
    from minos.verifier import load_verifier

    question = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"
    rows = []
    cases = [
        ("weighted_vote", dict(n=4, max_tokens=96)),
        ("beam_search", dict(n=2, beam_width=2, max_steps=4 if quick else 6, step_max_tokens=40)),
    ]
    for strategy, settings in cases:
        intervals: list = []
        config = SolverConfig(
            generator=_Timed(OpenAIGenerator(url, "gemma"), intervals), verifier=_Timed(load_verifier("symbolic"), intervals),
            strategy=strategy, seed=0, **settings,
        )
        started = time.perf_counter()
        result = asyncio.run(asolve(question, config))
        wall = time.perf_counter() - started
        inside = _covered(intervals)
        rows.append([strategy, len(intervals), result.usage.completion_tokens, wall, inside, (wall - inside) / wall])
    return rows


async def _raw(url: str, prompts: list[str], concurrency: int, max_tokens: int, stop) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> None:
        async with semaphore:
            await client.completions.create(model="gemma", prompt=prompt, max_tokens=max_tokens, temperature=0.0, stop=list(stop))

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in prompts))
    await client.close()
    return time.perf_counter() - started


def _batch(url: str, quick: bool) -> list[list]:
    from minos.cli.batch_run import run_batch
    from minos.core.data import load_problems
    from minos.solver import SolverConfig
    from minos.solver.generators import FewShotTemplate
    from minos.solver.generators.openai_http import OpenAIGenerator
    from rich.console import Console

    from tests.conftest import FIXTURES

    problems = load_problems(FIXTURES / "gsm8k_sample.jsonl")[: 6 if quick else 16]
    template = FewShotTemplate()
    prompts = [template.render(p.question) for p in problems]
    rows = []
    for concurrency in (1, 4, 16):
        raw = asyncio.run(_raw(url, prompts, concurrency, 64, template.stop))
        config = SolverConfig(generator=OpenAIGenerator(url, "gemma", max_concurrency=concurrency), strategy="greedy", max_tokens=64)
        out = Path(tempfile.mkdtemp(prefix="minos-bench-")) / "out.jsonl"
        started = time.perf_counter()
        asyncio.run(run_batch(problems, {"greedy": config}, out, resume=False, concurrency=concurrency, console=Console(file=io.StringIO())))
        minos = time.perf_counter() - started
        ok = sum(1 for line in out.read_text().splitlines() if json.loads(line).get("error") is None)
        rows.append([concurrency, len(problems), ok, len(problems) / raw, len(problems) / minos, raw / minos])
    return rows


def main(quick: bool = False) -> None:
    from tests.servers import free_port, start_llamacpp

    port = free_port()
    server = start_llamacpp(port)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        print_table(
            "orchestration overhead: solve wall time outside generator / verifier calls (llama.cpp server, symbolic verifier)",
            ["strategy", "calls", "tokens", "wall s", "inside calls s", "overhead"],
            _overhead(url, quick),
        )
        print_table(
            "`minos batch` (greedy, 64 tokens max) vs the raw client sending the same prompts, same concurrency",
            ["concurrency", "problems", "solved", "raw problems/s", "minos problems/s", "ratio"],
            _batch(url, quick),
        )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
