"""Error injection (the CriticGPT idea, made exact): put one error with a known place and type into a
correct GSM8K reference solution, and follow the wrong value through the later steps.

Types (Math-Minos): calculation (a wrong result), logical (a wrong operation), irrelevant (a step that
does not belong), accumulation (a later step that inherits a wrong value), other.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

from minos.core.answers import extract_answer
from minos.core.steps import CALC_ANNOTATION, split_steps
from minos.core.types import LabelledSolution, Problem
from minos.verifier.symbolic import check_step

ERROR_TYPES = ("irrelevant", "accumulation", "calculation", "logical", "other")
_SWAP = {"+": "-", "-": "+", "*": "/", "/": "*"}
_IRRELEVANT = [
    "Note that {a} + {b} = {c}, which is not needed here.",
    "The weather that day was sunny, so {a} * 2 = {d}.",
]


def _fmt(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}".rstrip("0").rstrip(".")


def _eval(expr: str) -> Fraction | None:
    if not re.fullmatch(r"[\d\s.+\-*/()]+", expr):
        return None
    try:
        tokens = re.sub(r"(\d+(?:\.\d+)?)", r"Fraction('\1')", expr)
        return eval(tokens, {"Fraction": Fraction, "__builtins__": {}})  # noqa: S307 - digits and operators only
    except (ZeroDivisionError, SyntaxError):
        return None


_OP_WORDS = {"*": r"(?:\*|x|X|×)", "/": r"(?:/|÷)", "+": r"\+", "-": r"(?:-|−)"}


def _prose_pattern(expr: str) -> str:
    """A regex for `expr` as prose writes it: any spacing, `x` or `×` for `*`, `÷` for `/`."""
    parts = [p for p in re.split(r"\s*([-+*/])\s*", expr.strip()) if p]
    return r"\s*".join(_OP_WORDS.get(p) or rf"(?<![\d.]){re.escape(p)}(?![\d])" for p in parts)


def _spaced(expr: str) -> str:
    return re.sub(r"\s*([-+*/])\s*", r" \1 ", expr.strip())


def _replace_number(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![\d.]){re.escape(old)}(?![\d]|\.\d)", new, text)


def _propagate(steps: list[str], start: int, old: str, new: str, labels: list[float], types: list[str]) -> None:
    """Carry a changed value into later steps: each step that uses it is recomputed and marked accumulation."""
    changed = {old: new}
    for j in range(start + 1, len(steps)):
        step = steps[j]
        touched = False
        for expr, result in CALC_ANNOTATION.findall(step):
            new_expr = expr
            for o, n in changed.items():
                new_expr = _replace_number(new_expr, o, n)
            if new_expr != expr:
                value = _eval(new_expr)
                if value is None:
                    continue
                new_result = _fmt(value)
                step = step.replace(f"<<{expr}={result}>>", f"<<{new_expr}={new_result}>>")
                step = _replace_number(step, result, new_result)
                step = step.replace(expr.replace(" ", ""), new_expr.replace(" ", "")) if expr in step else step
                changed[result] = new_result
                touched = True
        if step.lstrip().startswith("####") or "####" in step:
            for o, n in changed.items():
                step = re.sub(rf"####\s*{re.escape(o)}\s*$", f"#### {n}", step)
            touched = touched or step != steps[j]
        if touched and step != steps[j]:
            # the text before the computation also restates inputs: replace them where they appear
            for o, n in changed.items():
                step = step.replace(f" {o} ", f" {n} ")
            steps[j] = step
            labels[j] = 0.0
            types[j] = "accumulation"


def inject_error(problem: Problem, solution: str, kind: str, rng: random.Random) -> LabelledSolution | None:
    """One injected solution of type `kind` (calculation, logical or irrelevant), or None if this
    solution offers no place for it."""
    steps = split_steps(solution)
    labels, types = [1.0] * len(steps), [""] * len(steps)
    reference = extract_answer(solution)
    annotated = [i for i, s in enumerate(steps) if CALC_ANNOTATION.search(s)]
    if kind == "irrelevant":
        i = rng.randrange(len(steps))
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        template = rng.choice(_IRRELEVANT)
        steps.insert(i, template.format(a=a, b=b, c=a + b, d=2 * a))
        labels.insert(i, 0.0)
        types.insert(i, "irrelevant")
        reason = "this step has nothing to do with the question"
        critique_target = i
    elif kind in ("calculation", "logical"):
        rng.shuffle(annotated)
        for i in annotated:
            expr, result = CALC_ANNOTATION.findall(steps[i])[0]
            if kind == "calculation":
                value = _eval(expr)
                if value is None:
                    continue
                wrong = value + rng.choice([-3, -2, -1, 1, 2, 3, 10])
                if wrong == value or wrong < 0:
                    continue
                new_expr = expr
            else:
                ops = [m.start() for m in re.finditer(r"[-+*/]", expr)]
                if not ops:
                    continue
                at = rng.choice(ops)
                new_expr = expr[:at] + _SWAP[expr[at]] + expr[at + 1 :]
                wrong = _eval(new_expr)
                # the wrong value must print exactly (0.2/50 = 0.004 would print as "0")
                if wrong is None or wrong < 0 or wrong == _eval(expr) or _eval(_fmt(wrong)) != wrong:
                    continue
            trial, trial_labels, trial_types = list(steps), list(labels), list(types)
            new_result = _fmt(wrong)
            step = trial[i].replace(f"<<{expr}={result}>>", f"<<{new_expr}={new_result}>>")
            step = _replace_number(step.split("<<")[0], result, new_result) + ("<<" + step.split("<<", 1)[1] if "<<" in step else "")
            if kind == "logical":  # the prose must state the same wrong operation ("12 x 2" -> "12 / 2")
                prose, sep, rest = step.partition("<<")
                step = re.sub(_prose_pattern(expr), _spaced(new_expr), prose, count=1) + sep + rest
            after = step.split(">>", 1)
            if len(after) == 2:
                step = after[0] + ">>" + _replace_number(after[1], result, new_result)
            if kind == "logical" and check_step(step).status == "wrong":
                continue  # prose we could not rewrite still states the old operation: not a clean logical error
            trial[i], trial_labels[i], trial_types[i] = step, 0.0, kind
            _propagate(trial, i, result, new_result, trial_labels, trial_types)
            answer = extract_answer("\n".join(trial))
            if answer is None or answer == reference:
                continue  # the error must reach the final answer
            steps, labels, types = trial, trial_labels, trial_types
            reason = (
                f"{expr} is {_fmt(_eval(expr))}, not {new_result}" if kind == "calculation"
                else f"it computes {new_expr} where the problem calls for {expr}"
            )
            critique_target = i
            break
        else:
            return None
    else:
        raise ValueError(f"unknown injected error type {kind!r}: use calculation, logical or irrelevant")
    answer = extract_answer("\n".join(steps))
    critique = write_critique(steps, labels, types, {critique_target: reason})
    return LabelledSolution(
        problem=problem, steps=tuple(steps), labels=tuple(labels), answer=answer, error_types=tuple(types),
        critique=critique, meta={"injected": kind, "reference_answer": reference},
    )


def write_critique(steps, labels, types, reasons: dict[int, str]) -> str:
    """A step-by-step critique from templates, ending in a verdict."""
    lines = []
    first_wrong = None
    for i, (label, kind) in enumerate(zip(labels, types, strict=True)):
        if label >= 0.5:
            lines.append(f"Step {i + 1}: correct.")
            continue
        first_wrong = i if first_wrong is None else first_wrong
        if kind == "accumulation":
            lines.append(f"Step {i + 1}: incorrect (accumulation): it builds on the wrong value from step {first_wrong + 1}.")
        else:
            because = reasons.get(i, "it does not follow from the steps before it")
            lines.append(f"Step {i + 1}: incorrect ({kind or 'other'}): {because}.")
    verdict = "correct" if first_wrong is None else f"incorrect; the first error is in step {first_wrong + 1}"
    return "\n".join(lines + [f"Verdict: the solution is {verdict}."])


def correct_row(problem: Problem, solution: str) -> LabelledSolution:
    """The reference solution itself, every step labelled right: the positive examples an ORM needs and
    the correct half of a ProcessBench-style evaluation."""
    steps = split_steps(solution)
    labels, types = [1.0] * len(steps), [""] * len(steps)
    reference = extract_answer(solution)
    return LabelledSolution(
        problem=problem, steps=tuple(steps), labels=tuple(labels), answer=reference, error_types=tuple(types),
        critique=write_critique(steps, labels, types, {}), meta={"injected": "none", "reference_answer": reference},
    )


def inject_dataset(problems_and_solutions, kinds=("calculation", "logical", "irrelevant"), seed: int = 0, *, keep_correct: bool = True):
    """One injected row per (problem, kind) where possible, and with `keep_correct` the untouched reference
    first; deterministic for a seed."""
    rng = random.Random(seed)
    for problem, solution in problems_and_solutions:
        if keep_correct:
            yield correct_row(problem, solution)
        for kind in kinds:
            row = inject_error(problem, solution, kind, rng)
            if row is not None:
                yield row
