"""Selection and search strategies: one module each, its core a pure function over candidates and scores.

`STRATEGIES` maps a name to its `Strategy` object; the graph, `minos batch` and the evaluation all read
it. Adding a strategy touches its own module and this table.
"""

from collections.abc import Sequence

from minos.core.answers import answer_classes
from minos.core.types import Candidate
from minos.core.votes import Pick, candidate_score
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


def voters(pool: Sequence[Candidate]) -> list[Candidate]:
    """The candidates that vote: those whose generation finished (all of them when none did)."""
    return [c for c in pool if c.finished] or list(pool)


def vote_on(candidates: Sequence[Candidate], strategy: str, aggregation: str, classes: Sequence[int] | None = None) -> Pick:
    """`strategy`'s pick among `candidates`, each weighed by its verifier scores under `aggregation`
    (`minos.core.votes.candidate_score`): the one vote of a solve, of a re-vote of its candidates (`minos
    batch`'s accuracy against n) and of a rerank of recorded solutions. Every candidate given votes: a solve
    passes `voters(pool)`, which leaves out unfinished ones."""
    answers = [c.answer for c in candidates]
    classes = answer_classes(answers) if classes is None else classes
    weights = [candidate_score(c.step_scores, aggregation, c.solution_score) for c in candidates]
    return STRATEGIES[strategy].pick(answers, weights, classes)


__all__ = ["STRATEGIES", "Mode", "Strategy", "select_beams", "select_per_subtree", "vote_on", "voters"]
