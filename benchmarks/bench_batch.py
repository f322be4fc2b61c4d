"""`minos batch` on a long input: peak memory (RSS) and problems/s with an instant generator; and the
client-side seconds per problem at n=256 (answer extraction, step splitting, grading, voting).

The input is streamed: peak RSS should stay flat from 1,000 to 100,000 lines, where loading the file
whole (the "loaded whole" rows, what `minos batch` did before) grows with it. Each row runs in a fresh
child process so its peak RSS is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from minos.generators.base import BaseGenerator
from minos.verifier.base import BaseVerifier

from benchmarks.common import print_table

# a long question, like a MATH problem with its statement and a table: 2 KB a line, 200 MB at 100,000 lines
_PAD = " ".join(["The table lists the values 12, 17, 23 and 41 for the four quarters."] * 30)


class _Instant(BaseGenerator):
    """An instant generator: every sample is one short step with an answer."""

    name = "instant"

    async def complete(self, prompt, params, *, messages=None):
        from minos.core.types import Usage
        from minos.generators.base import Completion

        return [Completion("2 + 2 = 4. The answer is 4.", "stop", Usage(1, 8)) for _ in range(params.n)]


def _write_input(path: Path, lines: int) -> None:
    with path.open("w") as handle:
        for i in range(lines):
            handle.write(json.dumps({"id": f"p{i}", "question": f"What is 2 + 2? {_PAD}", "answer": "4"}) + "\n")


def _child(input: str, output: str, whole: bool) -> None:
    import asyncio
    import io
    import resource

    from minos.core.data import iter_problems, load_problems
    from minos.solver import build
    from minos.solver.batch import run_batch
    from rich.console import Console

    problems = load_problems(input) if whole else iter_problems(input)
    config = build(generator=_Instant(), verifier="none", strategy="greedy", n=1, max_tokens=16)
    started = time.perf_counter()
    asyncio.run(run_batch(problems, {"greedy": config}, Path(output), resume=False, concurrency=64, console=Console(file=io.StringIO())))
    seconds = time.perf_counter() - started
    rows = sum(1 for _ in open(output))
    print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "seconds": seconds, "rows": rows}))


class _Varied(BaseGenerator):
    """An instant generator whose n samples give answers in many forms (0.5, 1/2, \\frac{1}{2}, 7, ...),
    as real samples do, so grouping answers by equivalence does real work."""

    name = "varied"

    async def complete(self, prompt, params, *, messages=None):
        import random

        from minos.core.types import Usage
        from minos.generators.base import Completion

        rng = random.Random(params.seed)
        forms = ["0.5", "\\frac{1}{2}", "1/2", "7", "7.0", "\\boxed{7}", "12", "x = 12", "3\\sqrt{2}", "\\sqrt{18}"]
        texts = [f"First, 3 * 4 = 12.\n\nThen 12 / 24 = 0.5.\n\nThe answer is {rng.choice(forms)}." for _ in range(params.n)]
        return [Completion(t, "stop", Usage(1, 30)) for t in texts]


class _Constant(BaseVerifier):
    name = "constant"

    def score(self, question, solutions):
        return [[0.9] * len(steps) for steps in solutions]


def _per_problem(n: int, verifier, problems: int) -> float:
    import asyncio

    from minos.solver import asolve, build

    config = build(generator=_Varied(), verifier=verifier, strategy="weighted_vote", n=n, max_tokens=64)
    asyncio.run(asolve("What is half of one?", config, reference="0.5"))  # warm-up: the grading worker starts
    started = time.perf_counter()
    for i in range(problems):
        asyncio.run(asolve(f"What is half of one? ({i})", config, reference="0.5"))
    return (time.perf_counter() - started) / problems


def main(quick: bool = False) -> None:
    rows = []
    for n in (16, 256):
        for name, verifier in (("constant scores", _Constant()), ("symbolic", "symbolic")):
            rows.append([n, name, _per_problem(n, verifier, 3 if quick else 10)])
    print_table("client-side seconds per problem (instant generator, weighted_vote; goal at n=256: under 0.5 s)",
                ["n", "verifier", "seconds per problem"], rows)
    _rss(quick)


def _rss(quick: bool) -> None:
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    table = []
    with tempfile.TemporaryDirectory(prefix="minos-bench-batch-") as tmp:
        for lines in sizes:
            input = Path(tmp) / f"in{lines}.jsonl"
            _write_input(input, lines)
            for whole in (False, True):
                if whole and lines > 10_000 and quick:
                    continue
                output = Path(tmp) / "out.jsonl"
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.bench_batch", "--child", str(input), str(output), str(int(whole))],
                    capture_output=True, text=True,
                )
                if out.returncode != 0:
                    raise RuntimeError(f"benchmark child failed:\n{out.stderr[-2000:]}")
                got = json.loads(out.stdout.strip().splitlines()[-1])
                table.append([f"{lines:,}", f"{input.stat().st_size / 1e6:.0f}", "loaded whole" if whole else "streamed",
                              got["rows"], got["rss_mb"], got["rows"] / got["seconds"]])
    print_table("minos batch: peak RSS on a long input (instant generator, greedy, no verifier, concurrency 64)",
                ["input lines", "input MB", "input read", "rows out", "peak RSS MB", "problems/s"], table)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3], bool(int(sys.argv[4])))
    else:
        main(quick="--quick" in sys.argv)
