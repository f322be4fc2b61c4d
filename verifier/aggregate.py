"""Step-score aggregation: how a candidate's per-step scores become one score.

NaN marks a step the verifier could not score (truncated input); aggregations skip it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence


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


def aggregate(scores: Sequence[float], how: str = "min") -> float:
    """One score for a candidate from its step scores (0.0 when there are none)."""
    try:
        return AGGREGATIONS[how](scores)
    except KeyError:
        raise ValueError(f"unknown aggregation {how!r}: use one of {', '.join(AGGREGATIONS)}") from None
