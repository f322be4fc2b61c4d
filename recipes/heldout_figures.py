"""Score held-out sets ONCE with the shipped PRM and derive the default / hybrid:default / symbolic figures
with the functions `minos eval processbench` calls (running that command three times costs two more passes
of the PRM over the same rows).

    python recipes/heldout_figures.py gsm8k_test_sub math500_sub     # reads data/NAME.jsonl
"""

import json
import sys
import time

from minos.core.data import load_labelled
from minos.verifier import load_verifier
from minos.verifier.evaluate import processbench_metrics, sweep_thresholds
from minos.verifier.spec import score_items
from minos.verifier.symbolic import HybridVerifier, SymbolicVerifier


class _Scored:
    """Scores already computed, served as a verifier so HybridVerifier applies its own rule to them."""

    name = "scored"

    def __init__(self, scores):
        self.scores = scores

    def score_batch(self, items):
        return self.scores


neural = load_verifier("default")
print("threshold", neural.threshold, flush=True)
out = {}
for name in sys.argv[1:]:
    rows = load_labelled(f"data/{name}.jsonl")
    items = [(r.problem.question, list(r.steps)) for r in rows]
    t = time.time()
    prm = neural.score_batch(items)
    secs = time.time() - t
    hybrid = HybridVerifier(_Scored(prm)).score_batch(items)  # the same zeroing rule, on the scores in hand
    sym = score_items(SymbolicVerifier(), items)
    out[name] = {
        "rows": len(rows), "prm_seconds": secs,
        "default": processbench_metrics(rows, prm, neural.threshold),
        "hybrid": processbench_metrics(rows, hybrid, neural.threshold),
        "symbolic": processbench_metrics(rows, sym, 0.5),
        "default_sweep_upper_bound": {k: v for k, v in sweep_thresholds(rows, prm).items() if k != "sweep"},
        "hybrid_sweep_upper_bound": {k: v for k, v in sweep_thresholds(rows, hybrid).items() if k != "sweep"},
    }
    print(name, json.dumps(out[name]), flush=True)
    json.dump({"scores": prm, "ids": [r.problem.id for r in rows]}, open(f"data/{name}_prm_scores.json", "w"))
json.dump(out, open("data/heldout.json", "w"), indent=1)
