import json
import math
import random

import pytest
from minos.verifier.calibration import (
    CALIBRATION_FILE,
    Calibration,
    Logistic,
    expected_calibration_error,
    fit_logistic,
    logit,
    reliability,
    sigmoid,
    solution_verdicts,
)


@pytest.mark.parametrize(
    ("fit", "score", "status", "expected"),
    [
        (Logistic(), 0.3, None, 0.3),  # the identity map
        (Logistic(scale=2.0), 0.5, None, 0.5),  # log-odds 0 stays 0 whatever the scale
        (Logistic(bias=math.log(3)), 0.5, None, 0.75),
        (Logistic(wrong=-50.0), 0.9, "wrong", 0.0),  # a proved-wrong step sinks
        (Logistic(wrong=-50.0), 0.9, "unknown", 0.9),  # other verdicts untouched
        (Logistic(ok=math.log(3)), 0.5, "ok", 0.75),
        (Logistic(scale=0.5), 1e-9, None, math.sqrt(1e-6) / (1 + math.sqrt(1e-6))),  # clipped at 1e-6, no log(0)
        # a whole solution's verdicts: each weight times its value (a share of steps proved right)
        (Logistic(ok=2 * math.log(3)), 0.5, {"ok": 0.5, "wrong": 0.0}, 0.75),
        (Logistic(wrong=-50.0, ok=5.0), 0.9, {"ok": 1.0, "wrong": 1.0}, 0.0),
    ],
)
def test_logistic_rows(fit, score, status, expected):
    assert fit(score, status) == pytest.approx(expected, abs=1e-6)


def test_nan_stays_nan():
    assert math.isnan(Logistic(scale=3.0)(math.nan))


def test_fit_recovers_a_known_logistic():
    rng = random.Random(0)
    scores, labels, statuses = [], [], []
    for _ in range(4000):
        s = rng.random() * 0.98 + 0.01
        st = rng.choice(["ok", "wrong", "unknown"])
        p = sigmoid(0.5 * logit(s) + 1.0 + {"wrong": -2.0, "ok": 0.7}.get(st, 0.0))
        scores.append(s)
        statuses.append(st)
        labels.append(float(rng.random() < p))
    fit = fit_logistic(scores, labels, statuses)
    assert fit.scale == pytest.approx(0.5, abs=0.1)
    assert fit.bias == pytest.approx(1.0, abs=0.2)
    assert fit.wrong == pytest.approx(-2.0, abs=0.3)
    assert fit.ok == pytest.approx(0.7, abs=0.3)
    plain = fit_logistic(scores, labels)
    assert (plain.wrong, plain.ok) == (0.0, 0.0)


def test_an_integer_weight_fits_as_that_many_copies_of_the_example():
    """`weights` (choose.py weighs each selection file alike with them) count an example w times."""
    rng = random.Random(1)
    scores = [rng.random() * 0.98 + 0.01 for _ in range(300)]
    labels = [float(rng.random() < s) for s in scores]
    counts = [rng.choice([1, 2, 3]) for _ in scores]
    weighted = fit_logistic(scores, labels, weights=counts)
    pairs = [(s, y) for s, y, c in zip(scores, labels, counts, strict=True) for _ in range(c)]
    copied = fit_logistic([s for s, _ in pairs], [y for _, y in pairs])
    plain = fit_logistic(scores, labels)
    assert (weighted.scale, weighted.bias) == pytest.approx((copied.scale, copied.bias), abs=1e-6)
    assert (weighted.scale, weighted.bias) != pytest.approx((plain.scale, plain.bias), abs=1e-3)


def test_fit_recovers_a_known_solution_logistic():
    """The solution reading: verdict features are a 0/1 flag and a share, fitted by the same Newton steps."""
    rng = random.Random(2)
    scores, labels, verdicts = [], [], []
    for _ in range(4000):
        s = rng.random() * 0.98 + 0.01
        v = {"wrong": float(rng.random() < 0.3), "ok": rng.random(), "given": rng.choice([0.5, 0.75, 1.0])}
        p = sigmoid(0.8 * logit(s) - 2.0 - 1.5 * v["wrong"] + 1.2 * v["ok"] + 2.0 * v["given"])
        scores.append(s)
        verdicts.append(v)
        labels.append(float(rng.random() < p))
    fit = fit_logistic(scores, labels, verdicts)
    assert fit.scale == pytest.approx(0.8, abs=0.1)
    assert fit.wrong == pytest.approx(-1.5, abs=0.3)
    assert fit.ok == pytest.approx(1.2, abs=0.3)
    assert fit.given == pytest.approx(2.0, abs=0.6)


