"""Best-of-N: the answer of the highest-scoring sample (ORM score, or PRM step scores aggregated)."""

from __future__ import annotations

from minos.solver.strategies.common import NO_PICK, Pick


def best_of_n(answers: list[str | None], scores: list[float]) -> Pick:
    """Samples with no answer are skipped; ties go to the earliest sample."""
    ranked = [(score, -i) for i, (a, score) in enumerate(zip(answers, scores, strict=True)) if a is not None]
    if not ranked:
        return NO_PICK
    score, neg_index = max(ranked)
    return Pick(answers[-neg_index], score, -neg_index)
