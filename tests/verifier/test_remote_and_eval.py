"""The remote verifier against a local server that answers exactly the request/response shapes of
vLLM's pooling API as documented for vLLM v0.18 (`POST /pooling`, task `token_classify`, STEP pooling)."""


import pytest
from minos.core.types import LabelledSolution, Problem
from minos.verifier import load_verifier
from minos.verifier.evaluate import (
    THRESHOLDS,
    best_no_error_bias,
    best_threshold,
    by_source,
    evaluate_processbench,
    outcome_accuracy,
    pick_among_labelled,
    predict_first_error,
    processbench_metrics,
    question_style,
    step_auroc,
    sweep_thresholds,
)

from tests.servers import json_server

SEEN: list = []


def _pooling(method, path, body):
    SEEN.append((path, body))
    steps = body["input"].count("ки")
    # STEP pooling: per tag, softmax over the returned token ids [good, bad]
    rows = [[0.9, 0.1] if "26" not in part else [0.2, 0.8] for part in body["input"].split("ки")[:steps]]
    return 200, {
        "id": "pool-1", "object": "list", "created": 0, "model": body["model"],
        "data": [{"index": 0, "object": "pooling", "data": rows}],
        "usage": {"prompt_tokens": 10, "total_tokens": 10, "completion_tokens": 0},
    }


@pytest.fixture
def pooling_server():
    SEEN.clear()
    with json_server(_pooling) as url:
        yield url


def test_remote_verifier_contract(pooling_server):
    v = load_verifier(f"{pooling_server}#my-prm")
    scores = v.score("q", [["48 / 2 = 24.", "The answer is 24."], ["48 / 2 = 26."]])
    assert scores == [[0.9, 0.9], [0.2]]
    path, body = SEEN[0]
    assert path == "/pooling" and body["task"] == "token_classify" and body["model"] == "my-prm"


def test_remote_verifier_dead_server():
    v = load_verifier("http://127.0.0.1:9/v1#m", max_retries=1)
    with pytest.raises(RuntimeError, match="no answer after 2 tries"):
        v.score("q", [["a"]])


def _sample(first_error: int, n: int = 3) -> LabelledSolution:
    labels = tuple(1.0 if first_error == -1 or i < first_error else 0.0 for i in range(n))
    return LabelledSolution(Problem("p", "q"), tuple("abc"[:n]), labels)


@pytest.mark.parametrize(
    "aggregation, threshold, expected",
    [
        ("min", 0.5, 0.75),  # the second right row's 0.4 step reads as a wrong final answer
        ("last", 0.5, 0.75),  # the third row (wrong at step 0) ends on 0.9: read as right
        ("min", 0.35, 1.0),  # 0.4 now passes, 0.2 still fails
    ],
)
def test_outcome_accuracy(aggregation, threshold, expected):
    samples = [_sample(1), _sample(-1), _sample(0), _sample(-1)]
    scores = [[0.9, 0.3, 0.2], [0.9, 0.9, 0.9], [0.2, 0.9, 0.9], [0.9, 0.4, 0.9]]
    assert outcome_accuracy(samples, scores, aggregation, threshold) == expected


def test_processbench_metrics():
    samples = [_sample(1), _sample(-1), _sample(0), _sample(-1)]
    scores = [[0.9, 0.3, 0.2], [0.9, 0.9, 0.9], [0.9, 0.9, 0.9], [0.9, 0.4, 0.9]]
    m = processbench_metrics(samples, scores, 0.5)
    assert (m["error_acc"], m["correct_acc"]) == (0.5, 0.5)
    assert m["f1"] == pytest.approx(0.5)
    best = sweep_thresholds(samples, scores)
    # the lowest threshold that flags step 2 of the first row (0.3) and not 0.4: just above 0.3, a score itself
    assert best["f1"] >= m["f1"] and 0.3 < best["threshold"] < 0.31


NAN = float("nan")


