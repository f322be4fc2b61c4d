"""Selection and search strategies. Each module's core is a pure function over candidates and scores.

`STRATEGIES` maps a strategy name to how the graph runs it: `sample` strategies draw n whole solutions
and then pick; `search` strategies grow solutions step by step under the verifier.
"""

from typing import Literal

from minos.solver.strategies.beam_search import select_beams
from minos.solver.strategies.best_of_n import best_of_n
from minos.solver.strategies.common import Pick
from minos.solver.strategies.dvts import select_per_subtree
from minos.solver.strategies.greedy import first
from minos.solver.strategies.majority import majority_vote
from minos.solver.strategies.weighted_vote import weighted_vote

Mode = Literal["sample", "search"]

# name -> (how candidates are produced, whether the verifier is needed)
STRATEGIES: dict[str, tuple[Mode, bool]] = {
    "greedy": ("sample", False),
    "self_consistency": ("sample", False),
    "best_of_n": ("sample", True),
    "weighted_vote": ("sample", True),
    "beam_search": ("search", True),
    "dvts": ("search", True),
}

__all__ = [
    "STRATEGIES",
    "Pick",
    "best_of_n",
    "first",
    "majority_vote",
    "select_beams",
    "select_per_subtree",
    "weighted_vote",
]
