"""Self-consistency: the most frequent final answer over n samples (equivalent answers vote together)."""

from __future__ import annotations

from minos.core.votes import majority_vote, vote_is_settled
from minos.solver.strategies.base import Strategy

SELF_CONSISTENCY = Strategy(
    "self_consistency", "sample", needs_verifier=False,
    pick=lambda answers, scores, classes: majority_vote(answers, classes),
    settled=lambda scores, classes, remaining: vote_is_settled([1.0] * len(classes), classes, remaining),
)
