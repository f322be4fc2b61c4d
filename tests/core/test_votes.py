"""Votes and aggregation (core.votes): table rows, one per case found."""

import pytest
from minos.core.votes import aggregate, best_of_n, first, majority_vote, vote_is_settled, weighted_vote


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
    ("scores", "how", "expected"),
    [([0.9, 0.2, 0.8], "min", 0.2), ([0.9, 0.2, 0.8], "last", 0.8), ([0.5, 0.5], "prod", 0.25),
     ([0.2, 0.4], "mean", 0.3), ([], "min", 0.0), ([float("nan"), 0.4], "prod", 0.4)],
)
def test_aggregate(scores, how, expected):
    assert aggregate(scores, how) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("scores", "classes", "remaining", "settled"),
    [
        ([1.0, 1.0, 1.0], [0, 0, 0], 2, True),  # 3 > 0 + 2
        ([1.0, 1.0, 1.0], [0, 0, 1], 1, False),  # 2 > 1 + 1 is false: one more vote could tie
        ([0.9, 0.1], [0, 1], 0, True),
        ([0.5, 0.5], [-1, -1], 1, False),  # nothing answered yet
    ],
)
def test_vote_is_settled(scores, classes, remaining, settled):
    assert vote_is_settled(scores, classes, remaining) is settled
