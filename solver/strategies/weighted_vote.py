"""Verifier-weighted vote (Math-Minos "SC + verifier"): the answer whose samples' verifier scores sum
highest. The default strategy."""

from __future__ import annotations

from minos.core.votes import vote_is_settled, weighted_vote
from minos.solver.strategies.base import Strategy

WEIGHTED_VOTE = Strategy(
    "weighted_vote", "sample", needs_verifier=True,
    pick=weighted_vote,
    settled=vote_is_settled,  # a score is a probability: each sample still to draw adds at most 1
)
