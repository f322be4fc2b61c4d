"""Greedy: one sample at temperature 0, its answer."""

from __future__ import annotations

from minos.core.votes import first
from minos.solver.strategies.base import Strategy

GREEDY = Strategy("greedy", "sample", needs_verifier=False, single=True, pick=lambda answers, scores, classes: first(answers))
