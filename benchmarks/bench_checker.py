"""The symbolic checker over every step of every solution in ../shared/data: verdict counts, exceptions,
steps past the time limit, the slowest step. Real text is where the checker crashed before (issue 19).

    python -m benchmarks.run checker [--quick]      # --quick: the first 500 solutions of each file
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import print_table

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def solutions(limit: int | None):
    """(file, list of steps) for the reference solutions of GSM8K and MATH and every labelled solution."""
    from minos.core.steps import split_steps
    from minos.training.inject import latex_steps

    def lines(name):
        with (DATA / name).open(encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                if limit is not None and i >= limit:
                    return
                yield json.loads(line)

    for name in ("gsm8k/train.jsonl", "gsm8k/test.jsonl"):
        for row in lines(name):
            yield name, split_steps(row["answer"])
    for name in ("math/test5000.jsonl", "math/math500.jsonl"):
        for row in lines(name):
            yield name, latex_steps(row["solution"])
    for name in ("steps/train.jsonl", "steps/dev.jsonl"):
        for row in lines(name):
            yield name, [str(s) for s in row["steps"]]


def main(quick: bool = False) -> None:
    from minos.verifier.symbolic import STEP_TIMEOUT_S, check_step

    if not DATA.exists():
        print(f"{DATA} is absent: nothing to sweep")
        return
    counts: dict[str, Counter] = {}
    slowest = (0.0, "", "")
    for name, steps in solutions(500 if quick else None):
        tally = counts.setdefault(name, Counter())
        tally["solutions"] += 1
        for step in steps:
            started = time.perf_counter()
            try:
                tally[check_step(step).status] += 1
            except Exception as exc:  # what the checker must never do; counted, with the first example kept
                tally["exception"] += 1
                tally.setdefault(f"first exception: {type(exc).__name__}: {step[:80]!r}", 1)
            seconds = time.perf_counter() - started
            tally["over limit"] += seconds > STEP_TIMEOUT_S
            if seconds > slowest[0]:
                slowest = (seconds, name, step[:60])
    columns = ["file", "solutions", "steps", "ok", "wrong", "unknown", "exception", "over limit"]
    rows = []
    for name, tally in counts.items():
        steps = tally["ok"] + tally["wrong"] + tally["unknown"] + tally["exception"]
        rows.append([name, tally["solutions"], steps, tally["ok"], tally["wrong"], tally["unknown"], tally["exception"], tally["over limit"]])
        rows += [[f"  {k}", "", "", "", "", "", "", ""] for k in tally if k.startswith("first exception")]
    total = [sum(r[i] for r in rows if isinstance(r[1], int)) for i in range(1, len(columns))]
    rows.append(["all", *total])
    print_table(f"symbolic checker over ../shared/data (limit per step {STEP_TIMEOUT_S} s)", columns, rows)
    print(f"slowest step: {slowest[0] * 1000:.1f} ms ({slowest[1]}: {slowest[2]!r})")
