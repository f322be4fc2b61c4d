"""Evaluation harness for verifiers: ProcessBench figures, thresholds, and the reading of recorded candidates
(`load_rerank`; the rerank itself votes as the solver does: `minos.solver.rerank`).

Plain functions over labelled data and scores; `minos eval` wraps them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from minos.core.types import LabelledSolution
from minos.verifier.scheme import STYLES

# A no-error bias for every question, or one per question style (`question_style`): a style without one names
# the first step under the threshold. None: the threshold rule everywhere.
NoErrorBias = float | Mapping[str, float] | None

# LaTeX in a question: a command (`\frac`, `\%`), `\(` or `\[`, `$` opening math (`$x`, `$\`, `${`, `$|`), a
# number in dollars (`$20$`), a braced or numeric power or index. A GSM8K question's `$` opens a price (`$5`,
# `$.50`, `20$,`), never math.
_LATEX = re.compile(r"\\[A-Za-z%\[]|\\\(|\$[A-Za-z\\({|]|\$[\d.,]+\$|[\^_]\{|\d\^\d|[a-z]\^\d")


def question_style(question: str) -> Literal["gsm8k", "math"]:
    """MATH-style where the question is written in LaTeX, else GSM8K-style (a word problem). About 80% of
    MATH and Omni-MATH questions hold LaTeX, under 1% of GSM8K's."""
    return "math" if _LATEX.search(question) else "gsm8k"


def bias_for(no_error_bias: NoErrorBias, question: str | None = None) -> float | None:
    """The no-error bias that applies to `question` (None: its first wrong step is the first under the
    threshold). A bias per style needs the question: without it a MATH row would quietly get the word-problem
    rule."""
    if isinstance(no_error_bias, Mapping):
        if question is None:
            raise ValueError("a no-error bias per question style needs the question it applies to")
        return no_error_bias.get(question_style(question))
    return no_error_bias


def predict_first_error(step_scores: list[float | None], threshold: float, no_error_bias: NoErrorBias = None,
                        question: str | None = None) -> int:
    """ProcessBench prediction: the first step scoring under `threshold`, or -1. A step left unread (None or
    NaN: cut off by the context) is never flagged.

    With `no_error_bias` (for scores that are calibrated chances that each step is right), the likeliest first
    wrong step instead: the k with the largest P(the steps before k right) * P(step k wrong), or -1 where
    P(every step right) * e^no_error_bias is larger still. A long solution whose steps are each a little
    doubtful is then not flagged at the first of them, and a step that is much less likely right than its
    neighbours is named even above the threshold. A bias per question style applies to `question`'s style."""
    no_error_bias = bias_for(no_error_bias, question)
    if no_error_bias is None:
        return next((i for i, s in enumerate(step_scores) if s is not None and s < threshold), -1)
    best, first, before = -math.inf, -1, 0.0  # before: log P(every step so far right)
    for k, p in enumerate(step_scores):
        if p is None or p != p:  # a step cut off unread: nothing after it can be named
            break
        p = min(max(p, 1e-9), 1 - 1e-9)
        if before + math.log(1 - p) > best:
            best, first = before + math.log(1 - p), k
        before += math.log(p)
    return -1 if before + no_error_bias >= best else first


def processbench_metrics(samples: list[LabelledSolution], scores: list[list[float]], threshold: float,
                         no_error_bias: NoErrorBias = None) -> dict:
    """Accuracy on erroneous samples (exact earliest-error step), on correct samples (-1), their F1, the step
    AUROC (which no threshold changes), and the step scores' calibration error (ECE: do steps scored 0.8 turn
    out right 80% of the time?). The first error is predicted as `predict_first_error` does."""
    from minos.verifier.calibration import expected_calibration_error

    pairs = labelled_steps(samples, scores)
    ece = expected_calibration_error([s for s, _ in pairs], [y for _, y in pairs]) if pairs else None
    return _at_threshold(samples, scores, threshold, no_error_bias) | {"auroc": step_auroc(samples, scores), "ece": ece}


def _at_threshold(samples: list[LabelledSolution], scores: list[list[float]], threshold: float,
                  no_error_bias: NoErrorBias = None) -> dict:
    err_right = err_total = ok_right = ok_total = 0
    for sample, row in zip(samples, scores, strict=True):
        predicted = predict_first_error(row, threshold, no_error_bias, sample.problem.question)
        if sample.first_error == -1:
            ok_total += 1
            ok_right += predicted == -1
        else:
            err_total += 1
            err_right += predicted == sample.first_error
    error_acc = err_right / err_total if err_total else 0.0
    correct_acc = ok_right / ok_total if ok_total else 0.0
    f1 = 2 * error_acc * correct_acc / (error_acc + correct_acc) if error_acc + correct_acc else 0.0
    rule = {} if no_error_bias is None else {"no_error_bias": dict(no_error_bias) if isinstance(no_error_bias, Mapping) else no_error_bias}
    return {
        "threshold": threshold, **rule, "error_acc": error_acc, "correct_acc": correct_acc, "f1": f1,
        "erroneous": err_total, "correct": ok_total,
    }