@pytest.mark.parametrize(
    ("scores", "threshold", "bias", "expected"),
    [
        # the first step under the threshold, or none
        ([0.9, 0.3, 0.2], 0.5, None, 1),
        ([0.9, 0.9, 0.9], 0.5, None, -1),
        # likeliest first error: P(0 wrong) .1, P(1 first wrong) .9*.7=.63, P(2) .9*.3*.8=.22, P(none) .054
        ([0.9, 0.3, 0.2], 0.5, 0.0, 1),
        # two doubtful steps, then sure ones: the threshold flags the first; all right (.50) beats step 0 wrong (.26)
        ([0.74, 0.74, 0.95, 0.95], 0.75, None, 0),
        ([0.74, 0.74, 0.95, 0.95], 0.75, 0.0, -1),
        # one step far less likely than its neighbours: named above the threshold once "none" is discounted
        ([0.99, 0.99, 0.8, 0.99], 0.75, None, -1),
        ([0.99, 0.99, 0.8, 0.99], 0.75, 0.0, -1),
        ([0.99, 0.99, 0.8, 0.99], 0.75, -2.0, 2),
        # steps cut off unread (NaN) are never named, by either rule
        ([0.9, NAN, NAN], 0.5, 0.0, -1),
        ([0.2, NAN], 0.5, 0.0, 0),
        ([0.9, NAN, NAN], 0.5, None, -1),
        # a candidate's unread steps as `minos solve` and the run report hold them (None), by either rule
        ([0.9, None, 0.1], 0.5, None, 2),
        ([0.9, None, 0.1], 0.5, 0.0, -1),
        ([0.2, None], 0.5, 0.0, 0),
        # certain scores (0 and 1) do not break the logarithms
        ([1.0, 0.0, 1.0], 0.5, 0.0, 1),
    ],
)
def test_predict_first_error_rows(scores, threshold, bias, expected):
    assert predict_first_error(scores, threshold, bias) == expected


# questions from the data: GSM8K's `$` opens a price, MATH's opens LaTeX
@pytest.mark.parametrize(
    ("question", "style"),
    [
        ("Natalia sold clips to 48 of her friends in April. How many clips did she sell?", "gsm8k"),
        ("Billy is buying some candy with $10 his father gave him. The candy costs $1.5 a pound.", "gsm8k"),
        ("He used to buy them for $.5 each but he gets a new vendor.", "gsm8k"),
        ("Each book sells at 20$, and she sold twice as many books in the first year.", "gsm8k"),
        ("What is the positive difference between $120\\%$ of 30 and $130\\%$ of 20?", "math"),
        ("If $x^2 + 2x = 8$, what is the largest possible value of $x$?", "math"),
        ("Compute $\\dbinom{8}{4}$.", "math"),
        ("Find the remainder when 2^{100} is divided by 7.", "math"),
        ("Evaluate \\(\\sqrt{49}\\).", "math"),
        ("Find all $2021$-tuples of integers.", "math"),
        ("Solve $|x-3| = 5$.", "math"),
        ("Compute \\[ \\sum_{k=1}^{10} k. \\]", "math"),
        ("A book costs $5 and a pen costs $3. How much do both cost?", "gsm8k"),
        # a MATH problem in plain words reads as a word problem: its solution gets the GSM8K-style rule
        ("How many positive whole-number divisors does 196 have?", "gsm8k"),
    ],
)
def test_question_style_rows(question, style):
    assert question_style(question) == style


def test_a_no_error_bias_per_style_applies_to_its_style_alone():
    """`{"gsm8k": b}`: word problems get the likeliest first error, LaTeX questions the first step under the
    threshold (as `minos solve`, the run report and `minos eval` read a stored per-style bias)."""
    scores = [0.74, 0.74, 0.95, 0.95]
    assert predict_first_error(scores, 0.75, {"gsm8k": 0.0}, "Tom has 3 apples.") == -1
    assert predict_first_error(scores, 0.75, {"gsm8k": 0.0}, "Solve $x^2=4$.") == 0
    with pytest.raises(ValueError, match="needs the question"):  # no question: no silent guess at its style
        predict_first_error(scores, 0.75, {"gsm8k": 0.0})
    assert predict_first_error(scores, 0.75, 0.0) == -1  # one bias for every style needs none
    steps = ("a", "b", "c", "d")
    rows = [LabelledSolution(Problem("p", q), steps, (1.0,) * 4) for q in ("Tom has 3 apples.", "Solve $x^2=4$.")]
    figures = processbench_metrics(rows, [scores, scores], 0.75, {"gsm8k": 0.0})
    assert figures["correct_acc"] == 0.5 and figures["no_error_bias"] == {"gsm8k": 0.0}


