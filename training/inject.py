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
from minos.verifier.symbolic import MATH_SEGMENT, arithmetic_value, check_step, latex_value

ERROR_TYPES = ("irrelevant", "accumulation", "calculation", "logical", "other")
_SWAP = {"+": "-", "-": "+", "*": "/", "/": "*"}
_POOL = 2000  # earlier problems' steps kept to draw irrelevant steps from
_IRRELEVANT = [
    "Note that {a} + {b} = {c}, which is not needed here.",
    "The weather that day was sunny, so {a} * 2 = {d}.",
]


def _fmt(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}".rstrip("0").rstrip(".")


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
                value = arithmetic_value(new_expr)
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


def inject_error(
    problem: Problem, solution: str, kind: str, rng: random.Random, *, steps: list[str] | None = None,
    distractor: str | None = None,
) -> LabelledSolution | None:
    """One injected solution of type `kind` (calculation, logical or irrelevant), or None if this
    solution offers no place for it. `steps`: the solution already cut into steps. `distractor`: the
    irrelevant step to insert (a step of another problem's solution; without one, a templated step)."""
    steps = list(steps) if steps is not None else split_steps(solution)
    labels, types = [1.0] * len(steps), [""] * len(steps)
    reference = extract_answer(solution)
    annotated = [i for i, s in enumerate(steps) if CALC_ANNOTATION.search(s)]
    if kind == "irrelevant":
        i = rng.randrange(len(steps))
        if distractor is None:
            a, b = rng.randint(2, 9), rng.randint(2, 9)
            distractor = rng.choice(_IRRELEVANT).format(a=a, b=b, c=a + b, d=2 * a)
        steps.insert(i, distractor)
        labels.insert(i, 0.0)
        types.insert(i, "irrelevant")
        reason = "this step has nothing to do with the question"
        critique_target = i
    elif kind in ("calculation", "logical"):
        rng.shuffle(annotated)
        for i in annotated:
            expr, result = CALC_ANNOTATION.findall(steps[i])[0]
            if kind == "calculation":
                value = arithmetic_value(expr)
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
                wrong = arithmetic_value(new_expr)
                # the wrong value must print exactly (0.2/50 = 0.004 would print as "0")
                if wrong is None or wrong < 0 or wrong == arithmetic_value(expr) or arithmetic_value(_fmt(wrong)) != wrong:
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
                f"{expr} is {_fmt(arithmetic_value(expr))}, not {new_result}" if kind == "calculation"
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
    steps = _steps_of(solution)
    labels, types = [1.0] * len(steps), [""] * len(steps)
    reference = extract_answer(solution)
    return LabelledSolution(
        problem=problem, steps=tuple(steps), labels=tuple(labels), answer=reference, error_types=tuple(types),
        critique=write_critique(steps, labels, types, {}), meta={"injected": "none", "reference_answer": reference},
    )


# ---------------------------------------------------------------- LaTeX solutions (MATH)

_NUMBER_TEXT = re.compile(r"^\s*(\\boxed\{)?\s*(-?\d+(?:\.\d+)?)\s*(\})?\s*[.,]?\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|(?<=\\\])\s*(?=[A-Z])|\n+")
_LATEX_SWAPS = [("+", "-"), ("-", "+"), ("\\cdot", "+"), ("\\times", "+")]


def latex_steps(solution: str) -> list[str]:
    """A MATH reference cut into sentences (never inside math): MATH writes a solution as one or two
    paragraphs, and a PRM learns from steps, not from one step per solution."""
    pieces, current = [], ""
    position = 0
    for match in _SENTENCE_END.finditer(solution):
        current += solution[position : match.start()]
        position = match.end()
        if _balanced(current):
            if current.strip():
                pieces.append(current.strip())
            current = ""
        else:
            current += match.group(0)
    current += solution[position:]
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _balanced(text: str) -> bool:
    if text.count("$") % 2 or text.count("\\[") != text.count("\\]") or text.count("\\(") != text.count("\\)"):
        return False
    return text.count("\\begin{") == text.count("\\end{") and text.count("{") == text.count("}")


def _equations(step: str):
    """(start, end, lhs, rhs-number) of each `lhs = number` in the step's math whose lhs is arithmetic
    that evaluates to that number; offsets index the step text, the span being the number."""
    found = []
    for segment in MATH_SEGMENT.finditer(step):
        group = next(g for g in range(1, 5) if segment.group(g) is not None)
        body, base = segment.group(group), segment.start(group)
        sides, offset = [], 0
        for side in body.split("="):
            sides.append((base + offset, side))
            offset += len(side) + 1
        for (_, lhs), (rhs_start, rhs) in zip(sides, sides[1:], strict=False):
            number = _NUMBER_TEXT.match(rhs)
            value = latex_value(lhs)
            if number is None or value is None or not re.search(r"[-+*/]|\\cdot|\\times|\\frac|\^", lhs):
                continue
            if Fraction(number.group(2)) != value:
                continue
            found.append((rhs_start + number.start(2), rhs_start + number.end(2), lhs, value))
    return found


