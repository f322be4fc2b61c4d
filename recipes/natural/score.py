"""Score selection / report files once and keep the raw numbers, so every choice after it (threshold,
calibration, combination, aggregation) is a cheap pass over cached scores (issue 27).

    python recipes/natural/score.py CHECKPOINT OUT_DIR FILE [FILE ...] [--head-alone]

For each FILE (step-labelled rows, or rerank rows with `candidates`), writes OUT_DIR/STEM.json:
{"prm": per-solution raw PRM step scores, "symbolic": per-solution step statuses (ok / wrong / unknown),
"seconds": scoring time}. A file already scored is skipped, so a killed run resumes. `--head-alone` reads a
checkpoint's PRM head without its step probe (`cache/base`: the last release's reading, for comparisons).
"""

import argparse
import json
import time
from pathlib import Path

from minos.core.data import load_labelled
from minos.core.steps import split_steps
from minos.verifier.evaluate import load_rerank
from minos.verifier.neural import NeuralVerifier
from minos.verifier.symbolic import bounded_statuses


def items_of(path: Path) -> list[tuple[str, list[str]]]:
    first = json.loads(path.open(encoding="utf-8").readline())
    if "candidates" in first:
        return [(r["question"], split_steps(s) or [s]) for r in load_rerank(path) for s in r["solutions"]]
    return [(r.problem.question, list(r.steps)) for r in load_labelled(path)]


def main(checkpoint: str, out_dir: str, files: list[str], head_alone: bool = False) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    verifier = None
    for name in files:
        path, target = Path(name), out / f"{Path(name).stem}.json"
        if target.exists():
            continue
        verifier = verifier or NeuralVerifier(checkpoint, mode="prm", calibrated=False, probe=not head_alone)  # raw: choose.py fits on them
        items = items_of(path)
        start = time.perf_counter()
        prm = verifier.score_batch(items)
        seconds = time.perf_counter() - start
        symbolic = [bounded_statuses(steps) for _, steps in items]
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps({"prm": prm, "symbolic": symbolic, "seconds": seconds}))
        tmp.replace(target)  # a kill never leaves a half-written cache that would be read as whole
        print(f"{path.name}: {len(items)} solutions in {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("out_dir")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--head-alone", action="store_true", help="the PRM head without the step probe")
    args = parser.parse_args()
    main(args.checkpoint, args.out_dir, args.files, args.head_alone)
