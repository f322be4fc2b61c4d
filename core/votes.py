"""Votes and score aggregation: pure functions over answers and scores, shared by the solver (picking an
answer), the verifier's evaluation (reranking recorded samples) and the CLI (accuracy against n).

NaN marks a step the verifier could not score (truncated input); aggregations skip it. Scores are
probabilities (never raw logits, which can be negative).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minos.core.answers import answer_classes

# ------------------------------------------------------------------------------------------ aggregation


def _seen(scores: Sequence[float]) -> list[float]:
    return [s for s in scores if not math.isnan(s)]


def _min(scores):
    seen = _seen(scores)
    return min(seen) if seen else 0.0


def _last(scores):
    seen = _seen(scores)
    return seen[-1] if seen else 0.0


def _prod(scores):
    seen = _seen(scores)
    return math.prod(seen) if seen else 0.0


def _mean(scores):
    seen = _seen(scores)
    return sum(seen) / len(seen) if seen else 0.0


AGGREGATIONS: dict[str, Callable[[Sequence[float]], float]] = {"min": _min, "last": _last, "prod": _prod, "mean": _mean}
# what a vote may weigh a candidate by: `auto` (the verifier's own solution score where it gives one, else
# `min`) or one of the aggregations of its step scores
VOTE_WEIGHTS = ("auto", *AGGREGATIONS)


def aggregate(scores: Sequence[float], how: str = "min") -> float:
    """One score for a candidate from its step scores (0.0 when there are none)."""
    try:
        return AGGREGATIONS[how](scores)
    except KeyError:
        raise ValueError(f"unknown aggregation {how!r}: use one of {', '.join(AGGREGATIONS)}") from None


def candidate_score(step_scores: Sequence[float], how: str = "auto", solution: float | None = None) -> float:
    """A candidate's weight in a vote: under `auto` the verifier's `solution` score where it gave one, else
    (and under an aggregation's name) its aggregated step scores; 1.0 when nothing scored it."""
    if how == "auto":
        if solution is not None:
            return solution
        how = "min"
    return aggregate(step_scores, how) if step_scores else 1.0


# ------------------------------------------------------------------------------------------------ votes


@dataclass(frozen=True)
class Pick:
    """A vote's choice: the answer, its support (share of the vote or score), and the index of the
    candidate that represents it (-1 when nothing could be picked)."""

    answer: str | None
    support: float
    index: int


NO_PICK = Pick(None, 0.0, -1)


def tally(scores: Sequence[float], classes: Sequence[int]) -> tuple[dict[int, float], dict[int, int]]:
    """Total weight per answer class (class -1, no answer, is dropped) and each class's first index."""
    totals: dict[int, float] = {}
    first_index: dict[int, int] = {}
    for i, (cls, score) in enumerate(zip(classes, scores, strict=True)):
        if cls < 0:
            continue
        totals[cls] = totals.get(cls, 0.0) + max(score, 0.0)
        first_index.setdefault(cls, i)
    return totals, first_index


def first(answers: Sequence[str | None]) -> Pick:
    """Greedy: the first sample's answer."""
    return Pick(answers[0], 1.0, 0) if answers and answers[0] is not None else NO_PICK


def weighted_vote(answers: Sequence[str | None], scores: Sequence[float], classes: Sequence[int] | None = None) -> Pick:
    """Verifier-weighted vote (Math-Minos "SC + verifier"): argmax over distinct answers of the summed
    scores of the samples giving it. Ties go to the answer seen first; support is the winner's share."""
    classes = answer_classes(list(answers)) if classes is None else classes
    totals, first_index = tally(scores, classes)
    if not totals:
        return NO_PICK
    winner = max(totals, key=lambda c: (totals[c], -first_index[c]))
    weight = sum(totals.values())
    index = first_index[winner]
    return Pick(answers[index], totals[winner] / weight if weight > 0 else 1.0 / len(totals), index)


def majority_vote(answers: Sequence[str | None], classes: Sequence[int] | None = None) -> Pick:
    """Self-consistency: each answer is one vote; ties go to the answer seen first."""
    return weighted_vote(answers, [1.0] * len(answers), classes)


def best_of_n(answers: Sequence[str | None], scores: Sequence[float]) -> Pick:
    """The highest-scoring sample's answer; samples with no answer are skipped, ties go to the earliest."""
    ranked = [(score, -i) for i, (a, score) in enumerate(zip(answers, scores, strict=True)) if a is not None]
    if not ranked:
        return NO_PICK
    score, neg_index = max(ranked)
    return Pick(answers[-neg_index], score, -neg_index)


def vote_is_settled(scores: Sequence[float], classes: Sequence[int], remaining: int) -> bool:
    """True when `remaining` more votes of weight at most 1 each could not change the winner."""
    totals, _ = tally(scores, classes)
    ranked = sorted(totals.values(), reverse=True) + [0.0, 0.0]
    return ranked[0] > ranked[1] + remaining


def chosen_candidate(candidates, answer: str | None, how: str = "auto"):
    """The solution a solve stands behind: the best-scored candidate that reached the picked `answer`
    (None when none did). `minos solve` shows it; `minos serve` replies with it."""
    from minos.core.answers import answers_equal

    voters = [c for c in candidates if c.answer is not None and answer is not None and answers_equal(c.answer, answer)]
    return max(voters, key=lambda c: candidate_score(c.step_scores, how, c.solution_score)) if voters else None