def _latex_propagate(steps: list[str], start: int, old: str, new: str, labels, types) -> None:
    """Later equations whose left side uses a changed value are recomputed; the boxed answer follows."""
    changed = {old: new}
    for j in range(start + 1, len(steps)):
        step, touched = steps[j], False
        for a, b, lhs, _ in sorted(_equations(step), reverse=True):
            new_lhs = lhs
            for o, n in changed.items():
                new_lhs = _replace_number(new_lhs, o, n)
            value = latex_value(new_lhs) if new_lhs != lhs else None
            if value is None or arithmetic_value(_fmt(value)) != value:
                continue
            lhs_at = step.rfind(lhs, 0, a)
            if lhs_at < 0:
                continue
            changed[step[a:b]] = _fmt(value)
            step = step[:lhs_at] + new_lhs + step[lhs_at + len(lhs) : a] + _fmt(value) + step[b:]
            touched = True
        for o, n in changed.items():
            step = re.sub(rf"(\\boxed\{{\s*){re.escape(o)}(\s*\}})", rf"\g<1>{n}\g<2>", step)
        if touched or step != steps[j]:
            steps[j], labels[j], types[j] = step, 0.0, "accumulation"


def inject_latex_error(
    problem: Problem, solution: str, kind: str, rng: random.Random, *, distractor: str | None = None
) -> LabelledSolution | None:
    """`inject_error` for LaTeX solutions (MATH): a calculation error changes the number an equation
    states (`10 \\cdot 19 = 190` -> `= 191`); a logical error changes an operation in it and states the
    new value; later equations that use the value are recomputed and the boxed answer follows."""
    steps = latex_steps(solution)
    reference = extract_answer(solution)
    if kind == "irrelevant" or reference is None:
        return inject_error(problem, solution, kind, rng, steps=steps, distractor=distractor) if reference is not None else None
    if kind not in ("calculation", "logical"):
        raise ValueError(f"unknown injected error type {kind!r}: use calculation, logical or irrelevant")
    places = [(i, eq) for i, s in enumerate(steps) for eq in _equations(s)]
    rng.shuffle(places)
    for i, (a, b, lhs, value) in places:
        step = steps[i]
        if kind == "calculation":
            wrong = value + rng.choice([-3, -2, -1, 1, 2, 3, 10])
            new_lhs = lhs
        else:
            swaps = [(m.start(), old, new) for old, new in _LATEX_SWAPS for m in re.finditer(re.escape(old), lhs)]
            swaps = [(at, old, new) for at, old, new in swaps if not (old == "-" and (at == 0 or lhs[:at].rstrip()[-1:] in "({=,"))]
            if not swaps:
                continue
            at, old, new = rng.choice(swaps)
            new_lhs = lhs[:at] + new + lhs[at + len(old) :]
            wrong = latex_value(new_lhs)
        if wrong is None or wrong == value or arithmetic_value(_fmt(wrong)) != wrong:
            continue
        lhs_at = step.rfind(lhs, 0, a)
        if lhs_at < 0:
            continue
        trial, trial_labels, trial_types = list(steps), [1.0] * len(steps), [""] * len(steps)
        trial[i] = step[:lhs_at] + new_lhs + step[lhs_at + len(lhs) : a] + _fmt(wrong) + step[b:]
        trial_labels[i], trial_types[i] = 0.0, kind
        if kind == "logical" and check_step(trial[i]).status == "wrong":
            continue
        _latex_propagate(trial, i, step[a:b], _fmt(wrong), trial_labels, trial_types)
        answer = extract_answer("\n".join(trial))
        if answer is None or answer == reference:
            continue  # the error must reach the final answer
        reason = (
            f"{lhs.strip()} is {_fmt(value)}, not {_fmt(wrong)}" if kind == "calculation"
            else f"it computes {new_lhs.strip()} where the problem calls for {lhs.strip()}"
        )
        return LabelledSolution(
            problem=problem, steps=tuple(trial), labels=tuple(trial_labels), answer=answer,
            error_types=tuple(trial_types), critique=write_critique(trial, trial_labels, trial_types, {i: reason}),
            meta={"injected": kind, "reference_answer": reference},
        )
    return None


def inject_dataset(problems_and_solutions, kinds=("calculation", "logical", "irrelevant"), seed: int = 0, *, keep_correct: bool = True):
    """One injected row per (problem, kind) where possible, and with `keep_correct` the untouched reference
    first; deterministic for a seed.

    An irrelevant step is a real step of an earlier problem's solution in the same style (GSM8K or LaTeX):
    fluent, plausible and beside the point, where a handful of templates would be memorised by the model
    in a few hundred steps. The first problem of each style falls back to a template."""
    rng = random.Random(seed)
    pools: dict[bool, list[str]] = {True: [], False: []}  # earlier problems' steps, per style
    for problem, solution in problems_and_solutions:
        if keep_correct:
            yield correct_row(problem, solution)
        style = _gsm8k_style(solution)
        inject = inject_error if style else inject_latex_error
        pool = pools[style]
        for kind in kinds:
            distractor = rng.choice(pool) if kind == "irrelevant" and pool else None
            row = inject(problem, solution, kind, rng, distractor=distractor)
            if row is not None:
                yield row
        # steps that state no final answer, so an inserted one never reads as this problem's answer
        own = [s for s in _steps_of(solution) if extract_answer(s) is None and len(s) < 400]
        pool.extend(own)
        del pool[: max(0, len(pool) - _POOL)]


def _gsm8k_style(solution: str) -> bool:
    return "####" in solution or CALC_ANNOTATION.search(solution) is not None


def _steps_of(solution: str) -> list[str]:
    return split_steps(solution) if _gsm8k_style(solution) else latex_steps(solution)
