"""Batch solving: a dataset through the solver into a JSONL file, resumable, sharded, one row per problem and
strategy (the engine behind `minos batch`; benchmarks and tests drive it directly)."""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from minos.core.data import read_jsonl, write_lines_atomic
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


def _line(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def _rewrite(output: Path, rows: Iterable[dict]) -> dict[tuple[str, str], int]:
    """Stream rows into `output` (atomically); returns each row's byte offset, so rows never sit in memory."""
    offsets: dict[tuple[str, str], int] = {}
    position = 0

    def lines():
        nonlocal position
        for row in rows:
            offsets[_key(row)] = position
            line = _line(row)
            position += len(line)
            yield line

    write_lines_atomic(output, lines())
    return offsets


def _row_at(handle, offset: int) -> dict:
    handle.seek(offset)
    return json.loads(handle.readline())


def _share_groups(strategies: list[str], configs: dict) -> list[list[str]]:
    """The strategies to run, grouped so that each group draws once: the first of a group solves, the
    others vote on its candidates (`shares_draw`). Search strategies and greedy stay alone."""
    from minos.solver.graph import shares_draw

    groups: list[list[str]] = []
    for strategy in strategies:
        home = next((g for g in groups if shares_draw(configs[g[0]], configs[strategy])), None)
        if home is None:
            groups.append([strategy])
        else:
            home.append(strategy)
    return groups


def shard_of(problem_id: str, shards: int) -> int:
    """A stable share of a problem id among `shards` (the same on every machine and Python run)."""
    return zlib.crc32(problem_id.encode("utf-8")) % shards


async def solve_group(index: int, problem, group: list[str], configs: dict) -> tuple[list[dict], str | None]:
    """The rows of one problem under a group of strategies that share a draw (`_share_groups`): the first
    solves, the others vote on its candidates. A failure is rows too (one per strategy, with `error`), so
    one failed problem is recorded and the run goes on; the second value names the dead server behind a
    failure, if any (a batch stops after several in a row). Local and Ray runs both solve through here."""
    from minos.solver import asolve
    from minos.solver.graph import revote

    started = time.perf_counter()
    strategy = group[0]
    try:
        result = await asolve(problem.question, configs[strategy], reference=problem.reference, problem_id=problem.id)
        # how a step is flagged, as `minos solve` shows it (the report draws it)
        rows = [{**result.to_dict(), "index": index, **configs[strategy].flag_rule()}]
        # the other strategies of the group vote on the same candidates: one draw, one scoring pass
        for other in group[1:]:
            voted = await asyncio.to_thread(revote, result, configs[other])
            rows.append({**voted.to_dict(), "index": index, "drawn_by": strategy, **configs[other].flag_rule()})
        return rows, None
    except Exception as exc:  # one failed problem is recorded; the run goes on
        dead = _unreachable(exc)
        failed = [{
            "id": problem.id, "index": index, "problem": problem.to_dict(), "strategy": name, "answer": None,
            "correct": None, "error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - started,
        } for name in group]
        return failed, None if dead is None else str(dead)


class BatchOutput:
    """The output file while a batch runs, whoever solves (`run_batch` here, `minos.solver.ray_batch` on a
    cluster): what --resume keeps, which problems are left, one whole line written per row as it comes, and
    the file in input order at the end. Only ids and byte offsets stay in memory."""

    def __init__(self, output: Path, configs: dict, *, resume: bool, console, shard: tuple[int, int] | None = None) -> None:
        self.output, self.configs, self.shard, self.console = output, configs, shard, console
        # keep what is finished (a torn last line and failed rows are dropped, so --resume retries failures)
        previous = (r for r in read_jsonl(output) if not r.get("error")) if resume and output.exists() else ()
        self.offsets = _rewrite(output, previous)
        self.order: dict[tuple[str, str], None] = {}  # every (id, strategy) of the input, in input order
        self.tally = Tally()
        self.unreachable: list[str] = []  # the current run of failures with no success between
        self.stopped = False

    def __enter__(self) -> BatchOutput:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._sink = self.output.open("ab")
        self._progress = Progress(
            TextColumn("[bold]solving"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[acc]}"),
            TimeElapsedColumn(), console=self.console,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task("solve", total=None, acc="")
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)
        self._sink.close()

    def todo(self, problems: Iterable):
        """(input index, problem, strategies sharing a draw) still to solve, pulled from `problems` lazily."""
        for index, problem in enumerate(problems):
            if self.shard is not None and shard_of(problem.id, self.shard[1]) != self.shard[0]:
                continue
            missing = []
            for strategy in self.configs:
                key = (problem.id, strategy)
                if key in self.order:
                    continue  # a repeated id is solved once
                self.order[key] = None
                if key not in self.offsets:
                    missing.append(strategy)
            for group in _share_groups(missing, self.configs):
                yield index, problem, group

    def record(self, rows: list[dict], dead: str | None) -> bool:
        """Write one solved (or failed) group's rows; True once the batch must stop (a dead server)."""
        for row in rows:
            # one write of one whole line, from one thread: lines never interleave or tear on Ctrl-C
            self.offsets[_key(row)] = self._sink.tell()
            self._sink.write(_line(row))
            self._sink.flush()
            self.tally.add(row)
            self._progress.update(self._task, advance=1, acc=self.tally.progress())
        if not any(row.get("error") for row in rows):
            self.unreachable.clear()
        elif dead is not None:
            self.unreachable.append(dead)
            self.stopped = self.stopped or len(self.unreachable) >= UNREACHABLE_LIMIT
        return self.stopped

    def finish(self) -> None:
        """The file in input order, like an uninterrupted run; rows of problems no longer in the input (a
        smaller --limit on resume) stay, after them. Raises BatchStopped after a dead server."""
        ordered = [k for k in self.order if k in self.offsets] + [k for k in self.offsets if k not in self.order]
        with self.output.open("rb") as source:
            _rewrite(self.output, (_row_at(source, self.offsets[k]) for k in ordered))
        if self.stopped:
            raise BatchStopped(f"stopped after {len(self.unreachable)} problems in a row could not reach the server: {self.unreachable[-1]}")


async def run_batch(
    problems: Iterable, configs: dict, output: Path, *, resume: bool, concurrency: int, console,
    shard: tuple[int, int] | None = None,
) -> None:
    """Solve problems x strategies, appending one line per finished solve; OUTPUT ends in input order.

    Problems are taken from the iterable as workers free up and results go straight to disk, so memory
    stays flat however long the input is (only ids and byte offsets are kept). Each row records the
    problem's input position (`index`); with `shard=(i, k)` only the problems of share i of k are solved.
    """
    out = BatchOutput(output, configs, resume=resume, console=console, shard=shard)
    work = out.todo(problems)  # shared by the workers; each pulls the next pair when it is free

    with out:
        async def worker() -> None:
            for index, problem, group in work:
                if out.stopped:
                    return  # left for --resume
                rows, dead = await solve_group(index, problem, group, configs)
                if out.record(rows, dead):
                    for other in workers:  # problems still waiting on the dead server: left for --resume
                        if other is not asyncio.current_task():
                            other.cancel()

        workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
        try:
            await asyncio.gather(*workers, return_exceptions=True)
            for done in workers:  # a bug (or a bad row under --strict) must not pass silently
                if not done.cancelled() and done.exception() is not None:
                    raise done.exception()
        finally:
            for pending in workers:
                pending.cancel()
    for config in configs.values():
        await config.generator.aclose()
    out.finish()


@dataclass
class _Line:
    problems: int = 0
    graded: int = 0
    right: int = 0
    failed: int = 0
    tokens: int = 0
    seconds: float = 0.0


@dataclass
class Tally:
    """Per-strategy counts over a stream of result rows (the summary never needs the rows themselves)."""

    lines: dict[str, _Line] = field(default_factory=dict)

    def add(self, row: dict) -> None:
        line = self.lines.setdefault(row.get("strategy", ""), _Line())
        line.problems += 1
        line.failed += bool(row.get("error"))
        line.tokens += row.get("usage", {}).get("completion_tokens", 0)
        line.seconds += row.get("seconds", 0.0)
        if row.get("correct") is not None:
            line.graded += 1
            line.right += bool(row["correct"])

    def progress(self) -> str:
        graded = sum(x.graded for x in self.lines.values())
        right = sum(x.right for x in self.lines.values())
        return f"acc {right / graded:.1%} of {graded}" if graded else ""

    @classmethod
    def of(cls, rows: Iterable[dict]) -> Tally:
        tally = cls()
        for row in rows:
            tally.add(row)
        return tally


def accuracy_at_k(rows: Iterable[dict], ks: dict[str, list[int]], aggregation: str) -> dict[tuple[str, int], float]:
    """Accuracy of each strategy when only the first k recorded candidates of each problem are used (one
    run, many n), for every k of `ks[strategy]`, in one pass over the rows: each prefix re-voted as the
    solver votes (`minos.solver.strategies.vote_on`)."""
    from minos.core.answers import answers_equal
    from minos.core.types import SolveResult
    from minos.solver.strategies import vote_on, voters

    right: dict[tuple[str, int], int] = {}
    graded: dict[str, int] = {}
    for row in rows:
        strategy = row.get("strategy")
        if strategy not in ks or row.get("error") or row["problem"].get("reference") is None:
            continue
        graded[strategy] = graded.get(strategy, 0) + 1
        result = SolveResult.from_dict(row)
        for k in ks[strategy]:
            pick = vote_on(voters(result.candidates[:k]), strategy, aggregation)
            right[(strategy, k)] = right.get((strategy, k), 0) + bool(answers_equal(pick.answer, result.problem.reference))
    return {(s, k): right.get((s, k), 0) / graded[s] for s in graded for k in ks[s]}


def sample_ks(samples: dict[str, int]) -> dict[str, list[int]]:
    """The n (powers of 2 up to each strategy's samples) at which accuracy against n is read; search results
    are not prefixes of a larger run, nor is one greedy sample, so only sampling strategies have any."""
    from minos.solver.strategies import STRATEGIES

    return {
        strategy: [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= n] or [n]
        for strategy, n in samples.items()
        if strategy in STRATEGIES and STRATEGIES[strategy].mode == "sample" and not STRATEGIES[strategy].single
    }


def plot_accuracy_vs_n(results: Path, samples: dict[str, int], aggregation: str, path: Path) -> None:
    """Accuracy against n (samples per strategy) from one results file, read once as a stream."""
    from minos.core.plots import save_lines

    ks = sample_ks(samples)
    accuracy = accuracy_at_k(read_jsonl(results), ks, aggregation)
    series = {s: (points, [accuracy.get((s, k), float("nan")) for k in points]) for s, points in ks.items()}
    save_lines(series, path, xlabel="n (samples)", ylabel="accuracy", log2_x=True)


class MergeError(ValueError):
    """Shard outputs that do not add up to one run (a duplicate or a missing problem)."""


def merge_shards(parts: list[Path], output: Path, *, expected: Iterable | None = None) -> tuple[Tally, list[str]]:
    """Combine `minos batch --shard` outputs into one file in input order, as an unsharded run writes it.

    A problem and strategy finished in two parts is an error (the shards overlap); with `expected` (the
    input problems) every problem of the input must be there. Returns the tally and the strategies.
    """
    where: dict[tuple[str, str], tuple[int, int, int]] = {}  # key -> (input index, part, byte offset)
    strategies: dict[str, None] = {}
    for number, part in enumerate(parts):
        with part.open("rb") as handle:
            offset = 0
            for line in handle:
                start, offset = offset, offset + len(line)
                if not line.endswith(b"\n"):
                    break  # a torn last line: that row never completed
                row = json.loads(line)
                key = _key(row)
                strategies.setdefault(key[1])
                if key in where:
                    raise MergeError(f"problem {key[0]!r} ({key[1]}) is in both {parts[where[key][1]]} and {part}")
                where[key] = (row.get("index", len(where)), number, start)
    positions = {index for index, _, _ in where.values()}
    gaps = sorted(set(range(max(positions, default=-1) + 1)) - positions)
    if gaps:  # positions count the valid input problems, so every one below the last must be somewhere
        raise MergeError(f"{len(gaps)} problem(s) are in no part, e.g. the one at input position {gaps[0]}")
    if expected is not None:
        missing = [(p.id, s) for p in expected for s in strategies if (p.id, s) not in where]
        if missing:
            raise MergeError(f"{len(missing)} problem(s) of the input are in no part, e.g. {missing[0][0]!r} ({missing[0][1]})")
    order = list(strategies)
    keys = sorted(where, key=lambda k: (where[k][0], order.index(k[1])))
    handles = [part.open("rb") for part in parts]
    try:
        _rewrite(output, (_row_at(handles[where[k][1]], where[k][2]) for k in keys))
    finally:
        for handle in handles:
            handle.close()
    return Tally.of(read_jsonl(output)), order
