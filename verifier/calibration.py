"""Calibrated verifier scores: a step's score is the chance that it is right, and a vote's confidence the
chance that its pick is right.

A PRM trained with weighted labels on a CPU budget gives sharp, uncalibrated scores (its dev threshold was
0.0002). A logistic fit on labelled selection rows maps them back to probabilities: over the PRM's log-odds
for the PRM reading, and over the log-odds plus the symbolic checker's verdict (proved wrong / proved right /
unknown) for the hybrid reading, which replaces the fixed "zero a proved-wrong step" rule with fitted
weights. The fit is stored beside the checkpoint (`minos_calibration.json`) and applied at load, so every
command reads probabilities. The vote's `confidence` is a second fit, of whether a weighted vote's pick was
right against its support, on recorded solutions (`rerank/gsm8k_gpt3.jsonl`'s selection half).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

CALIBRATION_FILE = "minos_calibration.json"
_EPS = 1e-6
# what the symbolic checker adds, each with a weight of its own: a step's verdict "wrong" or "ok" ("unknown" is
# the baseline); for a whole solution, whether any step is wrong, the share of steps proved right, and the
# share of the question's quantities the solution uses ("given")
FEATURES = ("wrong", "ok", "given")
Verdicts = str | Mapping[str, float] | None


def logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


@dataclass(frozen=True)
class Logistic:
    """p = sigmoid(scale * logit(score) + bias + the weight of the symbolic verdict, if any; for a mapping of
    verdicts, each weight times its value)."""

    scale: float = 1.0
    bias: float = 0.0
    wrong: float = 0.0  # added where the symbolic checker proves the step wrong
    ok: float = 0.0  # added where it proves the step's arithmetic right
    given: float = 0.0  # solutions: times the share of the question's quantities the solution uses

    def __call__(self, score: float, status: Verdicts = None) -> float:
        if score != score:  # NaN: a step cut off unread stays unread
            return score
        wrong, ok, given = _indicators(status)
        return sigmoid(self.scale * logit(score) + self.bias + self.wrong * wrong + self.ok * ok + self.given * given)


def _indicators(status: Verdicts) -> tuple[float, ...]:
    """The checker's features, in `FEATURES` order: 0/1 for one step's verdict, the values of a mapping."""
    if isinstance(status, Mapping):
        return tuple(float(status.get(name, 0.0)) for name in FEATURES)
    return tuple(1.0 if status == name else 0.0 for name in FEATURES)


def solution_verdicts(statuses: Sequence[str], given: float = 1.0) -> dict[str, float]:
    """A whole solution's checker features: whether it proved any step wrong, the share of the steps it proved
    right, and `given`, the share of the question's quantities the solution uses
    (`minos.verifier.symbolic.given_used`)."""
    ok = statuses.count("ok") / len(statuses) if statuses else 0.0
    return {"wrong": float("wrong" in statuses), "ok": ok, "given": given}


@dataclass(frozen=True)
class Calibration:
    """The fits stored with a checkpoint: the PRM reading, the hybrid reading, the solution reading, and the
    vote's confidence."""

    prm: Logistic
    hybrid: Logistic
    confidence: Logistic
    vote: str = "weighted_vote"  # the strategy whose support `confidence` was fitted on
    vote_aggregation: str = "auto"  # and the aggregation that weighted its votes
    solution: Logistic | None = None  # p(solution right) from its aggregated hybrid steps and checker features
    solution_aggregation: str = "min"  # the aggregation of hybrid step scores that `solution` reads
    fitted_on: str = ""  # what the fits were chosen on, for the record

    def vote_confidence(self, support: float, strategy: str, aggregation: str) -> float | None:
        """The chance that a vote's pick is right, from its support; None for a vote it was not fitted on."""
        if (strategy, aggregation) != (self.vote, self.vote_aggregation):
            return None
        return self.confidence(min(max(support, 1e-4), 1 - 1e-4))

    def solution_score(self, hybrid_steps: Sequence[float], statuses: Sequence[str], given: float = 1.0) -> float | None:
        """The chance that a whole solution is right (None without a solution fit), from its calibrated
        hybrid step scores, the checker's verdicts on them and the share of given quantities it uses."""
        from minos.core.votes import aggregate

        if self.solution is None or not hybrid_steps:
            return None
        return self.solution(aggregate(hybrid_steps, self.solution_aggregation), solution_verdicts(statuses, given))

    def save(self, directory: str | Path) -> None:
        Path(directory, CALIBRATION_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> Calibration | None:
        path = Path(directory, CALIBRATION_FILE)
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        try:
            return cls(**{k: Logistic(**v) if isinstance(v, dict) else v for k, v in data.items()})
        except TypeError as exc:
            raise ValueError(f"{path}: not a calibration file ({exc})") from None


def fit_logistic(scores: Sequence[float], labels: Sequence[float], statuses: Sequence[Verdicts] | None = None,
                 l2: float = 1e-3, weights: Sequence[float] | None = None) -> Logistic:
    """The maximum-likelihood `Logistic` (Newton's method, a small L2 penalty so a verdict never seen wrong
    keeps a finite weight). Features: the score's log-odds, a bias, and with `statuses` one feature per
    symbolic verdict (as `Logistic` reads them). `weights`: one per example (e.g. so that each selection
    file counts the same however many steps it has); all 1 by default."""
    import numpy as np

    columns = [[logit(s) for s in scores], [1.0] * len(scores)]
    if statuses is not None:
        columns += [list(feature) for feature in zip(*(_indicators(st) for st in statuses), strict=True)]
    x, y = np.array(columns, dtype=float).T, np.array(labels, dtype=float)
    c = np.ones(len(y)) if weights is None else np.array(weights, dtype=float)

    def loss(w):
        z = x @ w
        return float(np.sum(c * (np.logaddexp(0, z) - y * z)) + 0.5 * l2 * w @ w)

    w = np.zeros(x.shape[1])
    w[0] = 1.0
    for _ in range(200):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (c * (p - y)) + l2 * w
        hess = (x * (c * p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        # saturated scores (a sharp PRM's 1e-6 and 1 - 1e-6) make the plain Newton step overshoot: halve it
        # until the loss goes down
        t, before = 1.0, loss(w)
        while loss(w - t * step) > before and t > 1e-6:
            t /= 2
        w -= t * step
        if np.abs(t * step).max() < 1e-9:
            break
    named = {"scale": w[0], "bias": w[1]} | (dict(zip(FEATURES, w[2:], strict=True)) if statuses is not None else {})
    return Logistic(**{k: float(v) for k, v in named.items()})


def expected_calibration_error(probs: Sequence[float], labels: Sequence[float], bins: int = 10) -> float:
    """ECE: the mean gap between the predicted chance and the observed rate, over equal-width bins, weighted
    by how many predictions fall in each."""
    totals = [[0, 0.0, 0.0] for _ in range(bins)]
    for p, y in zip(probs, labels, strict=True):
        cell = totals[min(int(p * bins), bins - 1)]
        cell[0] += 1
        cell[1] += p
        cell[2] += y
    n = sum(c[0] for c in totals)
    return sum(abs(c[1] - c[2]) for c in totals if c[0]) / n if n else 0.0


def reliability(probs: Sequence[float], labels: Sequence[float], bins: int = 10) -> list[dict]:
    """Per bin: the mean predicted chance, the observed rate and the count (the calibration curve)."""
    rows = []
    for b in range(bins):
        inside = [(p, y) for p, y in zip(probs, labels, strict=True) if min(int(p * bins), bins - 1) == b]
        if inside:
            rows.append({"bin": b, "predicted": sum(p for p, _ in inside) / len(inside),
                         "observed": sum(y for _, y in inside) / len(inside), "count": len(inside)})
    return rows