def outcome_accuracy(samples: list[LabelledSolution], scores: list[list[float]], aggregation: str = "min",
                     threshold: float = 0.5) -> float:
    """How often the aggregated score judges a solution's final answer right (at least `threshold`: right),
    against `LabelledSolution.outcome`: the Math-Minos meta-evaluation accuracy."""
    from minos.core.votes import aggregate

    right = sum((aggregate(s, aggregation) >= threshold) == row.outcome for row, s in zip(samples, scores, strict=True))
    return right / len(samples) if samples else 0.0


def labelled_steps(samples: list[LabelledSolution], scores: list[list[float]]) -> list[tuple[float, float]]:
    """(score, label) of every step whose label is known: the steps before the first error and every step of a
    right solution (1), the first wrong step (0); later steps are unlabelled. A solution cut short of its first
    error (NaN: a step unread) gives only its right steps' pairs."""
    out = []
    for sample, row in zip(samples, scores, strict=True):
        k = sample.first_error
        usable = [s for s in row[: len(sample.steps) if k < 0 else k + 1] if s == s]
        if k < 0:
            out += [(s, 1.0) for s in usable]
        elif len(usable) == k + 1:
            out += [(s, 1.0) for s in usable[:k]] + [(usable[k], 0.0)]
    return out


def step_auroc(samples: list[LabelledSolution], scores: list[list[float]]) -> float | None:
    """How well the step scores rank, whatever the threshold: the chance that a right step (one before the
    first error, or any step of a right solution) scores above a first wrong step, over every such pair
    in the set (ties count half). None when the set lacks either kind."""
    pairs = labelled_steps(samples, scores)
    right, wrong = [s for s, y in pairs if y], [s for s, y in pairs if not y]
    if not right or not wrong:
        return None
    # rank statistic (Mann-Whitney U) in O(n log n): sort once, average ranks over ties
    values = sorted([(s, 0) for s in wrong] + [(s, 1) for s in right])
    rank_sum, i = 0.0, 0
    while i < len(values):
        j = i
        while j < len(values) and values[j][0] == values[i][0]:
            j += 1
        rank_sum += sum(1 for _, kind in values[i:j] if kind == 1) * (i + j + 1) / 2
        i = j
    n_right, n_wrong = len(right), len(wrong)
    return (rank_sum - n_right * (n_right + 1) / 2) / (n_right * n_wrong)


