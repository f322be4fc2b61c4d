"""Selection and search strategies: one module each, its core a pure function over candidates and scores.

`STRATEGIES` maps a name to its `Strategy` object; the graph, `minos batch` and the evaluation all read
it. Adding a strategy touches its own module and this table.
"""

from minos.solver.strategies.base import Mode, Strategy
from minos.solver.strategies.beam_search import BEAM_SEARCH, select_beams
from minos.solver.strategies.best_of_n import BEST_OF_N
from minos.solver.strategies.dvts import DVTS, select_per_subtree
from minos.solver.strategies.greedy import GREEDY
from minos.solver.strategies.self_consistency import SELF_CONSISTENCY
from minos.solver.strategies.weighted_vote import WEIGHTED_VOTE

STRATEGIES: dict[str, Strategy] = {
    s.name: s for s in (GREEDY, SELF_CONSISTENCY, BEST_OF_N, WEIGHTED_VOTE, BEAM_SEARCH, DVTS)
}

__all__ = ["STRATEGIES", "Mode", "Strategy", "select_beams", "select_per_subtree"]
