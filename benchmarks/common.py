"""Small helpers shared by the benchmarks: timing, the CPU's matmul rate, table printing."""

from __future__ import annotations

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


def matmul_flops(size: int = 1024, repeat: int = 5) -> float:
    """This CPU's measured float32 matmul rate (FLOP/s), the roofline the verifier is compared with."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    seconds = best_of(lambda: a @ b, repeat)
    return 2 * size**3 / seconds


def print_table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        table.add_row(*[f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row])
    Console(width=160).print(table)
