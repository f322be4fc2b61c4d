"""The work behind `minos batch` (kept apart from the Typer command so tests can drive it)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from minos.core.data import read_jsonl, write_jsonl_atomic
from minos.core.retry import ServerUnreachable

# consecutive problems that could not reach a server, with no success between them, before a batch stops:
# a dead server is reported once, not retried problem by problem for minutes
UNREACHABLE_LIMIT = 3


class BatchStopped(RuntimeError):
    """The batch stopped early (a dead server); the output holds every finished problem."""


def _key(row: dict) -> tuple[str, str]:
    return (str(row["id"]), row.get("strategy", ""))


def _unreachable(exc: BaseException) -> ServerUnreachable | None:
    """The ServerUnreachable behind `exc`, however the graph wrapped it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ServerUnreachable):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


async def run_batch(problems, configs: dict, output: Path, *, resume: bool, concurrency: int, console) -> list[dict]:
    """Solve problems x strategies, appending one line per finished solve; returns all rows in input order."""
    from minos.solver import asolve
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    done: dict[tuple[str, str], dict] = {}
    if resume and output.exists():
        # rows that ended in an error are dropped, so --resume retries them
        done = {_key(r): r for r in read_jsonl(output) if not r.get("error")}
    # rewrite what is kept (drops a torn last line and failed rows) before appending
    write_jsonl_atomic(output, list(done.values()))
    todo = [(p, s) for p in problems for s in configs if (p.id, s) not in done]
    semaphore = asyncio.Semaphore(concurrency)
    graded = [r for r in done.values() if r.get("correct") is not None]
    stats = {"right": sum(bool(r["correct"]) for r in graded), "graded": len(graded)}
    unreachable: list[ServerUnreachable] = []  # the current run of failures with no success between
    stop = asyncio.Event()

    with output.open("a", encoding="utf-8") as sink, Progress(
        TextColumn("[bold]solving"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[acc]}"),
        TimeElapsedColumn(), console=console,
    ) as progress:
        task = progress.add_task("solve", total=len(todo), acc="")

        async def one(problem, strategy: str) -> None:
            async with semaphore:
                if stop.is_set():
                    return  # left for --resume
                started = time.perf_counter()
                try:
                    result = await asolve(problem.question, configs[strategy], reference=problem.reference, problem_id=problem.id)
                    row = result.to_dict()
                    unreachable.clear()
                except Exception as exc:  # one failed problem is recorded; the run goes on
                    dead = _unreachable(exc)
                    if dead is not None:
                        unreachable.append(dead)
                        if len(unreachable) >= UNREACHABLE_LIMIT:
                            stop.set()
                            for other in tasks:  # problems still waiting on the dead server: left for --resume
                                if other is not asyncio.current_task():
                                    other.cancel()
                    row = {
                        "id": problem.id, "problem": problem.to_dict(), "strategy": strategy, "answer": None,
                        "correct": None, "error": f"{type(exc).__name__}: {exc}",
                        "seconds": time.perf_counter() - started,
                    }
            # one write of one whole line, from the loop thread: lines never interleave or tear on Ctrl-C
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            done[(problem.id, strategy)] = row
            if row.get("correct") is not None:
                stats["graded"] += 1
                stats["right"] += bool(row["correct"])
            acc = f"acc {stats['right'] / stats['graded']:.1%} of {stats['graded']}" if stats["graded"] else ""
            progress.update(task, advance=1, acc=acc)

        tasks = [asyncio.ensure_future(one(p, s)) for p, s in todo]
        await asyncio.gather(*tasks, return_exceptions=True)
        for done_task in tasks:  # a bug inside `one` must not pass silently as a cancelled or lost problem
            if not done_task.cancelled() and done_task.exception() is not None:
                raise done_task.exception()
    ordered = [done[(p.id, s)] for p in problems for s in configs if (p.id, s) in done]
    write_jsonl_atomic(output, ordered)  # the finished file is in input order, like an uninterrupted run
    for config in configs.values():
        await config.generator.aclose()
    if stop.is_set():
        raise BatchStopped(f"stopped after {len(unreachable)} problems in a row could not reach the server: {unreachable[-1]}")
    return ordered


def summary_table(rows: list[dict], strategies: list[str]):
    from rich.table import Table

    table = Table(title="minos batch")
    for column in ("strategy", "problems", "accuracy", "failed", "tokens", "seconds"):
        table.add_column(column, justify="right" if column != "strategy" else "left")
    for strategy in strategies:
        mine = [r for r in rows if r.get("strategy") == strategy]
        graded = [r for r in mine if r.get("correct") is not None]
        accuracy = f"{sum(r['correct'] for r in graded) / len(graded):.1%}" if graded else "-"
        tokens = sum(r.get("usage", {}).get("completion_tokens", 0) for r in mine)
        seconds = sum(r.get("seconds", 0.0) for r in mine)
        failed = sum(1 for r in mine if r.get("error"))
        table.add_row(strategy, str(len(mine)), accuracy, str(failed), str(tokens), f"{seconds:.1f}")
    return table


def accuracy_at_k(rows: list[dict], strategy: str, k: int, aggregation: str) -> float | None:
    """Accuracy when only the first k recorded candidates of each problem are used (one run, many n)."""
    from minos.core.answers import answers_equal
    from minos.core.types import Candidate
    from minos.solver import strategies as S
    from minos.verifier.aggregate import aggregate

    right = graded = 0
    for row in rows:
        if row.get("strategy") != strategy or row.get("error") or row["problem"].get("reference") is None:
            continue
        candidates = [Candidate.from_dict(c) for c in row["candidates"][:k]]
        answers = [c.answer for c in candidates]
        scores = [aggregate(c.step_scores, aggregation) if c.step_scores else 1.0 for c in candidates]
        if strategy == "self_consistency":
            pick = S.majority_vote(answers)
        elif strategy == "best_of_n":
            pick = S.best_of_n(answers, scores)
        else:
            pick = S.weighted_vote(answers, scores)
        graded += 1
        right += answers_equal(pick.answer, row["problem"]["reference"])
    return right / graded if graded else None


def plot_accuracy_vs_n(rows: list[dict], strategies: list[str], configs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for strategy in strategies:
        config = configs[strategy]
        if strategy in ("beam_search", "dvts", "greedy"):
            continue  # search results are not prefixes of a larger run
        ks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= config.n] or [config.n]
        accs = [accuracy_at_k(rows, strategy, k, config.aggregation) for k in ks]
        ax.plot(ks, [a if a is not None else float("nan") for a in accs], marker="o", label=strategy)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (samples)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
