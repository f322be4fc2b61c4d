"""Best-of-N: the answer of the highest-scoring sample (ORM score, or PRM step scores aggregated)."""

from __future__ import annotations

from minos.core.votes import best_of_n
from minos.solver.strategies.base import Strategy

BEST_OF_N = Strategy("best_of_n", "sample", needs_verifier=True, pick=lambda answers, scores, classes: best_of_n(answers, scores))
