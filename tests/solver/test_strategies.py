import pytest
from minos.solver.strategies import (
    best_of_n,
    first,
    majority_vote,
    select_beams,
    select_per_subtree,
    weighted_vote,
)
from minos.solver.strategies.beam_search import refill


@pytest.mark.parametrize(
    ("answers", "expected", "support", "index"),
    [
        (["3", "4", "3"], "3", 2 / 3, 0),
        (["4", "3", "3", "4"], "4", 0.5, 0),  # tie: first seen wins
        (["0.5", "\\frac{1}{2}", "7"], "0.5", 2 / 3, 0),  # equivalent answers vote together
        ([None, "7", None], "7", 1.0, 1),
        ([None, None], None, 0.0, -1),
    ],
)
def test_majority_vote(answers, expected, support, index):
    pick = majority_vote(answers)
    assert (pick.answer, pick.index) == (expected, index)
    assert pick.support == pytest.approx(support)


@pytest.mark.parametrize(
    ("answers", "scores", "expected", "index"),
    [
        (["3", "4", "4"], [0.9, 0.4, 0.4], "3", 0),  # 0.9 > 0.8
        (["3", "4", "4"], [0.7, 0.4, 0.4], "4", 1),
        (["3", "4"], [0.5, 0.5], "3", 0),  # tie: first seen
        (["1,000", "1000", "5"], [0.3, 0.3, 0.5], "1,000", 0),
        ([None, "5"], [0.99, 0.1], "5", 1),  # no answer: dropped
    ],
)
def test_weighted_vote(answers, scores, expected, index):
    pick = weighted_vote(answers, scores)
    assert (pick.answer, pick.index) == (expected, index)


@pytest.mark.parametrize(
    ("answers", "scores", "expected", "index"),
    [
        (["3", "4", "5"], [0.2, 0.9, 0.5], "4", 1),
        (["3", "4"], [0.9, 0.9], "3", 0),
        ([None, "4"], [0.99, 0.1], "4", 1),
        ([None], [0.5], None, -1),
    ],
)
def test_best_of_n(answers, scores, expected, index):
    pick = best_of_n(answers, scores)
    assert (pick.answer, pick.index) == (expected, index)


def test_first():
    assert first(["7", "8"]).answer == "7"
    assert first([None]).index == -1


@pytest.mark.parametrize(
    ("scores", "keep", "threshold", "expected"),
    [
        ([0.1, 0.9, 0.5, 0.9], 2, 0.0, [1, 3]),
        ([0.1, 0.9, 0.5, 0.9], 3, 0.4, [1, 3, 2]),
        ([0.1, 0.2], 2, 0.5, []),
        ([0.3], 0, 0.0, []),
    ],
)
def test_select_beams(scores, keep, threshold, expected):
    assert select_beams(scores, keep, threshold) == expected


def test_refill_round_robin():
    assert refill([4, 2], 5) == [4, 2, 4, 2, 4]
    assert refill([], 3) == []


@pytest.mark.parametrize(
    ("subtrees", "scores", "threshold", "expected"),
    [
        ([0, 0, 1, 1], [0.2, 0.8, 0.9, 0.1], 0.0, [1, 2]),
        ([0, 0, 1, 1], [0.2, 0.3, 0.9, 0.1], 0.5, [2]),
        ([0, 1, 1], [0.5, 0.5, 0.5], 0.0, [0, 1]),
    ],
)
def test_select_per_subtree(subtrees, scores, threshold, expected):
    assert select_per_subtree(subtrees, scores, threshold) == expected
