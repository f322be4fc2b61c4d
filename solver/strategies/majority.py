"""Self-consistency: the most frequent final answer over n samples (equivalent answers vote together)."""

from __future__ import annotations

from minos.core.answers import answer_classes
from minos.solver.strategies.common import Pick
from minos.solver.strategies.weighted_vote import weighted_vote


def majority_vote(answers: list[str | None], classes: list[int] | None = None) -> Pick:
    """Each answer is one vote; ties go to the answer seen first."""
    classes = answer_classes(answers) if classes is None else classes
    return weighted_vote(answers, [1.0] * len(answers), classes)
