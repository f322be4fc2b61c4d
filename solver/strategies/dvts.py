"""Diverse verifier tree search (search-and-learn): the n branches form n / width independent subtrees;
each subtree keeps only its own best branch and expands it `width` ways, so one strong subtree cannot
crowd out the others."""

from __future__ import annotations

from minos.core.votes import weighted_vote
from minos.solver.strategies.base import Strategy


def select_per_subtree(subtrees: list[int], scores: list[float], threshold: float = 0.0) -> list[int]:
    """For each subtree, the index of its best branch scoring at least `threshold` (ties: lower index)."""
    best: dict[int, int] = {}
    for i, (tree, score) in enumerate(zip(subtrees, scores, strict=True)):
        if score < threshold:
            continue
        if tree not in best or score > scores[best[tree]]:
            best[tree] = i
    return sorted(best.values())


def expand_each(kept: int, subtrees: list[int], slots: int, beam_width: int) -> tuple[list[int], list[int]]:
    """Every surviving subtree expands its best branch `beam_width` ways (the free slots do not matter)."""
    order = [k for k in range(kept) for _ in range(beam_width)]
    return order, [subtrees[k] for k in order]


DVTS = Strategy(
    "dvts", "search", needs_verifier=True, pick=weighted_vote,
    survivors=lambda scores, subtrees, n, beam_width, threshold: select_per_subtree(subtrees, scores, threshold),
    refill=expand_each,
)