def test_processbench_reads_the_verifiers_own_first_error_rule(tmp_path):
    """A verifier that stores a no-error bias is evaluated by its likeliest first error; a threshold given
    on the command line asks for the threshold rule instead."""
    from minos.core.data import write_jsonl_atomic
    from minos.verifier import BaseVerifier

    steps = ("a", "b", "c", "d")
    rows = [LabelledSolution(Problem("p", "q"), steps, (1.0,) * 4), LabelledSolution(Problem("p", "q"), steps, (1.0, 1.0, 0.0, 0.0))]

    class Fixed(BaseVerifier):
        threshold, no_error_bias = 0.75, 0.0

        def score_batch(self, items):
            return [[0.74, 0.74, 0.95, 0.95], [0.99, 0.99, 0.2, 0.99]]

    path = tmp_path / "rows.jsonl"
    write_jsonl_atomic(path, [r.to_dict() for r in rows])
    own = evaluate_processbench(path, Fixed())
    assert (own["correct_acc"], own["error_acc"], own["no_error_bias"]) == (1.0, 1.0, 0.0)
    asked = evaluate_processbench(path, Fixed(), threshold=0.75)
    assert (asked["correct_acc"], asked["error_acc"]) == (0.0, 1.0) and "no_error_bias" not in asked
    assert by_source(rows, Fixed().score_batch([]), 0.75, 0.0)["all"]["f1"] == 1.0


@pytest.mark.parametrize(
    ("labels", "scores", "expected"),
    [
        # first wrong steps all below every right step: perfect ranking
        ([1, -1], [[0.9, 0.1, 0.05], [0.8, 0.7, 0.6]], 1.0),
        # the first wrong step above every right one: the worst ranking
        ([1, -1], [[0.2, 0.9, 0.0], [0.3, 0.1, 0.2]], 0.0),
        # ties count half: one wrong step (0.5) against right steps 0.5 and 0.9
        ([1], [[0.5, 0.5, 0.0]], 0.5),
        ([1, -1], [[0.5, 0.5, 0.0], [0.9, 0.9, 0.9]], 0.875),
        # steps after the first error are not ranked (their labels are unknown in real data)
        ([0, -1], [[0.2, 0.99, 0.99], [0.9, 0.9, 0.9]], 1.0),
        # a set without a wrong step (or without a right one) has no AUROC
        ([-1], [[0.9, 0.9, 0.9]], None),
        ([0], [[0.1, 0.2, 0.3]], None),
    ],
)
def test_step_auroc(labels, scores, expected):
    samples = [_sample(k) for k in labels]
    got = step_auroc(samples, scores)
    assert got == (None if expected is None else pytest.approx(expected))
    if expected is not None:
        assert processbench_metrics(samples, scores, 0.5)["auroc"] == pytest.approx(expected)


def test_best_threshold_balances_sets_and_by_source():
    # set A wants a high threshold (its wrong step scores 0.6), set B a low one (its right solution 0.4)
    a = ([_sample(0), _sample(-1)], [[0.6, 0.9, 0.9], [0.95, 0.95, 0.95]])
    b = ([_sample(1), _sample(-1)], [[0.9, 0.1, 0.9], [0.4, 0.9, 0.9]])
    alone = sweep_thresholds(*a)["threshold"]
    both = best_threshold([a, b])
    assert 0.6 < alone < 0.61
    # one threshold for both: just above 0.1 up to 0.4 gets B right and misses A's error, above 0.6 the reverse (a tie)
    assert 0.1 < both["threshold"] < 0.11 and len(both["sets"]) == 2
    assert both["f1"] == pytest.approx((0.0 + 1.0) / 2)
    mixed = [LabelledSolution(Problem("x", "q", source=src), s.steps, s.labels) for src, s in zip("ab", a[0], strict=True)]
    report = by_source(mixed, a[1], 0.5)
    assert set(report) == {"a", "b", "all"} and report["all"]["erroneous"] == 1 and report["b"]["correct"] == 1


