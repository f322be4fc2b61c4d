"""Evaluation harness for verifiers: ProcessBench and reranking of recorded candidates.

Plain functions over labelled data and scores; `minos eval` wraps them.
"""

from __future__ import annotations

import json
from pathlib import Path

from minos.core.types import LabelledSolution


def predict_first_error(step_scores: list[float], threshold: float) -> int:
    """ProcessBench prediction: the first step scoring under `threshold`, or -1."""
    return next((i for i, s in enumerate(step_scores) if s < threshold), -1)


def processbench_metrics(samples: list[LabelledSolution], scores: list[list[float]], threshold: float) -> dict:
    """Accuracy on erroneous samples (exact earliest-error step), on correct samples (-1), and their F1."""
    err_right = err_total = ok_right = ok_total = 0
    for sample, row in zip(samples, scores, strict=True):
        predicted = predict_first_error(row, threshold)
        if sample.first_error == -1:
            ok_total += 1
            ok_right += predicted == -1
        else:
            err_total += 1
            err_right += predicted == sample.first_error
    error_acc = err_right / err_total if err_total else 0.0
    correct_acc = ok_right / ok_total if ok_total else 0.0
    f1 = 2 * error_acc * correct_acc / (error_acc + correct_acc) if error_acc + correct_acc else 0.0
    return {
        "threshold": threshold, "error_acc": error_acc, "correct_acc": correct_acc, "f1": f1,
        "erroneous": err_total, "correct": ok_total,
    }


def sweep_thresholds(samples, scores, thresholds=None) -> dict:
    """The metrics at the threshold with the best F1 (ties: the lower threshold)."""
    thresholds = thresholds or [round(0.05 * i, 2) for i in range(1, 20)]
    results = [processbench_metrics(samples, scores, t) for t in thresholds]
    best = max(results, key=lambda r: (r["f1"], -r["threshold"]))
    return best | {"sweep": [{"threshold": r["threshold"], "f1": r["f1"]} for r in results]}


def evaluate_processbench(
    path: str | Path, verifier, *, threshold: float | None = None, sweep: bool = False, on_error="raise"
) -> dict:
    """ProcessBench metrics at `threshold`, else at the verifier's own (chosen on a dev split when it was
    trained, stored in minos_verifier.json), else 0.5. `sweep` reports the best threshold instead: that
    figure is tuned on the data it is measured on, so it is an upper bound, not a result."""
    from minos.core.data import load_labelled
    from minos.verifier.spec import score_items

    samples = load_labelled(path, on_error=on_error)
    scores = score_items(verifier, [(s.problem.question, list(s.steps)) for s in samples])
    if sweep:
        return sweep_thresholds(samples, scores)
    if threshold is None:
        threshold = getattr(verifier, "threshold", None) or 0.5
    return processbench_metrics(samples, scores, threshold)


def load_rerank(path: str | Path) -> list[dict]:
    """Rows `{"question", "answer" (gold), "candidates": [{"solution": str}]}`, or `minos batch` output
    (record samples once, rerank them with any verifier later); the line is named on error. Batch rows
    without a reference answer or with an error are skipped."""
    from minos.core.data import DataError
    from minos.core.steps import join_steps

    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if "problem" in row:  # a `minos batch` result
                    if row.get("error") or row["problem"].get("reference") is None:
                        continue
                    question, gold = row["problem"]["question"], str(row["problem"]["reference"])
                    solutions = [join_steps(c["steps"]) for c in row["candidates"]]
                else:
                    question, gold = row["question"], str(row["answer"])
                    solutions = [c["solution"] for c in row["candidates"]]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(path, number, f"not a rerank row ({exc!r})") from None
            rows.append({"question": question, "answer": gold, "solutions": solutions})
    return rows


def rerank_metrics(rows: list[dict], scores: list[list[list[float]]]) -> dict:
    """Accuracy of first-candidate, majority vote, best-of-N per aggregation, weighted vote, and oracle."""
    from minos.core.answers import answer_classes, answers_equal, extract_answer
    from minos.core.votes import AGGREGATIONS, aggregate, best_of_n, majority_vote, weighted_vote

    methods = ["first", "majority", *[f"best_of_n_{a}" for a in AGGREGATIONS], *[f"weighted_{a}" for a in AGGREGATIONS], "oracle"]
    right = dict.fromkeys(methods, 0)
    for row, row_scores in zip(rows, scores, strict=True):
        answers = [extract_answer(s) for s in row["solutions"]]
        classes = answer_classes(answers)
        correct = [answers_equal(a, row["answer"]) for a in answers]
        right["first"] += bool(correct and correct[0])
        right["oracle"] += any(correct)
        picks = {"majority": majority_vote(answers, classes)}
        for how in AGGREGATIONS:
            agg = [aggregate(s, how) for s in row_scores]
            picks[f"best_of_n_{how}"] = best_of_n(answers, agg)
            picks[f"weighted_{how}"] = weighted_vote(answers, agg, classes)
        for name, pick in picks.items():
            right[name] += pick.index >= 0 and correct[pick.index]
    total = len(rows)
    return {"problems": total} | {m: right[m] / total if total else 0.0 for m in methods}


def evaluate_rerank(path: str | Path, verifier) -> dict:
    from minos.core.steps import split_steps
    from minos.verifier.spec import score_items

    rows = load_rerank(path)
    items = [(r["question"], split_steps(s) or [s]) for r in rows for s in r["solutions"]]
    flat, scores = iter(score_items(verifier, items)), []
    for r in rows:
        scores.append([next(flat) for _ in r["solutions"]])
    return rerank_metrics(rows, scores)
