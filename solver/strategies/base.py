"""What a strategy is: a small frozen object the graph, the batch runner and the evaluation all use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from minos.core.votes import Pick

Mode = Literal["sample", "search"]


@dataclass(frozen=True)
class Strategy:
    """How candidates are produced (`mode`) and how the answer is picked from them.

    sample strategies draw whole solutions (in `SolverConfig.rounds` rounds, stopping early once `settled`
    says the vote cannot change); search strategies grow branches one step at a time, keep `survivors`
    after each scored step and `refill` the free slots from them.
    """

    name: str
    mode: Mode
    needs_verifier: bool
    # (answers, aggregated scores, answer classes) -> the pick
    pick: Callable[[Sequence[str | None], Sequence[float], Sequence[int]], Pick]
    # sample: (scores, classes, samples still to draw) -> True when drawing more cannot change the pick
    settled: Callable[[Sequence[float], Sequence[int], int], bool] | None = None
    single: bool = False  # one sample at temperature 0 (greedy)
    # search: (last-step scores, subtrees, n, beam_width, threshold) -> indices of the branches kept
    survivors: Callable[[list[float], list[int], int, int, float], list[int]] | None = None
    # search: (kept branches, their subtrees, free slots, beam_width) -> (which kept branch each slot
    # continues, the subtree of each slot)
    refill: Callable[[int, list[int], int, int], tuple[list[int], list[int]]] | None = None
