"""The strategy objects: each one's pick, early-stop rule and search rules, as the graph uses them."""

import pytest
from minos.core.answers import answer_classes
from minos.solver.strategies import STRATEGIES, select_beams, select_per_subtree


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


def test_beam_search_refills_round_robin_from_the_kept():
    refill = STRATEGIES["beam_search"].refill
    assert refill(2, [0, 0], 5, 4) == ([0, 1, 0, 1, 0], [0, 0, 0, 0, 0])
    assert refill(0, [], 3, 4) == ([], [])


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


def test_dvts_expands_each_survivor_within_its_subtree():
    assert STRATEGIES["dvts"].refill(2, [3, 5], 99, 2) == ([0, 0, 1, 1], [3, 3, 5, 5])


@pytest.mark.parametrize(
    ("name", "scores", "subtrees", "kept"),
    [
        ("beam_search", [0.2, 0.9, 0.5, 0.8], [0, 0, 1, 1], [1, 3]),  # n=4, width 2: keep 2, any subtree
        ("dvts", [0.2, 0.9, 0.5, 0.8], [0, 0, 1, 1], [1, 3]),  # the best of each subtree
        ("dvts", [0.2, 0.9, 0.8, 0.5], [0, 0, 0, 1], [1, 3]),  # subtree 1 keeps its branch though 0.8 > 0.5
        ("beam_search", [0.2, 0.9, 0.8, 0.5], [0, 0, 0, 1], [1, 2]),
    ],
)
def test_survivors(name, scores, subtrees, kept):
    assert STRATEGIES[name].survivors(scores, subtrees, 4, 2, 0.0) == kept


@pytest.mark.parametrize(
    ("name", "answers", "scores", "expected"),
    [
        ("greedy", ["7", "8", "8"], [0.1, 0.9, 0.9], "7"),
        ("self_consistency", ["7", "8", "8"], [0.9, 0.1, 0.1], "8"),  # scores ignored
        ("best_of_n", ["7", "8", "8"], [0.9, 0.5, 0.5], "7"),
        ("weighted_vote", ["7", "8", "8"], [0.9, 0.5, 0.5], "8"),  # 1.0 > 0.9
        ("beam_search", ["7", "8", "8"], [0.9, 0.4, 0.4], "7"),  # the finished branches' weighted vote
        ("dvts", ["7", "8", "8"], [0.9, 0.5, 0.5], "8"),
    ],
)
def test_each_strategy_picks(name, answers, scores, expected):
    assert STRATEGIES[name].pick(answers, scores, answer_classes(answers)).answer == expected


@pytest.mark.parametrize(
    ("name", "scores", "remaining", "settled"),
    [
        ("self_consistency", [0.1, 0.1, 0.1], 2, True),  # three votes for one answer, two to come
        ("weighted_vote", [0.1, 0.1, 0.1], 2, False),  # 0.3 of weight: two strong votes could win
        ("weighted_vote", [0.9, 0.9, 0.9], 2, True),
    ],
)
def test_sample_strategies_stop_early_when_settled(name, scores, remaining, settled):
    assert STRATEGIES[name].settled(scores, [0, 0, 0], remaining) is settled


def test_table_matches_each_object():
    assert all(name == s.name for name, s in STRATEGIES.items())
    for s in STRATEGIES.values():
        assert (s.survivors is not None) == (s.refill is not None) == (s.mode == "search")
        assert s.settled is None or s.mode == "sample"
    assert [s.name for s in STRATEGIES.values() if not s.needs_verifier] == ["greedy", "self_consistency"]
