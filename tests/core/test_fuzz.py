"""Bounded work on any text: step splitting, answer extraction, grading and the symbolic checker are fuzzed
with random text, adversarial nesting, huge numbers and long chains; hypothesis fails any example that takes
longer than its deadline (each call is timed)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minos.core.answers import answers_equal, extract_answer, normalize_answer
from minos.core.steps import join_steps, separator_of, split_steps
from minos.verifier.symbolic import check_step

MATHY = st.sampled_from(
    list("0123456789+-*/=()[]{}$%.,xX ^_\\\n") + ["\\boxed{", "\\frac{", "\\cdot", "\\times", "\\[", "\\]", "$$",
                                                   "\\(", "\\)", "<<", ">>", "####", "Step 1:", "\n\n", "**", "=", "}"]
)
MATH_TEXT = st.lists(MATHY, max_size=400).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=2000), MATH_TEXT)


@st.composite
def adversarial(draw) -> str:
    """The shapes that hung or blew up real runs: long chains, towers, deep nesting, huge numbers."""
    n = draw(st.integers(1, 400))
    kind = draw(st.sampled_from(["chain", "tower", "nest", "huge", "display"]))
    if kind == "chain":
        terms = " + ".join(str(10 * i) for i in range(n))
        return f"{terms} = {draw(st.integers(0, 10**6))}"
    if kind == "tower":
        return "$" + "**".join(["9"] * min(n, 60)) + " = 1$"
    if kind == "nest":
        return "\\boxed{" * n + "1" + "}" * draw(st.integers(0, n))
    if kind == "huge":
        return f"{'9' * n} * {'7' * n} = {'6' * (2 * n)}"
    return "\\[ " + " \\cdot ".join(["(1 + 2)"] * n) + " = 3 \\]"


FAST = settings(deadline=2000, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(ANY_TEXT, adversarial()))
def test_split_steps_is_bounded_and_reversible(text):
    steps = split_steps(text)
    assert all(s == s.strip() and s for s in steps)
    assert split_steps(join_steps(steps, separator_of(text))) == steps


@FAST
@given(st.one_of(ANY_TEXT, adversarial()))
def test_extract_answer_is_bounded(text):
    answer = extract_answer(text)
    assert answer is None or (answer.strip() and "\\boxed{" not in answer.replace("\\boxed{}", ""))
    if answer is not None:
        normalize_answer(answer)


@FAST
@given(st.one_of(ANY_TEXT, adversarial()))
def test_check_step_is_bounded(text):
    assert check_step(text).status in ("ok", "wrong", "unknown")


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(MATH_TEXT, adversarial()), st.one_of(MATH_TEXT, st.sampled_from(["72", "\\frac{1}{2}", "x^2"])))
def test_grading_is_bounded(a, b):
    """Grading runs math-verify in a worker with a real time limit: whatever the text, an answer in time."""
    import time

    start = time.monotonic()
    assert answers_equal(a, b) in (True, False)
    assert time.monotonic() - start < 45  # the grading worker's own deadline is 20 s per call


@pytest.mark.parametrize(
    "step",
    [
        # each took minutes (backtracking) or for ever (a power tower in sympy) before the checker was bounded
        "$$0 + 10 + 20 + 30 + 40 + 50 + 60 + 70 + 80 + 90 + 100 + 110 + 120 + 130 + 140 + 150 + 160 + 170 + 180"
        " + 190 = 10(0 + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19)"
        " = 10 \\cdot 190 = 1900$$",
        "$9**9**9**9 = 1$",
        " ".join(["1 + 2 +"] * 14) + " 3 = 4x",
    ],
)
def test_steps_that_hung(step):
    import time

    start = time.monotonic()
    check_step(step)
    assert time.monotonic() - start < 1.0
