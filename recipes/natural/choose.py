"""Choose the calibration, combination, threshold and aggregation of a checkpoint on cached scores (issue 27).

    python recipes/natural/choose.py CACHE_DIR [--write CHECKPOINT] [--json OUT.json]

CACHE_DIR holds `recipes/natural/score.py`'s output for the files of `build_data.py`. Everything is fitted
or chosen on the selection files (`sel_nat_*`, `sel_omni*`, `rr_sel`) and printed for the report files
(`rep_nat_*`, `rep_prmbench` apart as planted errors, `rr_rep`), which no choice reads. `--write` stores the
calibration (`minos_calibration.json`) and the thresholds (`minos_verifier.json`) in CHECKPOINT.
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

from minos.core.answers import answer_classes, answers_equal, extract_answer
from minos.core.data import load_labelled
from minos.core.votes import AGGREGATIONS, aggregate, best_of_n, majority_vote, weighted_vote
from minos.verifier.calibration import Calibration, Logistic, expected_calibration_error, fit_logistic
from minos.verifier.evaluate import best_threshold, load_rerank, processbench_metrics
from minos.verifier.scheme import StepTagScheme

DATA = Path("data")
SELECT = ["sel_nat_gsm8k", "sel_nat_math", "sel_omni"]
REPORT = ["rep_nat_gsm8k", "rep_nat_math", "rep_prmbench"]
SYMBOLIC_SCORE = {"ok": 1.0, "unknown": 0.5, "wrong": 0.0}


def cached(cache: Path, name: str):
    path = cache / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def step_examples(rows, prm, symbolic):
    """(score, status, label) of every labelled step: the steps before the first error (right), the first
    wrong step (wrong); later steps are unlabelled."""
    out = []
    for row, scores, statuses in zip(rows, prm, symbolic, strict=True):
        k = row.first_error
        for i, (s, st) in enumerate(zip(scores, statuses, strict=True)):
            if (k >= 0 and i > k) or s != s:
                break
            out.append((s, st, 0.0 if i == k else 1.0))
    return out


def readings(cal: Calibration | None, prm, symbolic):
    """Per-step scores under each reading."""
    zeroed = [[0.0 if st == "wrong" else s for s, st in zip(r, sts, strict=True)] for r, sts in zip(prm, symbolic, strict=True)]
    out = {"prm": prm, "hybrid_zero": zeroed,
           "symbolic": [[SYMBOLIC_SCORE[st] for st in sts] for sts in symbolic]}
    if cal is not None:
        out["prm_cal"] = [[cal.prm(s) for s in r] for r in prm]
        out["hybrid_cal"] = [[cal.hybrid(s, st) for s, st in zip(r, sts, strict=True)] for r, sts in zip(prm, symbolic, strict=True)]
    return out


def rerank_table(rows, scores_flat) -> dict:
    """Accuracy of majority, best-of-n and weighted vote per aggregation, and the pick's support."""
    it = iter(scores_flat)
    per_problem = [[next(it) for _ in r["solutions"]] for r in rows]
    methods: dict[str, list] = {"majority": []}
    supports = []
    for row, scores in zip(rows, per_problem, strict=True):
        answers = [extract_answer(s) for s in row["solutions"]]
        classes = answer_classes(answers)
        right = [answers_equal(a, row["answer"]) for a in answers]
        pick = majority_vote(answers, classes)
        methods["majority"].append(pick.index >= 0 and right[pick.index])
        for how in AGGREGATIONS:
            agg = [aggregate(s, how) for s in scores]
            for name, p in ((f"best_{how}", best_of_n(answers, agg)), (f"weighted_{how}", weighted_vote(answers, agg, classes))):
                ok = p.index >= 0 and right[p.index]
                methods.setdefault(name, []).append(ok)
                supports.append((name, p.support, ok))
        methods.setdefault("oracle", []).append(any(right))
    return {k: sum(v) / len(v) for k, v in methods.items()}, supports


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", type=Path)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--aggregation", default=None, help="fix the aggregation instead of choosing it")
    args = parser.parse_args()
    report: dict = {}

    labelled = {}
    for name in SELECT + REPORT + ["sel_omni300", "sel_omni150"]:
        c = cached(args.cache, name)
        if c is not None and (DATA / f"{name}.jsonl").exists():
            labelled[name] = (load_labelled(DATA / f"{name}.jsonl"), c["prm"], c["symbolic"])
    omni = "sel_omni"
    for subset in ("sel_omni300", "sel_omni150"):  # the largest Omni-MATH selection subset scored
        if "sel_omni" not in labelled and subset in labelled:
            labelled["sel_omni"], omni = labelled.pop(subset), subset
        labelled.pop(subset, None)
    select = [n for n in SELECT if n in labelled]

    # 1. step calibration on the natural selection rows (each file weighs by its steps)
    ex = [e for n in select for e in step_examples(*labelled[n])]
    scores, statuses, labels = zip(*ex, strict=True)
    prm_fit = fit_logistic(scores, labels)
    hybrid_fit = fit_logistic(scores, labels, statuses)
    print("fits on", len(ex), "selection steps:", prm_fit, hybrid_fit)
    cal = Calibration(prm_fit, hybrid_fit, Logistic())

    # 2. thresholds per reading, chosen on the selection files (best mean F1 over them), then every file's figures
    table = {name: readings(cal, prm, symbolic) for name, (_, prm, symbolic) in labelled.items()}
    thresholds = {}
    for reading in table[select[0]]:
        sets = [(labelled[n][0], table[n][reading]) for n in select]
        thresholds[reading] = best_threshold(sets)["threshold"]
    for name, (rows, _, _) in labelled.items():
        for reading, sc in table[name].items():
            m = processbench_metrics(rows, sc, thresholds[reading])
            report.setdefault(name, {})[reading] = m
            print(f"{name:14s} {reading:12s} t={thresholds[reading]:.4g} F1 {m['f1']:.3f} (err {m['error_acc']:.3f} ok {m['correct_acc']:.3f}) "
                  f"AUROC {m['auroc'] or 0:.3f} ECE {m['ece'] or 0:.3f}")

    # 3. the loop: majority vs weighted vs best-of-n on the recorded GSM8K solutions, chosen on rr_sel
    for part in ("rr_sel", "rr_rep"):
        c = cached(args.cache, part)
        if c is None:
            continue
        rows = load_rerank(DATA / f"{part}.jsonl")
        for reading, sc in readings(cal, c["prm"], c["symbolic"]).items():
            acc, _ = rerank_table(rows, sc)
            report.setdefault(part, {})[reading] = acc
            print(f"{part} {reading:12s} " + " ".join(f"{k} {v:.3f}" for k, v in acc.items()))

    if "rr_sel" in report:
        # the default: the best weighted vote on rr_sel over the calibrated hybrid reading's aggregations
        sel = report["rr_sel"]["hybrid_cal"]
        how = args.aggregation or max(AGGREGATIONS, key=lambda h: sel[f"weighted_{h}"])
        c = cached(args.cache, "rr_sel")
        rows = load_rerank(DATA / "rr_sel.jsonl")
        _, supports = rerank_table(rows, readings(cal, c["prm"], c["symbolic"])["hybrid_cal"])
        picked = [(s, ok) for name, s, ok in supports if name == f"weighted_{how}"]
        conf = fit_logistic([min(max(s, 1e-4), 1 - 1e-4) for s, _ in picked], [float(ok) for _, ok in picked])
        cal = replace(cal, confidence=conf)
        probs = [conf(s) for s, _ in picked]
        report["chosen"] = {"aggregation": how, "thresholds": thresholds,
                            "confidence_ece_sel": expected_calibration_error(probs, [float(ok) for _, ok in picked])}
        c = cached(args.cache, "rr_rep")
        if c is not None:
            rows = load_rerank(DATA / "rr_rep.jsonl")
            _, supports = rerank_table(rows, readings(cal, c["prm"], c["symbolic"])["hybrid_cal"])
            picked = [(s, ok) for name, s, ok in supports if name == f"weighted_{how}"]
            report["chosen"]["confidence_ece_rep"] = expected_calibration_error([conf(s) for s, _ in picked], [float(ok) for _, ok in picked])
        print("chosen:", report["chosen"], "confidence", conf)

    cal = replace(cal, fitted_on="natural selection rows: " + ", ".join(select).replace("sel_omni", omni) + "; confidence: rr_sel")
    if args.write:
        cal.save(args.write)
        scheme = StepTagScheme.load(args.write)
        scheme = replace(scheme, threshold=thresholds["prm_cal"], hybrid_threshold=thresholds["hybrid_cal"])
        scheme.save(args.write)
        print("written to", args.write)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
