"""`minos serve` under load: a real uvicorn process (`tests.serve_paced`: the app and runner `minos serve`
uses, with a scripted generator whose solves take a set time) and closed-loop clients on loopback, at 1x,
2x and 10x the requests the server holds (running + queued). Each client sends its next request as soon as
it has an answer (a 429 is not waited out: a burst, the worst case). Rows: requests/s answered, 200s/s,
p50 / p99 latency of the 200s and of the 429s, the 429 share, and anything else (5xx, lost) that must be 0.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from benchmarks.common import print_table

CONCURRENT, QUEUE, SOLVE_SECONDS = 4, 4, 0.25


async def _clients(url: str, clients: int, seconds: float) -> list[tuple[int, float]]:
    """(status, seconds) of every request `clients` closed-loop clients sent in `seconds`; status 0: lost."""
    import httpx

    body = {"model": "minos", "messages": [{"role": "user", "content": f"What is 48 / 2? [sleep {SOLVE_SECONDS}]"}]}
    stop = time.perf_counter() + seconds
    seen: list[tuple[int, float]] = []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=clients)) as client:
        async def one() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    status = (await client.post(f"{url}/v1/chat/completions", json=body)).status_code
                except httpx.HTTPError:
                    status = 0
                seen.append((status, time.perf_counter() - started))

        await asyncio.gather(*(one() for _ in range(clients)))
    return seen


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(quick: bool = False) -> None:
    from tests.servers import free_port, start_paced

    seconds = 2.0 if quick else 5.0
    held = CONCURRENT + QUEUE
    port = free_port()
    process = start_paced(port, "--max-concurrent-solves", str(CONCURRENT), "--max-queue", str(QUEUE))
    rows = []
    try:
        url = f"http://127.0.0.1:{port}"
        for times in (1, 2, 10):
            seen = asyncio.run(_clients(url, held * times, seconds))
            ok = [s for status, s in seen if status == 200]
            refused = [s for status, s in seen if status == 429]
            other = len(seen) - len(ok) - len(refused)
            rows.append([f"{times}x ({held * times} clients)", len(seen), len(seen) / seconds, len(ok) / seconds,
                         _pct(ok, 50) * 1000, _pct(ok, 99) * 1000, _pct(refused, 50) * 1000, _pct(refused, 99) * 1000,
                         f"{len(refused) / len(seen):.1%}", other])
    finally:
        process.terminate()
        process.wait(30)
    print_table(f"minos serve: {CONCURRENT} solves at once + {QUEUE} queued, solves of {SOLVE_SECONDS} s, {seconds:.0f} s a row",
                ["load", "requests", "answered/s", "200/s", "200 p50 ms", "200 p99 ms", "429 p50 ms", "429 p99 ms",
                 "429 share", "5xx or lost"], rows)
