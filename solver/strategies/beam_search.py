"""PRM-guided step-level beam search: after each step, keep the best live branches and resample
replacements from their prefixes."""

from __future__ import annotations


def select_beams(scores: list[float], keep: int, threshold: float = 0.0) -> list[int]:
    """Indices of the branches to keep: at most `keep`, each scoring at least `threshold`, best first
    (ties to the lower index)."""
    eligible = [i for i, s in enumerate(scores) if s >= threshold]
    return sorted(eligible, key=lambda i: (-scores[i], i))[: max(keep, 0)]


def refill(kept: list[int], slots: int) -> list[int]:
    """Which kept branch each of `slots` live slots continues from: round-robin, best first."""
    return [kept[i % len(kept)] for i in range(slots)] if kept else []
