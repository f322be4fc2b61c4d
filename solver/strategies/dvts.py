"""Diverse verifier tree search (search-and-learn): the n branches form n / width independent subtrees;
each subtree keeps only its own best branch and expands it `width` ways, so one strong subtree cannot
crowd out the others."""

from __future__ import annotations


def select_per_subtree(subtrees: list[int], scores: list[float], threshold: float = 0.0) -> list[int]:
    """For each subtree, the index of its best branch scoring at least `threshold` (ties: lower index)."""
    best: dict[int, int] = {}
    for i, (tree, score) in enumerate(zip(subtrees, scores, strict=True)):
        if score < threshold:
            continue
        if tree not in best or score > scores[best[tree]]:
            best[tree] = i
    return sorted(best.values())
