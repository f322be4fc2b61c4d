"""The batch engine's re-vote of recorded candidates: accuracy at every k from one run (a prefix of the
candidates is what a run at n=k would have drawn), voted exactly as the solver votes."""

from __future__ import annotations

import pytest
from minos.solver.batch import accuracy_at_k


def _row(strategy: str, answers: list[str], scores: list[float], reference: str = "24") -> dict:
    candidates = [{"steps": [f"x = {a}."], "answer": a, "step_scores": [s]} for a, s in zip(answers, scores, strict=True)]
    return {"id": "p", "strategy": strategy, "problem": {"id": "p", "question": "q", "reference": reference},
            "answer": None, "support": 0.0, "candidates": candidates}


@pytest.mark.parametrize(
    "strategy, want",
    [
        # candidates 26 (0.2), 24 (0.9), 24 (0.9)
        ("weighted_vote", {1: 0.0, 2: 1.0, 3: 1.0}),
        ("self_consistency", {1: 0.0, 2: 0.0, 3: 1.0}),  # a 1-1 tie goes to the first answer drawn
        ("best_of_n", {1: 0.0, 2: 1.0, 3: 1.0}),
    ],
)
def test_accuracy_at_k_revotes_each_prefix(strategy, want):
    rows = [_row(strategy, ["26", "24", "24"], [0.2, 0.9, 0.9]), _row("greedy", ["24"], [1.0])]
    got = accuracy_at_k(rows, {strategy: [1, 2, 3]}, "min")
    assert got == {(strategy, k): v for k, v in want.items()}


def test_rows_without_a_reference_or_with_an_error_are_not_graded():
    rows = [_row("weighted_vote", ["24"], [0.9]), _row("weighted_vote", ["26"], [0.9], reference=None),
            {**_row("weighted_vote", ["26"], [0.9]), "error": "boom"}]
    rows[1]["problem"]["reference"] = None
    assert accuracy_at_k(rows, {"weighted_vote": [1]}, "min") == {("weighted_vote", 1): 1.0}
