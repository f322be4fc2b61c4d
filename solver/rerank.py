"""Rerank recorded solutions with a verifier: every sample strategy of the strategies table picks among the
same candidates, each verifier-weighted one under every vote weight, through the solver's own vote
(`vote_on`), so a new strategy or aggregation shows in `minos eval rerank` as it does in a solve.

Rows are `minos.verifier.evaluate.load_rerank`'s: recorded solutions (GPT-3's on GSM8K, or a `minos batch`
output) with the gold answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["evaluate_rerank", "rerank_candidates", "rerank_metrics"]


def rerank_candidates(row: dict, assessments: Sequence | None = None) -> list:
    """The recorded solutions of one rerank row as finished candidates, with the verifier's assessments
    (`minos.verifier.base.Assessment`, one per solution) where given."""
    from minos.core.answers import extract_answer
    from minos.core.steps import split_steps
    from minos.core.types import Candidate

    out = []
    for i, solution in enumerate(row["solutions"]):
        candidate = Candidate(steps=tuple(split_steps(solution) or [solution]), answer=extract_answer(solution))
        if assessments is not None:
            a = assessments[i]
            candidate = Candidate(candidate.steps, candidate.answer, step_scores=tuple(a.steps), solution_score=a.solution,
                                  critique=a.critique)
        out.append(candidate)
    return out


def rerank_metrics(rows: list[dict], assessments: list[Sequence]) -> dict:
    """Accuracy of each sample strategy's pick (`greedy` is the first solution, `self_consistency` the
    majority), of each verifier-weighted strategy under each vote weight (`best_of_n_min`,
    `weighted_vote_auto`, ...), and of the oracle (any solution right)."""
    from minos.core.answers import answer_classes, answers_equal
    from minos.core.votes import VOTE_WEIGHTS
    from minos.solver.strategies import STRATEGIES, vote_on

    methods: list[tuple[str, str, str]] = []  # (name, strategy, vote weight)
    for name, strategy in STRATEGIES.items():
        if strategy.mode != "sample":
            continue
        methods += [(f"{name}_{how}", name, how) for how in VOTE_WEIGHTS] if strategy.needs_verifier else [(name, name, "min")]
    right = dict.fromkeys([m for m, _, _ in methods] + ["oracle"], 0)
    for row, row_assessments in zip(rows, assessments, strict=True):
        candidates = rerank_candidates(row, row_assessments)
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
    items = [(r["question"], list(c.steps)) for r in rows for c in rerank_candidates(r)]
    flat, assessments = iter(verifier.assess_batch(items)), []
    for r in rows:
        assessments.append([next(flat) for _ in r["solutions"]])
    return rerank_metrics(rows, assessments)
