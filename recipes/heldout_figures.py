"""Score step-labelled sets ONCE with a PRM and derive its PRM-alone, hybrid (zeroed where sympy proves a
step wrong) and symbolic figures with the functions `minos eval processbench` calls (running that command
three times costs two more passes of the PRM over the same rows).

    python recipes/heldout_figures.py default data2/gsm8k_test_sub.jsonl data2/math500_sub.jsonl
    python recipes/heldout_figures.py prm:runs/cmp/lora/checkpoint-60 data2/dev_b.jsonl --dev data2/dev_a.jsonl
    python recipes/heldout_figures.py default --rerank runs/gsm8k_test40_sc8.jsonl   # recorded `minos batch` samples

The threshold is the one stored with the verifier, or with --dev the best one on that (dev) file: never
one picked on the files measured. The best-threshold figure on each measured file is printed too, marked
as an upper bound. JSON lines go to stdout and, with --out, to a file; the PRM scores are saved beside it.
With --rerank, recorded samples are reranked (`minos eval rerank`'s figures) by the PRM and by the hybrid
reading of the same scores.
"""

import argparse
import json
import time
from pathlib import Path

from minos.core.data import load_labelled
from minos.verifier import load_verifier
from minos.verifier.evaluate import evaluate_rerank, processbench_metrics, sweep_thresholds
from minos.verifier.spec import score_items
from minos.verifier.symbolic import HybridVerifier, SymbolicVerifier


class _Scored:
    """Scores already computed, served as a verifier so HybridVerifier applies its own rule to them."""

    name = "scored"

    def __init__(self, scores):
        self.scores = scores

    def score_batch(self, items):
        return self.scores


class _Recorded:
    """A verifier that scores through `inner` once and serves the same scores on later calls."""

    name = "recorded"

    def __init__(self, inner):
        self.inner, self.scores = inner, None

    def score_batch(self, items):
        if self.scores is None:
            self.scores = self.inner.score_batch(items)
        return self.scores


def _scored(verifier, path):
    rows = load_labelled(path)
    items = [(r.problem.question, list(r.steps)) for r in rows]
    start = time.time()
    return rows, items, verifier.score_batch(items), time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verifier", help="a PRM spec: default, prm:PATH, ...")
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rerank", type=Path, action="append", default=[], help="recorded samples to rerank")
    parser.add_argument("--dev", type=Path, help="pick the threshold on this file instead of the stored one")
    parser.add_argument("--threshold", type=float, help="this threshold (one picked before, on dev data) instead")
    parser.add_argument("--out", type=Path, help="append the JSON lines here")
    args = parser.parse_args()

    neural = load_verifier(args.verifier)
    for path in args.rerank:
        recorded = _Recorded(neural)
        for reading, verifier in (("prm", recorded), ("hybrid", HybridVerifier(recorded))):
            # `minos eval rerank`'s own harness; the hybrid reading reuses the PRM pass just recorded
            print(json.dumps({"verifier": args.verifier, "file": str(path), "reading": reading} | evaluate_rerank(path, verifier)), flush=True)
    threshold, source = neural.threshold or 0.5, "stored" if neural.threshold else "0.5"
    if args.threshold is not None:
        threshold, source = args.threshold, "given"
    elif args.dev:
        rows, _, scores, _ = _scored(neural, args.dev)
        threshold, source = sweep_thresholds(rows, scores)["threshold"], f"best on {args.dev}"
    print(f"{args.verifier}: threshold {threshold} ({source})", flush=True)
    for path in args.files:
        rows, items, prm, seconds = _scored(neural, path)
        hybrid = HybridVerifier(_Scored(prm)).score_batch(items)  # the same zeroing rule, on the scores in hand
        result = {
            "verifier": args.verifier, "file": str(path), "rows": len(rows), "prm_seconds": round(seconds, 1),
            "threshold_source": source,
            "prm": processbench_metrics(rows, prm, threshold),
            "hybrid": processbench_metrics(rows, hybrid, threshold),
            "symbolic": processbench_metrics(rows, score_items(SymbolicVerifier(), items), 0.5),
            "prm_upper_bound": {k: v for k, v in sweep_thresholds(rows, prm).items() if k != "sweep"},
            "hybrid_upper_bound": {k: v for k, v in sweep_thresholds(rows, hybrid).items() if k != "sweep"},
            "by_type": {},
        }
        for kind in ("irrelevant", "calculation", "logical", "none"):
            picked = [i for i, r in enumerate(rows) if (r.meta or {}).get("injected", "none") == kind]
            if picked:
                sub = [rows[i] for i in picked]
                result["by_type"][kind] = {
                    "rows": len(picked),
                    "prm": processbench_metrics(sub, [prm[i] for i in picked], threshold),
                    "hybrid": processbench_metrics(sub, [hybrid[i] for i in picked], threshold),
                }
        line = json.dumps(result)
        print(line, flush=True)
        if args.out:
            with args.out.open("a") as f:
                f.write(line + "\n")
            scores = args.out.with_name(f"{args.out.stem}.{path.stem}.scores.json")
            scores.write_text(json.dumps({"verifier": args.verifier, "ids": [r.problem.id for r in rows], "scores": prm}))


if __name__ == "__main__":  # the symbolic checker's worker process is spawned: it must not rerun this
    main()