def test_best_no_error_bias_is_chosen_beside_the_threshold_rule():
    # calibrated chances: a long run of slightly doubtful steps (right solution) and a dip above the threshold
    # (the labelled first error at step 2); the threshold rule flags both solutions at step 0
    sets = [([_sample(2), _sample(-1)], [[0.7, 0.7, 0.2], [0.7, 0.7, 0.7]])]
    chosen = best_no_error_bias(sets, 0.75)
    assert chosen["threshold_f1"] == 0.0 and chosen["f1"] == 1.0 and set(chosen["no_error_bias"]) == {"gsm8k"}
    assert all(processbench_metrics(*sets[0], 0.75, chosen["no_error_bias"])[k] == 1.0 for k in ("error_acc", "correct_acc"))
    # a tie keeps the threshold rule: no scores can tell the rules apart here
    assert best_no_error_bias([([_sample(-1)], [[0.99]])], 0.5)["no_error_bias"] is None


def test_best_no_error_bias_routes_each_row_by_its_questions_style():
    """The same scores want the bias on a word problem and the threshold rule on a LaTeX question: each style
    gets its own rule, chosen with the rows routed as at inference."""
    word = LabelledSolution(Problem("w", "Tom has 3 apples."), ("a", "b", "c"), (1.0, 1.0, 1.0))
    latex = LabelledSolution(Problem("m", "Solve $x^2=4$."), ("a", "b", "c"), (0.0, 0.0, 0.0))
    chosen = best_no_error_bias([([word, latex], [[0.7, 0.7, 0.7], [0.7, 0.7, 0.7]])], 0.75)
    assert set(chosen["no_error_bias"]) == {"gsm8k"} and chosen["f1"] == 1.0 and chosen["threshold_f1"] == 0.0


def test_rerank_reads_minos_batch_output(tmp_path):
    """Samples recorded once by `minos batch` rerank later with any verifier."""
    import json

    from minos.core.types import Candidate, Problem, SolveResult, Usage
    from minos.verifier.evaluate import load_rerank

    result = SolveResult(
        problem=Problem("p1", "What is 48 / 2?", "24"),
        answer="24",
        support=1.0,
        strategy="self_consistency",
        candidates=(
            Candidate(("48 / 2 = 24.", "The answer is 24."), "24"),
            Candidate(("48 / 2 = 26.", "The answer is 26."), "26"),
        ),
        usage=Usage(10, 20),
    )
    rows = [result.to_dict(), {**result.to_dict(), "id": "p2", "error": "GeneratorError: down"}]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (row,) = load_rerank(path)  # the failed problem is skipped
    assert row == {"question": "What is 48 / 2?", "answer": "24", "solutions": ["48 / 2 = 24.\n\nThe answer is 24.", "48 / 2 = 26.\n\nThe answer is 26."]}


def test_thresholds_reach_scores_that_crowd_near_zero():
    """A sharp PRM scores everything under 0.01: the fixed grid cannot tell its steps apart, the scores' own
    quantiles can (the first row's wrong step 0.002 against right steps 0.008)."""
    samples = [_sample(1), _sample(-1)]
    scores = [[0.008, 0.002, 0.001], [0.009, 0.007, 0.006]]
    best = sweep_thresholds(samples, scores)
    assert best["f1"] == 1.0 and 0.002 < best["threshold"] <= 0.006
    assert sweep_thresholds(samples, scores, THRESHOLDS)["f1"] == 0.0


def test_pick_among_labelled_reranks_each_problems_own_solutions():
    def row(question, first_error):
        labels = tuple(0.0 if i >= first_error >= 0 else 1.0 for i in range(2))
        return LabelledSolution(Problem("p", question), ("a", "b"), labels)

    rows = [row("q1", -1), row("q1", 0), row("q1", 1), row("q2", -1), row("q2", 1), row("q3", 0), row("q3", 1)]
    scores = [[0.9, 0.8], [0.2, 0.2], [0.9, 0.1], [0.4, 0.4], [0.9, 0.9], [0.5, 0.5], [0.6, 0.6]]
    got = pick_among_labelled(rows, scores)
    # q3 has no right solution: nothing to pick there; q1 picks its right one, q2 a wrong one
    assert got == {"problems": 2, "solutions": 5, "best_of_n": 0.5, "chance": (1 / 3 + 1 / 2) / 2}
    assert pick_among_labelled(rows[5:], scores[5:])["problems"] == 0
