"""Reranking recorded solutions votes as the solver does: every strategy and vote weight of the table."""

from minos.solver.rerank import rerank_metrics
from minos.verifier.base import Assessment


def test_rerank_metrics():
    rows = [
        {"question": "q", "answer": "24", "solutions": ["The answer is 26.", "The answer is 26.", "The answer is 24."]},
        {"question": "q", "answer": "5", "solutions": ["The answer is 5.", "The answer is 6."]},
    ]
    scores = [[[0.1], [0.1], [0.9]], [[0.8], [0.2]]]
    m = rerank_metrics(rows, [[Assessment(tuple(s)) for s in row] for row in scores])
    assert m["greedy"] == 0.5 and m["self_consistency"] == 0.5 and m["oracle"] == 1.0
    assert m["best_of_n_min"] == 1.0 and m["weighted_vote_min"] == 1.0
    # every vote weight of every verifier-weighted strategy shows, `auto` reading the steps without a solution score
    assert {f"{s}_{w}" for s in ("best_of_n", "weighted_vote") for w in ("auto", "min", "last", "prod", "mean")} <= set(m)
    assert m["weighted_vote_auto"] == m["weighted_vote_min"]


def test_rerank_weighs_by_the_verifiers_solution_score_under_auto():
    """A verifier that scores whole solutions (the default's calibrated solution reading) decides the vote
    under `auto`, whatever its step scores say; under `min` the steps decide."""
    rows = [{"question": "q", "answer": "24", "solutions": ["The answer is 26.", "The answer is 26.", "The answer is 24."]}]
    steps = [[0.9], [0.9], [0.2]]
    solution = [0.1, 0.1, 0.95]
    m = rerank_metrics(rows, [[Assessment(tuple(s), w) for s, w in zip(steps, solution, strict=True)]])
    assert m["weighted_vote_auto"] == 1.0 and m["best_of_n_auto"] == 1.0
    assert m["weighted_vote_min"] == 0.0 and m["best_of_n_min"] == 0.0
