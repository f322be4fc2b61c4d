"""Small helpers shared by the benchmarks: timing, the CPU's matmul rate, table printing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Fastest wall time of `repeat` runs (after one warm-up), in seconds."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def matmul_flops(size: int = 1024, repeat: int = 5, dtype: str = "float32") -> float:
    """This CPU's measured matmul rate (FLOP/s) in `dtype`, the roofline the verifier is compared with."""
    import torch

    a, b = torch.randn(size, size, dtype=getattr(torch, dtype)), torch.randn(size, size, dtype=getattr(torch, dtype))
    seconds = best_of(lambda: a @ b, repeat)
    return 2 * size**3 / seconds


async def raw_completions(url: str, prompts: list[str], concurrency: int, max_tokens: int) -> tuple[float, int]:
    """The raw `openai` client sending `prompts` greedily at `concurrency` to the server at `url` (model
    `gemma`), the baseline Minos is compared with: (seconds, completion tokens)."""
    import openai
    from minos.generators import FewShotTemplate

    stop = list(FewShotTemplate().stop)  # the stop strings Minos sends
    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int, prompt: str) -> int:
        async with semaphore:
            r = await client.completions.create(
                model="gemma", prompt=prompt, max_tokens=max_tokens, temperature=0.0, seed=i, stop=stop
            )
            return r.usage.completion_tokens

    started = time.perf_counter()
    tokens = sum(await asyncio.gather(*(one(i, p) for i, p in enumerate(prompts))))
    seconds = time.perf_counter() - started
    await client.close()
    return seconds, tokens


def print_table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        table.add_row(*[f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row])
    Console(width=160).print(table)
