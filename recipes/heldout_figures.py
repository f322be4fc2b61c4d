"""Score step-labelled sets ONCE with a PRM and derive its PRM-alone, hybrid (zeroed where sympy proves a
step wrong) and symbolic figures with the functions `minos eval processbench` calls (running that command
three times costs two more passes of the PRM over the same rows).

    # thresholds chosen on the dev selection part (GSM8K-style and MATH-style rows, one threshold for both),
    # figures on the report part, per source, stored in the checkpoint's minos_verifier.json with --write
    python recipes/heldout_figures.py prm:runs/prm data/dev_rep_gsm8k.jsonl data/dev_rep_math.jsonl \
        --dev data/dev_sel_gsm8k.jsonl --dev data/dev_sel_math.jsonl --cache runs/scores --write
    python recipes/heldout_figures.py default data2/gsm8k_test_110.jsonl        # at the stored thresholds
    python recipes/heldout_figures.py default --rerank runs/gsm8k_test40_sc8.jsonl   # recorded `minos batch` samples

The threshold is the one stored with the verifier (with its first-error rule: a stored no-error bias per
question style, as `minos eval processbench` reads it), or with --dev the one with the best mean F1 over those
(dev) files, chosen apart for the PRM and the hybrid reading: never one picked on the files measured. The
best-threshold figure on each measured file is printed too, marked as an upper bound. JSON lines go to
stdout and, with --out, to a file. --cache keeps each file's PRM scores, so a second run (another threshold,
another file list) does not score again. With --rerank, recorded samples are reranked (`minos eval
rerank`'s figures) by the PRM and by the hybrid reading of the same scores.
"""

import argparse
import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path

from minos.core.data import load_labelled
from minos.solver import build_verifier
from minos.solver.rerank import evaluate_rerank
from minos.verifier.base import BaseVerifier
from minos.verifier.evaluate import (
    best_threshold,
    by_source,
    pick_among_labelled,
    sweep_thresholds,
)
from minos.verifier.scheme import StepTagScheme
from minos.verifier.symbolic import HybridVerifier, SymbolicVerifier


class _Scored(BaseVerifier):
    """Scores already computed, served as a verifier so HybridVerifier applies its own rule to them."""

    name = "scored"
    scheme = StepTagScheme()

    def __init__(self, scores):
        self.scores = scores

    def score_batch(self, items):
        return self.scores


class _Recorded(BaseVerifier):
    """A verifier that scores through `inner` once and serves the same scores on later calls."""

    name = "recorded"

    def __init__(self, inner):
        self.inner, self.scores = inner, None
        self.scheme, self.threshold = inner.scheme, inner.threshold  # HybridVerifier reads its own threshold there

    def score_batch(self, items):
        if self.scores is None:
            self.scores = self.inner.score_batch(items)
        return self.scores


def _scored(spec, neural, path, cache):
    """(rows, items, PRM scores, hybrid scores, seconds): the PRM runs unless --cache holds this file's scores."""
    rows = load_labelled(path)
    items = [(r.problem.question, list(r.steps)) for r in rows]
    key = hashlib.sha1(f"{spec}|{Path(path).resolve()}|{Path(path).stat().st_mtime_ns}".encode()).hexdigest()[:16]
    saved = Path(cache, f"{Path(path).stem}.{key}.json") if cache else None
    start = time.time()
    if saved and saved.exists():
        prm = json.loads(saved.read_text())["scores"]
    else:
        prm = neural().score_batch(items)
        if saved:
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(json.dumps({"verifier": spec, "file": str(path), "scores": prm}))
    seconds = time.time() - start
    hybrid = HybridVerifier(_Scored(prm)).score_batch(items)  # the same zeroing rule, on the scores in hand
    return rows, items, prm, hybrid, seconds


