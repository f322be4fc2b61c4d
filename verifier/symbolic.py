"""Symbolic step checker: re-computes the arithmetic a step asserts.

Checked: GSM8K calculator annotations `<<48/2=24>>`, inline arithmetic `48 / 2 = 24` (with `$`, `%`,
thousands separators, `x`/`×`/`÷`), and `$...$` / `\\(...\\)` LaTeX equations whose sides are numbers.
The checker is conservative: a claim it cannot read is "unknown", never "wrong"; rounded results are
accepted to the precision they are written with. A wrong step carries the reason ("48/2 = 24, not 26").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import sympy
from minos.core.steps import CALC_ANNOTATION
from minos.core.worker import DeadlineWorker
from minos.verifier.base import Assessment, BaseVerifier

Status = Literal["ok", "wrong", "unknown"]


@dataclass(frozen=True)
class StepCheck:
    status: Status
    reason: str = ""


# Possessive quantifiers (`*+`, `?+`, `++`) never give back what they matched, so the scan stays linear: with
# plain ones, the optional spaces and brackets around each operand of a 20-term chain backtracked for minutes.
_NUM = r"\$?+\d[\d,]*+(?:\.\d+)?+%?+"
_OPS = "-+*/×÷–−"  # with the en dash and the minus sign that real text uses for "-"
_OP = rf"(?:[{_OPS}]|(?<=\s)[xX](?=\s))"
_EXPR = rf"\(?+\s*+{_NUM}\s*+\)?+(?:\s*+{_OP}\s*+\(?+\s*+{_NUM}\s*+\)?+)++"
_INLINE = re.compile(rf"(?<![\w.^*/+\-$])({_EXPR})\s*+=\s*+(-?{_NUM})(?![\w^*/(]|[.,]\d)")
# an expression longer than this, or with a power, is not everyday arithmetic: read as unknown, never
# handed to sympy (`9**9**9**9` would run for ever)
_MAX_EXPR = 200
# display $$...$$ (first, so its dollars never pair with an inline one), inline $...$ / \(...\), display
# \[...\]; lazy, unnested bodies keep the scan linear
MATH_SEGMENT = re.compile(r"\$\$(.+?)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_SAFE = re.compile(r"^[\d\s.+\-*/()]+$")
_PLAIN = str.maketrans({",": None, "$": None, "×": "*", "÷": "/", "–": "-", "−": "-"})


_QUANTITY = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")


def _quantities(text: str) -> set[Fraction]:
    return {Fraction(m.group().replace(",", "")) for m in _QUANTITY.finditer(text)}


def given_used(question: str, steps) -> float:
    """The share of the quantities the question states (its numbers) that the solution's steps use; 1.0 when
    it states none. A solution that leaves a given number unused has often misread the problem (a GSM8K
    problem uses what it gives): a feature of the solution reading, weighed by the fit
    (`minos.verifier.calibration`)."""
    given = _quantities(question)
    if not given:
        return 1.0
    return len(given & _quantities("\n".join(steps))) / len(given)


def arithmetic_value(expr: str) -> Fraction | None:
    """Exact value of a plain arithmetic expression, or None when it is not one."""
    if len(expr) > _MAX_EXPR:
        return None
    text = expr.translate(_PLAIN)
    text = re.sub(r"\s[xX]\s", " * ", text)
    text = re.sub(r"(\d+(?:\.\d+)?)%", r"(\1/100)", text)
    if not _SAFE.match(text) or not re.search(r"\d", text) or "**" in text:
        return None
    try:
        value = sympy.sympify(text, rational=True)
    except Exception:  # sympify raises many kinds on odd text (SyntaxError, TypeError, TokenError, ...)
        return None
    # "4 * ()" (a `\text{...}` removed from inside brackets) parses to a tuple, not a number
    if not isinstance(value, sympy.Basic) or not value.is_Rational:
        return None
    return Fraction(int(value.p), int(value.q))


def _decimals(text: str) -> int:
    match = re.search(r"\.(\d+)", text.replace(",", ""))
    return len(match.group(1)) if match else 0


def _compare(lhs: str, rhs: str, shown_as: tuple[str, str] | None = None) -> StepCheck:
    left, right = arithmetic_value(lhs), arithmetic_value(rhs)
    if left is None or right is None:
        return StepCheck("unknown")
    if left == right:
        return StepCheck("ok")
    if ("%" in lhs) != ("%" in rhs) and (left == right * 100 or left * 100 == right):
        return StepCheck("ok")  # "18 / 450 x 100 = 4%", "$7500/75% = $100": percent points on one side
    # "10/3 = 3.33": a result written with k decimals is right if it is the value rounded to k decimals
    tolerance = Fraction(1, 2 * 10 ** _decimals(rhs)) if _decimals(rhs) else Fraction(0)
    if tolerance and abs(left - right) <= tolerance:
        return StepCheck("ok")
    lhs, rhs = shown_as or (lhs, rhs)
    return StepCheck("wrong", f"{lhs.strip()} = {_show(left)}, not {rhs.strip()}")


def _show(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    return f"{as_float:.6g}" if abs(as_float) < 1e15 else str(value)


def _latex_claims(step: str) -> list[tuple[str, str, tuple[str, str]]]:
    claims = []
    for match in MATH_SEGMENT.finditer(step):
        body = next(g for g in match.groups() if g is not None).strip()
        sides = [s.strip() for s in body.split("=")]
        if len(sides) < 2 or any(not s for s in sides):
            continue
        plain = [_latex_to_plain(s) for s in sides]
        # each adjacent pair of plain-number sides is a claim: "A+B+C=3+3+2=10" claims 3+3+2 = 10
        claims += [
            (plain[i], plain[i + 1], (sides[i], sides[i + 1]))
            for i in range(len(plain) - 1)
            if plain[i] is not None and plain[i + 1] is not None and re.search(r"[-+*/]", plain[i])
        ]
    return claims


def _latex_to_plain(side: str) -> str | None:
    side = re.sub(r"\\boxed\s*\{([^{}]*)\}", r"\1", side).strip().rstrip(".,;")
    # units and words in an equation (`16 \\text{ eggs} - 3 \\text{ eggs}`) are not part of the arithmetic
    side = re.sub(r"\\(?:text|mbox|mathrm)\s*\{[^{}]*\}", " ", side).strip()
    text = side.replace("\\times", "*").replace("\\cdot", "*").replace("\\div", "/")
    text = text.replace("\\left", "").replace("\\right", "").replace("\\!", "").replace("{,}", ",")
    text = text.replace("\\$", "$").replace("\\%", "%")
    for _ in range(3):
        text = re.sub(r"\\[dt]?frac\s*\{([^{}]+)\}\s*\{([^{}]+)\}", r"((\1)/(\2))", text)
    text = text.replace("{", "(").replace("}", ")")
    return text if re.fullmatch(r"[\d\s.,+\-*/()$%]+", text) else None


def latex_value(side: str) -> Fraction | None:
    """Exact value of a LaTeX side that is plain arithmetic (`10 \\cdot 19`, `\\frac{3}{4}`), else None."""
    plain = _latex_to_plain(side)
    return arithmetic_value(plain) if plain is not None else None


_OPERAND_BEFORE = re.compile(rf"(?:\d|\)|:|,|[{_OPS}]|\s[xX])\s*$")
_OPERAND_AFTER = re.compile(rf"\s*(?:[{_OPS}]|[xX]\s)\s*[\w($]|\s+\d|\s+and\s+\(?\$?\d+\s*/\s*\d")
_MIXED_BEFORE = re.compile(r"\d\s+and\s*$")  # "12 x 1 and 1/4": the 1/4 is half of a mixed number
# "50/ 1/2": whether the writer means 50/(1/2) or (50/1)/2 cannot be told
_DIVIDED_BY_FRACTION = re.compile(r"/\s*\d+(?:\.\d+)?\s*/")
_CENTS = re.compile(r"\s*cents?\b")


def _partial(before: str, expr: str, after: str) -> bool:
    """True when the matched `a op b = c` is only part of what the text says: an operand or operator
    just before it ("9 hours * 2/3 = 6", "3 1/2 - 2", "$350 000 + ..."), or a result that goes on
    ("= 3 1/2", "= 5 and 2/3", "= 4 * 12 = 48"). Such a claim is read as unknown, never as wrong."""
    return bool(
        _OPERAND_BEFORE.search(before)
        or _OPERAND_AFTER.match(after)
        or (_MIXED_BEFORE.search(before) and re.match(r"\d+\s*/\s*\d", expr))
        or _DIVIDED_BY_FRACTION.search(expr)
    )


def check_step(step: str) -> StepCheck:
    """Verdict on the arithmetic a step asserts: ok, wrong (with the reason) or unknown."""
    verdicts: list[StepCheck] = []
    for expr, result in CALC_ANNOTATION.findall(step):
        verdicts.append(_compare(expr, result))
    plain = CALC_ANNOTATION.sub(" ", step)
    # `$` is both currency and LaTeX: read inline arithmetic on the raw text, LaTeX claims on top
    for match in _INLINE.finditer(plain):
        expr, result = match.groups()
        after = plain[match.end() :]
        before = plain[: match.start()]
        if _partial(before, expr, after):
            continue
        verdict = _compare(expr, result)
        if verdict.status == "wrong" and "$" in expr and _CENTS.match(after):  # "$1 / 2 = 50 cents"
            verdict = _compare(expr, f"({result})/100", (expr, result))
        verdicts.append(verdict)
    for expr, result, shown in _latex_claims(plain):
        verdicts.append(_compare(expr, result, shown))
    wrong = [v for v in verdicts if v.status == "wrong"]
    if wrong:
        return StepCheck("wrong", "; ".join(dict.fromkeys(v.reason for v in wrong)))
    if any(v.status == "ok" for v in verdicts):
        return StepCheck("ok")
    return StepCheck("unknown")


SCORES: dict[Status, float] = {"ok": 1.0, "unknown": 0.5, "wrong": 0.0}


# The checker's patterns are linear and its inputs capped, but a verifier in the loop must be bounded on
# ANY text: checks run in a worker process, and a step still running after this many seconds is unknown.
STEP_TIMEOUT_S = 2.0
_checker = DeadlineWorker()


def _status(step: str) -> Status:
    """`check_step(step).status`, and "unknown" when the check itself fails: a checker's bug on one odd step
    must never end a solve, a batch or an evaluation."""
    try:
        return check_step(step).status
    except Exception:
        return "unknown"


def _statuses(steps: list[str]) -> list[Status]:
    return [_status(step) for step in steps]


def bounded_statuses(steps: list[str], timeout: float = STEP_TIMEOUT_S, *, check=_statuses) -> list[Status]:
    """`check_step(s).status` for each step, each with a hard time limit (past it: "unknown")."""
    if not steps:
        return []
    together = _checker.run(check, list(steps), timeout=timeout * len(steps), default=None)
    if together is not None:
        return together
    # something ran away: find it, step by step, and read only that one as unknown
    return [_checker.run(check, [step], timeout=timeout, default=["unknown"])[0] for step in steps]


class SymbolicVerifier(BaseVerifier):
    """Scores each step 1 (arithmetic checks out), 0.5 (nothing it can check) or 0 (proved wrong)."""

    name = "symbolic"

    def score(self, question: str, solutions) -> list[list[float]]:
        return [[SCORES[status] for status in bounded_statuses(list(steps))] for steps in solutions]


class HybridVerifier(BaseVerifier):
    """Neural step scores combined with the symbolic checker's verdicts: by the checkpoint's fitted
    calibration where it has one (the PRM's log-odds plus a weight for "proved wrong" and one for "proved
    right", fitted on natural selection rows), else by the fixed rule that a step proved wrong scores 0.
    A calibration with a solution fit also gives each solution the chance that it is right
    (`Calibration.solution_score`)."""

    def __init__(self, neural) -> None:
        self.neural = neural
        self.name = f"hybrid:{neural.name}"
        self.calibration = getattr(neural, "calibration", None)
        own = neural.scheme.hybrid_threshold  # chosen on dev with this reading, where stored
        self.threshold = own if own is not None else neural.threshold
        self.no_error_bias = neural.scheme.hybrid_no_error_bias if self.calibration is not None else None

    def confidence(self, support: float, strategy: str, aggregation: str) -> float | None:
        return self.neural.confidence(support, strategy, aggregation)

    def score_batch(self, items) -> list[list[float]]:
        return [list(a.steps) for a in self.assess_batch(items)]

    def assess_batch(self, items) -> list[Assessment]:
        fitted = self.calibration
        scores = self.neural.raw_batch(items) if fitted else self.neural.score_batch(items)
        out = []
        for (question, steps), row in zip(items, scores, strict=True):
            statuses = bounded_statuses(list(steps))
            if fitted:
                hybrid = [fitted.hybrid(s, st) for s, st in zip(row, statuses, strict=True)]
                out.append(Assessment(tuple(hybrid), fitted.solution_score(hybrid, statuses, given_used(question, steps))))
            elif len(row) == 1 and len(steps) > 1:  # ORM: one score per solution; a provably wrong step sinks it
                out.append(Assessment((0.0 if "wrong" in statuses else row[0],)))
            else:
                out.append(Assessment(tuple(0.0 if st == "wrong" else s for st, s in zip(statuses, row, strict=True))))
        return out
