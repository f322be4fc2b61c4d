"""PRM-guided step-level beam search: after each step, keep the best live branches and resample
replacements from their prefixes; the finished branches then go to a verifier-weighted vote."""

from __future__ import annotations

from minos.core.votes import weighted_vote
from minos.solver.strategies.base import Strategy


def select_beams(scores: list[float], keep: int, threshold: float = 0.0) -> list[int]:
    """Indices of the branches to keep: at most `keep`, each scoring at least `threshold`, best first
    (ties to the lower index)."""
    eligible = [i for i, s in enumerate(scores) if s >= threshold]
    return sorted(eligible, key=lambda i: (-scores[i], i))[: max(keep, 0)]


def refill(kept: int, subtrees: list[int], slots: int, beam_width: int) -> tuple[list[int], list[int]]:
    """Which kept branch each of `slots` live slots continues from: round-robin, best first."""
    order = [i % kept for i in range(slots)] if kept else []
    return order, [0] * len(order)


BEAM_SEARCH = Strategy(
    "beam_search", "search", needs_verifier=True, pick=weighted_vote,
    survivors=lambda scores, subtrees, n, beam_width, threshold: select_beams(scores, max(1, n // beam_width), threshold),
    refill=refill,
)