def pick_among_labelled(samples: list[LabelledSolution], scores: list[list[float]], aggregation: str = "min") -> dict:
    """Reranking on labelled rows: for each problem with several solutions whose final answers are not all
    right or all wrong, the verifier's best-scored solution (best-of-N); its share of right final answers
    against a random pick's (`chance`) and the oracle's (1.0 there)."""
    from minos.core.votes import aggregate

    groups: dict[str, list[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(sample.problem.question, []).append(i)
    mixed = [idx for idx in groups.values() if len({samples[i].outcome for i in idx}) == 2]
    if not mixed:
        return {"problems": 0, "best_of_n": None, "chance": None}
    best = [max(idx, key=lambda i: aggregate(scores[i], aggregation)) for idx in mixed]
    chance = [sum(samples[i].outcome for i in idx) / len(idx) for idx in mixed]
    return {"problems": len(mixed), "solutions": sum(map(len, mixed)),
            "best_of_n": sum(samples[i].outcome for i in best) / len(mixed), "chance": sum(chance) / len(mixed)}


def by_source(samples: list[LabelledSolution], scores: list[list[float]], threshold: float,
              no_error_bias: NoErrorBias = None) -> dict[str, dict]:
    """`processbench_metrics` for each source of the rows (`problem.source`: a ProcessBench row's `source`
    field, else the file's name), then for all of them together."""
    groups: dict[str, list[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(sample.problem.source or "?", []).append(i)
    out = {name: processbench_metrics([samples[i] for i in idx], [scores[i] for i in idx], threshold, no_error_bias)
           for name, idx in sorted(groups.items())}
    return out | {"all": processbench_metrics(samples, scores, threshold, no_error_bias)}


THRESHOLDS = [round(0.01 * i, 2) for i in range(1, 100)]


def candidate_thresholds(score_sets, most: int = 400) -> list[float]:
    """The fixed grid 0.01..0.99, plus thresholds just above quantiles of the scores themselves: a PRM whose
    scores crowd near 0 or 1 (a sharp head) is told apart only below 0.01 or above 0.99, where the grid has
    no points. A step scoring under the threshold is flagged, so each quantile value q gives the threshold
    just above q (q itself flagged)."""
    values = sorted({s for scores in score_sets for row in scores for s in row if s == s})
    if not values:
        return list(THRESHOLDS)
    step = max(1, len(values) // most)
    picked = {math.nextafter(v, math.inf) for v in values[::step]}
    return sorted(picked | set(THRESHOLDS))


def sweep_thresholds(samples, scores, thresholds=None) -> dict:
    """The metrics at the threshold with the best F1 (ties: the lower threshold)."""
    return best_threshold([(samples, scores)], thresholds)


def best_threshold(sets: list[tuple[list[LabelledSolution], list[list[float]]]], thresholds=None) -> dict:
    """The threshold with the best mean F1 over several labelled sets (e.g. GSM8K-style and MATH-style dev
    rows: one threshold has to serve both, so neither set's size decides it alone); ties: the lower one.
    With one set, its metrics at that threshold; with several, each set's metrics under `sets`."""
    thresholds = thresholds or candidate_thresholds([scores for _, scores in sets])
    # the sweep needs F1 alone; AUROC (a sort of every step score) is computed once, at the chosen threshold
    mean = [sum(_at_threshold(samples, scores, t)["f1"] for samples, scores in sets) / len(sets) for t in thresholds]
    best = max(range(len(thresholds)), key=lambda i: (mean[i], -thresholds[i]))
    chosen = [processbench_metrics(samples, scores, thresholds[best]) for samples, scores in sets]
    head = chosen[0] if len(sets) == 1 else {"threshold": thresholds[best], "f1": mean[best], "sets": chosen}
    return head | {"sweep": [{"threshold": t, "f1": f} for t, f in zip(thresholds, mean, strict=True)]}


NO_ERROR_BIASES = [b / 8 for b in range(-80, 81)]


def best_no_error_bias(sets: list[tuple[list[LabelledSolution], list[list[float]]]], threshold: float,
                       biases=NO_ERROR_BIASES, rounds: int = 3) -> dict:
    """The first-error rule with the best mean F1 over several labelled sets (calibrated scores; the threshold
    fixed): for each question style (`question_style`), a no-error bias of `predict_first_error` or none (the
    first step under the threshold). Each row is routed by its question as at inference, so a set may hold both
    styles; the styles' biases are chosen in turn until neither changes. Ties: none, then the bias nearest 0.
    Returns the rule (`{style: bias}`, None where no style takes one) beside the threshold rule's mean F1."""
    def mean_f1(rule):
        return sum(_at_threshold(samples, scores, threshold, rule or None)["f1"] for samples, scores in sets) / len(sets)

    rule: dict[str, float] = {}
    for _ in range(rounds):
        before = dict(rule)
        for style in STYLES:
            others = {k: v for k, v in rule.items() if k != style}
            options = [(others, None)] + [(others | {style: b}, b) for b in biases]
            rule, _ = max(options, key=lambda option: (mean_f1(option[0]), option[1] is None, -abs(option[1] or 0.0)))
        if rule == before:
            break
    return {"no_error_bias": rule or None, "f1": mean_f1(rule), "threshold_f1": mean_f1(None)}


def evaluate_processbench(
    path: str | Path, verifier, *, threshold: float | None = None, sweep: bool = False, on_error="raise",
    per_source: bool = False, on_scores=None,
) -> dict:
    """ProcessBench metrics at `threshold`, else as the verifier names a first error itself: at its own
    threshold (chosen on selection data when it was made, stored in minos_verifier.json), or by its likeliest
    first error where it stores a `no_error_bias` (`predict_first_error`), else at 0.5. `sweep` reports the
    best threshold instead: that figure is tuned on the data it is measured on, so it is an upper bound, not a
    result. `per_source`: the metrics of each source in the file and of all rows (`by_source`).
    `on_scores(samples, scores, threshold, no_error_bias, figures)` is called with what the figures were
    computed from: the rows, their scores and the first-error rule."""
    from minos.core.data import load_labelled

    samples = load_labelled(path, on_error=on_error)
    scores = verifier.score_batch([(s.problem.question, list(s.steps)) for s in samples])
    bias = None
    if sweep:
        figures = sweep_thresholds(samples, scores)
        threshold = figures["threshold"]
    else:
        if threshold is None:
            threshold, bias = verifier.threshold or 0.5, getattr(verifier, "no_error_bias", None)
        figures = by_source(samples, scores, threshold, bias) if per_source else processbench_metrics(samples, scores, threshold, bias)
    if on_scores is not None:  # e.g. the HTML report: the same rows and scores the figures came from
        on_scores(samples, scores, threshold, bias, figures)
    return figures


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