def _per_source(rows, scores, figure) -> dict:
    sources = sorted({r.problem.source or "?" for r in rows})
    picked = {s: [i for i, r in enumerate(rows) if (r.problem.source or "?") == s] for s in sources}
    return {s: figure([rows[i] for i in idx], [scores[i] for i in idx]) for s, idx in picked.items()} | {"all": figure(rows, scores)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verifier", help="a PRM spec: default, prm:PATH, ...")
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rerank", type=Path, action="append", default=[], help="recorded samples to rerank")
    parser.add_argument("--dev", type=Path, action="append", default=[],
                        help="pick the thresholds on these files (best mean F1 over them) instead of the stored ones")
    parser.add_argument("--threshold", type=float, help="this threshold (one picked before, on dev data) for both readings")
    parser.add_argument("--write", action="store_true", help="store the --dev thresholds in the checkpoint's minos_verifier.json")
    parser.add_argument("--cache", type=Path, help="folder for the PRM scores of each file (reused when present)")
    parser.add_argument("--out", type=Path, help="append the JSON lines here")
    args = parser.parse_args()

    loaded = []

    def neural():  # loaded on first need: a run whose scores are all cached never builds the model
        if not loaded:
            loaded.append(build_verifier(verifier=args.verifier))
        return loaded[0]

    for path in args.rerank:
        recorded = _Recorded(neural())
        for reading, verifier in (("prm", recorded), ("hybrid", HybridVerifier(recorded))):
            # `minos eval rerank`'s own harness; the hybrid reading reuses the PRM pass just recorded
            print(json.dumps({"verifier": args.verifier, "file": str(path), "reading": reading} | evaluate_rerank(path, verifier)), flush=True)
    if not args.files and not args.dev:
        return
    if args.threshold is not None:
        thresholds, source = {"prm": args.threshold, "hybrid": args.threshold}, "given"
        biases = {}
    elif args.dev:
        dev = [_scored(args.verifier, neural, path, args.cache) for path in args.dev]
        thresholds = {reading: best_threshold([(d[0], d[k]) for d in dev])["threshold"] for reading, k in (("prm", 2), ("hybrid", 3))}
        source = "best mean F1 on " + ", ".join(map(str, args.dev))
        biases = {}  # a threshold chosen here replaces the stored first-error rule
        if args.write:
            target = neural()
            target.scheme = replace(target.scheme, threshold=thresholds["prm"], hybrid_threshold=thresholds["hybrid"])
            target.scheme.save(target.path)
            print(f"stored in {target.path}/minos_verifier.json", flush=True)
    else:
        scheme = neural().scheme
        prm_t = scheme.threshold or 0.5
        thresholds, source = {"prm": prm_t, "hybrid": scheme.hybrid_threshold or prm_t}, "stored"
        # the stored first-error rule too: a likeliest-first-error bias per question style where one was chosen
        biases = {"prm": scheme.no_error_bias, "hybrid": scheme.hybrid_no_error_bias}
    print(json.dumps({"verifier": args.verifier, "thresholds": thresholds, "no_error_bias": biases, "source": source}), flush=True)
    for path in args.files:
        rows, items, prm, hybrid, seconds = _scored(args.verifier, neural, path, args.cache)
        result = {
            "verifier": args.verifier, "file": str(path), "rows": len(rows), "prm_seconds": round(seconds, 1),
            "threshold_source": source,
            "prm": by_source(rows, prm, thresholds["prm"], biases.get("prm")),
            "hybrid": by_source(rows, hybrid, thresholds["hybrid"], biases.get("hybrid")),
            "symbolic": by_source(rows, SymbolicVerifier().score_batch(items), 0.5),
            "prm_upper_bound": {k: v for k, v in sweep_thresholds(rows, prm).items() if k != "sweep"},
            "hybrid_upper_bound": {k: v for k, v in sweep_thresholds(rows, hybrid).items() if k != "sweep"},
            # reranking a problem's own labelled solutions (best-of-N on their final answers), per source
            "pick": {reading: _per_source(rows, s, pick_among_labelled) for reading, s in (("prm", prm), ("hybrid", hybrid))},
            "by_type": {},
        }
        for kind in ("irrelevant", "calculation", "logical", "none"):
            picked = [i for i, r in enumerate(rows) if (r.meta or {}).get("injected") == kind]
            if picked:
                sub = [rows[i] for i in picked]
                result["by_type"][kind] = {
                    "rows": len(picked),
                    "prm": by_source(sub, [prm[i] for i in picked], thresholds["prm"], biases.get("prm"))["all"],
                    "hybrid": by_source(sub, [hybrid[i] for i in picked], thresholds["hybrid"], biases.get("hybrid"))["all"],
                }
        line = json.dumps(result)
        print(line, flush=True)
        if args.out:
            with args.out.open("a") as f:
                f.write(line + "\n")


if __name__ == "__main__":  # the symbolic checker's worker process is spawned: it must not rerun this
    main()
