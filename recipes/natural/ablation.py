"""The stage-1 ablation's table (issue 27): raw step AUROC and the best F1 over thresholds (tuned on the same
rows, so an upper bound) on the natural selection files, for each arm's cached scores, read as the PRM alone /
the PRM zeroed where sympy proves a step wrong.

    python recipes/natural/ablation.py cache/base cache/ablation/runs_nat_s2_checkpoint-20 ...

Each CACHE_DIR holds `recipes/natural/score.py`'s output for `sel_nat_gsm8k` and `sel_nat_math`.
"""

import argparse
from pathlib import Path

from choose import DATA, cached, readings
from minos.core.data import load_labelled
from minos.verifier.evaluate import best_threshold, step_auroc

FILES = ("sel_nat_gsm8k", "sel_nat_math")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("caches", nargs="+", type=Path)
    args = parser.parse_args()
    rows = {name: load_labelled(DATA / f"{name}.jsonl") for name in FILES}
    print("| arm | " + " | ".join(f"{n}: AUROC | {n}: best F1" for n in FILES) + " |")
    for cache in args.caches:
        cells = []
        for name in FILES:
            scores = cached(cache, name)
            if scores is None:
                cells += ["-", "-"]
                continue
            read = readings(None, scores["prm"], scores["symbolic"])
            auroc = [step_auroc(rows[name], read[k]) for k in ("prm", "hybrid_zero")]
            f1 = [best_threshold([(rows[name], read[k])])["f1"] for k in ("prm", "hybrid_zero")]
            cells += [f"{auroc[0]:.3f} / {auroc[1]:.3f}", f"{f1[0]:.3f} / {f1[1]:.3f}"]
        print(f"| {cache} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
