"""Verifier-weighted vote (Math-Minos "SC + verifier"): argmax over distinct answers of the sum of the
verifier scores of the samples that give it. Samples with no answer are dropped; scores are probabilities
(never raw logits, which can be negative)."""

from __future__ import annotations

from minos.core.answers import answer_classes
from minos.solver.strategies.common import NO_PICK, Pick


def weighted_vote(answers: list[str | None], scores: list[float], classes: list[int] | None = None) -> Pick:
    """Ties go to the answer seen first; support is the winner's share of the total weight."""
    classes = answer_classes(answers) if classes is None else classes
    totals: dict[int, float] = {}
    first_index: dict[int, int] = {}
    for i, (cls, score) in enumerate(zip(classes, scores, strict=True)):
        if cls < 0:
            continue
        totals[cls] = totals.get(cls, 0.0) + max(score, 0.0)
        first_index.setdefault(cls, i)
    if not totals:
        return NO_PICK
    winner = max(totals, key=lambda c: (totals[c], -first_index[c]))
    weight = sum(totals.values())
    index = first_index[winner]
    return Pick(answers[index], totals[winner] / weight if weight > 0 else 1.0 / len(totals), index)
