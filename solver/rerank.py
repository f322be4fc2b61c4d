"""Rerank recorded solutions with a verifier: every sample strategy of the strategies table picks among the
same candidates, each verifier-weighted one under every vote weight, through the solver's own vote
(`vote_on`), so a new strategy or aggregation shows in `minos eval rerank` as it does in a solve.

Rows are `minos.verifier.evaluate.load_rerank`'s: recorded solutions (GPT-3's on GSM8K, or a `minos batch`
output) with the gold answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

__all__ = ["evaluate_rerank", "rerank_candidates", "rerank_metrics"]


def rerank_candidates(row: dict, assessments: Sequence | None = None, built: Sequence | None = None) -> list:
    """The recorded solutions of one rerank row as finished candidates, with the verifier's assessments
    (`minos.verifier.base.Assessment`, one per solution) where given; `built`: this row's candidates already
    split and read (an earlier call's), so they are not split again."""
    from minos.core.answers import extract_answer
    from minos.core.steps import split_steps
    from minos.core.types import Candidate

    out = list(built) if built is not None else [
        Candidate(steps=tuple(split_steps(solution) or [solution]), answer=extract_answer(solution)) for solution in row["solutions"]
    ]
    if assessments is None:
        return out
    return [replace(c, step_scores=tuple(a.steps), solution_score=a.solution, critique=a.critique)
            for c, a in zip(out, assessments, strict=True)]


def rerank_metrics(rows: list[dict], assessments: list[Sequence], built: list[Sequence] | None = None) -> dict:
    """Accuracy of each sample strategy's pick (`greedy` is the first solution, `self_consistency` the
    majority), of each verifier-weighted strategy under each vote weight (`best_of_n_min`,
    `weighted_vote_auto`, ...), and of the oracle (any solution right). `built`: each row's candidates from
    `rerank_candidates`, where the caller has them already."""
    from minos.core.answers import answer_classes, answers_equal
    from minos.core.votes import VOTE_WEIGHTS
    from minos.solver.strategies import STRATEGIES, vote_on

    methods: list[tuple[str, str, str]] = []  # (name, strategy, vote weight)
    for name, strategy in STRATEGIES.items():
        if strategy.mode != "sample":
            continue
        methods += [(f"{name}_{how}", name, how) for how in VOTE_WEIGHTS] if strategy.needs_verifier else [(name, name, "min")]
    right = dict.fromkeys([m for m, _, _ in methods] + ["oracle"], 0)
    built = built if built is not None else [None] * len(rows)
    for row, row_assessments, row_built in zip(rows, assessments, built, strict=True):
        candidates = rerank_candidates(row, row_assessments, row_built)
        correct = [answers_equal(c.answer, row["answer"]) for c in candidates]
        classes = answer_classes([c.answer for c in candidates])
        right["oracle"] += any(correct)
        for name, strategy, how in methods:
            pick = vote_on(candidates, strategy, how, classes)
            right[name] += pick.index >= 0 and correct[pick.index]
    total = len(rows)
    return {"problems": total} | {m: right[m] / total if total else 0.0 for m in right}


def evaluate_rerank(path: str | Path, verifier) -> dict:
    """`rerank_metrics` of a rerank file, every solution assessed by `verifier` in one batch."""
    from minos.verifier.evaluate import load_rerank

    rows = load_rerank(path)
    built = [rerank_candidates(r) for r in rows]
    flat = iter(verifier.assess_batch([(r["question"], list(c.steps)) for r, cs in zip(rows, built, strict=True) for c in cs]))
    assessments = [[next(flat) for _ in cs] for cs in built]
    return rerank_metrics(rows, assessments, built)
