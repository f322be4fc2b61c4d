"""Greedy: one sample (temperature 0), its answer."""

from __future__ import annotations

from minos.solver.strategies.common import NO_PICK, Pick


def first(answers: list[str | None]) -> Pick:
    return Pick(answers[0], 1.0, 0) if answers and answers[0] is not None else NO_PICK