@pytest.mark.parametrize(
    ("statuses", "given", "verdicts"),
    [
        (["ok", "ok", "unknown", "ok"], 1.0, {"wrong": 0.0, "ok": 0.75, "given": 1.0}),
        (["ok", "wrong"], 0.5, {"wrong": 1.0, "ok": 0.5, "given": 0.5}),
        ([], 0.0, {"wrong": 0.0, "ok": 0.0, "given": 0.0}),
    ],
)
def test_solution_verdict_rows(statuses, given, verdicts):
    assert solution_verdicts(statuses, given) == verdicts


def test_solution_score_reads_the_aggregated_hybrid_steps_and_the_verdicts():
    cal = Calibration(Logistic(), Logistic(), Logistic(), solution=Logistic(1.0, 0.0, -2.0, 1.0, 3.0), solution_aggregation="min")
    assert cal.solution_score([0.9, 0.5], ["ok", "ok"], 0.0) == pytest.approx(sigmoid(0.0 + 1.0))
    assert cal.solution_score([0.9, 0.5], ["ok", "wrong"], 0.0) == pytest.approx(sigmoid(-2.0 + 0.5))
    assert cal.solution_score([0.9, 0.5], ["ok", "ok"], 0.5) == pytest.approx(sigmoid(1.0 + 1.5))
    assert cal.solution_score([], []) is None
    assert Calibration(Logistic(), Logistic(), Logistic()).solution_score([0.9], ["ok"]) is None


def test_fit_of_overconfident_scores_lowers_the_ece():
    """Scores pushed to 0 and 1 (a sharp PRM) whose truth is milder: the fit brings them back."""
    rng = random.Random(1)
    true = [rng.random() for _ in range(3000)]
    labels = [float(rng.random() < p) for p in true]
    sharp = [sigmoid(4 * logit(p)) for p in true]
    fit = fit_logistic(sharp, labels)
    before = expected_calibration_error(sharp, labels)
    after = expected_calibration_error([fit(s) for s in sharp], labels)
    assert fit.scale == pytest.approx(0.25, abs=0.05)
    assert after < before / 2


@pytest.mark.parametrize(
    ("probs", "labels", "ece"),
    [
        ([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 0], 0.1),
        ([0.5, 0.5], [1, 0], 0.0),
        ([1.0, 0.0], [0, 1], 1.0),  # p = 1.0 falls in the top bin, not out of range
        ([], [], 0.0),
    ],
)
def test_ece_rows(probs, labels, ece):
    assert expected_calibration_error(probs, labels) == pytest.approx(ece)


def test_reliability_bins():
    rows = reliability([0.05, 0.15, 0.12, 0.95], [0, 1, 0, 1])
    assert [(r["bin"], r["count"]) for r in rows] == [(0, 1), (1, 2), (9, 1)]
    assert rows[1]["observed"] == pytest.approx(0.5)


def test_round_trip_and_vote_confidence(tmp_path):
    cal = Calibration(Logistic(0.5, 1.0), Logistic(0.4, 0.9, -3.0, 0.5), Logistic(2.0, -0.5), vote_aggregation="last",
                      solution=Logistic(1.0, 0.2, -1.0, 0.5), fitted_on="test")
    cal.save(tmp_path)
    again = Calibration.load(tmp_path)
    assert again == cal
    assert again.vote_confidence(0.5, "weighted_vote", "last") == pytest.approx(sigmoid(-0.5))
    assert again.vote_confidence(1.0, "weighted_vote", "last") < 1.0  # a unanimous vote is not certainty
    assert again.vote_confidence(0.5, "self_consistency", "last") is None
    assert again.vote_confidence(0.5, "weighted_vote", "min") is None  # fitted on another weighting
    assert Calibration.load(tmp_path / "missing") is None


def test_a_broken_file_names_itself(tmp_path):
    (tmp_path / CALIBRATION_FILE).write_text(json.dumps({"prm": {"slope": 1}}))
    with pytest.raises(ValueError, match=CALIBRATION_FILE):
        Calibration.load(tmp_path)
