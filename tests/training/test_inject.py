"""Injected errors must be exactly what their labels say."""

from __future__ import annotations

import json
import random

import pytest
from minos.core.answers import answers_equal, extract_answer
from minos.core.steps import CALC_ANNOTATION, split_steps
from minos.core.types import LabelledSolution, Problem
from minos.training.critique import agrees
from minos.training.inject import (
    ERROR_TYPES,
    inject_dataset,
    inject_error,
    inject_latex_error,
    latex_steps,
    write_critique,
)
from minos.verifier import check_step

NATALIA = (
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n"
    "#### 72"
)


def _pairs(path, limit=None):
    pairs = []
    for number, line in enumerate(path.open(encoding="utf-8"), 1):
        row = json.loads(line)
        pairs.append((Problem(f"p{number}", row["question"], extract_answer(row["answer"])), row["answer"]))
    return pairs[:limit]


def _check_row(row: LabelledSolution, reference_solution: str) -> None:
    reference_steps = split_steps(reference_solution)
    kind = row.meta["injected"]
    if kind == "none":  # the untouched reference
        assert list(row.steps) == reference_steps and row.first_error == -1 and row.outcome
        assert answers_equal(row.answer, row.meta["reference_answer"]) and agrees(row.critique, row)
        return
    first = row.first_error
    assert first >= 0 and row.error_types[first] == kind
    assert all(t in ERROR_TYPES or t == "" for t in row.error_types)
    # every step before the error is the reference's, untouched
    assert list(row.steps[:first]) == reference_steps[:first]
    # labels and types agree: a wrong step has a type, a right one none
    for label, kind_at in zip(row.labels, row.error_types, strict=True):
        assert (label < 0.5) == (kind_at != "")
    # only the injected step is of the injected type; later wrong steps are accumulation
    assert [i for i, t in enumerate(row.error_types) if t not in ("", "accumulation")] == [first]
    if kind == "irrelevant":
        assert row.steps[first] not in reference_steps
        assert list(row.steps[first + 1 :]) == reference_steps[first:]
        assert answers_equal(row.answer, row.meta["reference_answer"])
        return
    assert row.steps[first] != reference_steps[first]
    assert row.answer is not None and not answers_equal(row.answer, row.meta["reference_answer"])
    if kind == "calculation":
        # the stated result contradicts the expression: the symbolic checker proves it
        verdict = check_step(row.steps[first])
        assert verdict.status == "wrong", (row.steps[first], verdict)
    else:
        # a logical error computes the wrong expression correctly: the operation changed, the arithmetic holds
        (old_expr, _), (new_expr, _) = CALC_ANNOTATION.findall(reference_steps[first])[0], CALC_ANNOTATION.findall(row.steps[first])[0]
        assert old_expr != new_expr
        assert check_step(row.steps[first]).status != "wrong"
    # the templated critique states exactly these labels
    assert agrees(row.critique, row)


@pytest.mark.parametrize("kind", ["calculation", "logical", "irrelevant"])
def test_injected_rows_are_consistent_on_the_fixture(fixtures, kind):
    pairs = _pairs(fixtures / "gsm8k_sample.jsonl")
    rows = list(inject_dataset(pairs, (kind,), seed=3))
    assert sum(r.meta["injected"] == "none" for r in rows) == len(pairs)
    assert sum(r.meta["injected"] == kind for r in rows) >= len(pairs) // 2  # most offer a place for the error
    by_id = dict((p.id, s) for p, s in pairs)
    for row in rows:
        _check_row(row, by_id[row.problem.id])


def test_injected_rows_are_consistent_on_gsm8k_train(shared_data):
    pairs = _pairs(shared_data / "gsm8k" / "train.jsonl", limit=200)
    rows = list(inject_dataset(pairs, seed=0))
    by_id = dict((p.id, s) for p, s in pairs)
    counts = {k: sum(r.meta["injected"] == k for r in rows) for k in ("none", "calculation", "logical", "irrelevant")}
    assert counts["none"] == counts["irrelevant"] == 200 and counts["calculation"] > 150 and counts["logical"] > 150
    for row in rows:
        _check_row(row, by_id[row.problem.id])


def test_calculation_error_follows_into_later_steps():
    problem = Problem("natalia", "How many clips?", "72")
    for seed in range(20):
        row = inject_error(problem, NATALIA, "calculation", random.Random(seed))
        if row.first_error == 0:
            break
    assert row.first_error == 0
    wrong_may = CALC_ANNOTATION.findall(row.steps[0])[0][1]
    assert wrong_may != "24"
    assert row.error_types == ("calculation", "accumulation")  # "#### 72" stays with its step
    assert f"48+{wrong_may}" in row.steps[1]  # the later step uses the wrong value, and computes right from it
    assert check_step(row.steps[1]).status == "ok"
    assert row.answer == str(48 + int(wrong_may))


@pytest.mark.parametrize(
    "solution",
    [
        # bug: 0.2/50 = 0.004 printed as "0", so the "logical" step was also a calculation error
        "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10",
    ],
)
def test_logical_error_keeps_its_arithmetic_right(solution):
    problem = Problem("weng", "How much did Weng earn?", "10")
    for seed in range(30):
        row = inject_error(problem, solution, "logical", random.Random(seed))
        if row is not None:
            assert check_step(row.steps[row.first_error]).status != "wrong", row.steps[row.first_error]


def test_deterministic_for_a_seed(fixtures):
    pairs = _pairs(fixtures / "gsm8k_sample.jsonl")
    assert list(inject_dataset(pairs, seed=7)) == list(inject_dataset(pairs, seed=7))


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown injected error type"):
        inject_error(Problem("x", "q"), NATALIA, "typo", random.Random(0))


def test_critique_template_names_first_error_and_reason():
    text = write_critique(["a", "b", "c"], [1.0, 0.0, 0.0], ["", "calculation", "accumulation"], {1: "48/2 is 24, not 26"})
    assert text.splitlines() == [
        "Step 1: correct.",
        "Step 2: incorrect (calculation): 48/2 is 24, not 26.",
        "Step 3: incorrect (accumulation): it builds on the wrong value from step 2.",
        "Verdict: the solution is incorrect; the first error is in step 2.",
    ]


APPLES = "We have $3 \\cdot 4 = 12$ apples. Adding 5 more gives $12 + 5 = 17$.\n\nSo the answer is $\\boxed{17}$."


@pytest.mark.parametrize(
    "solution, steps",
    [
        (APPLES, ["We have $3 \\cdot 4 = 12$ apples.", "Adding 5 more gives $12 + 5 = 17$.", "So the answer is $\\boxed{17}$."]),
        # never cut inside math, even at a full stop followed by a capital letter
        ("Then $x = 2. Y = 3$ holds. Done.", ["Then $x = 2. Y = 3$ holds.", "Done."]),
        ("Cross-multiplication gives  \\[x-9=2x+2.\\]Simplifying this tells us  \\[x=\\boxed{-11}.\\]",
         ["Cross-multiplication gives  \\[x-9=2x+2.\\]", "Simplifying this tells us  \\[x=\\boxed{-11}.\\]"]),
    ],
)
def test_latex_steps(solution, steps):
    assert latex_steps(solution) == steps


@pytest.mark.parametrize("kind", ["calculation", "logical"])
def test_latex_error_is_exact_and_follows_to_the_boxed_answer(kind):
    problem = Problem("apples", "How many apples?", "17")
    rows = [inject_latex_error(problem, APPLES, kind, random.Random(seed)) for seed in range(10)]
    rows = [r for r in rows if r is not None]
    assert rows
    for row in rows:
        first = row.first_error
        assert row.error_types[first] == kind and row.labels[:first] == (1.0,) * first
        assert all(t == "accumulation" for t in row.error_types[first + 1 :] if t)
        assert row.answer is not None and not answers_equal(row.answer, "17")
        verdict = check_step(row.steps[first]).status
        assert verdict == ("wrong" if kind == "calculation" else "ok"), row.steps[first]
        assert agrees(row.critique, row)
        # every later equation that the checker can read still holds: the wrong value was carried through
        assert all(check_step(s).status != "wrong" for s in row.steps[first + 1 :]), row.steps


def test_latex_injection_on_math_train(shared_data):
    """Most MATH training problems outside MATH-500 offer a place for a calculation error."""
    import json

    banned = {json.loads(line)["problem"] for line in (shared_data / "math" / "math500.jsonl").open()}
    pairs = []
    for number, line in enumerate((shared_data / "math" / "test5000.jsonl").open(), 1):
        row = json.loads(line)
        if row["problem"] not in banned:
            pairs.append((Problem(f"m{number}", row["problem"], extract_answer(row["solution"])), row["solution"]))
        if len(pairs) == 300:
            break
    rows = list(inject_dataset(pairs, ("calculation", "logical"), seed=0))
    counts = {k: sum(r.meta["injected"] == k for r in rows) for k in ("calculation", "logical")}
    assert counts["calculation"] >= 60 and counts["logical"] >= 30, counts
    for row in rows:
        if row.meta["injected"] == "calculation":
            assert check_step(row.steps[row.first_error]).status == "wrong", row.steps[row.first_error]


def test_irrelevant_steps_come_from_other_problems_solutions(fixtures):
    """A fixed template would be memorised; a real step of another problem is fluent and beside the point."""
    from minos.core.steps import split_steps

    pairs = _pairs(fixtures / "gsm8k_sample.jsonl")
    rows = [r for r in inject_dataset(pairs, ("irrelevant",), seed=0) if r.meta["injected"] == "irrelevant"]
    steps_of = {p.id: split_steps(s) for p, s in pairs}
    order = [p.id for p, _ in pairs]
    for row in rows[1:]:
        inserted = row.steps[row.first_error]
        earlier = order[: order.index(row.problem.id)]
        assert any(inserted in steps_of[other] for other in earlier), inserted
        assert inserted not in steps_of[row.problem.id]
    assert len({r.steps[r.first_error] for r in rows}) == len(rows)  # no two alike


@pytest.mark.parametrize(
    ("text", "labels", "right"),
    [
        ("48 / 2 = 24.\n\nThe answer is 24.", (1.0, 1.0), True),
        ("48 / 2 = 26.\n\nThe answer is 26.", (1.0, 0.0), False),  # the wrong answer's step; earlier unknown
        ("48 / 2 = 26.\n\nThe answer is 26.\n\nDone.", (1.0, 0.0, 1.0), False),
        ("48 / 2 = 24.\n\nSo the answer is \\boxed{", None, None),  # truncated: no final answer, no row
    ],
)
def test_sampled_solutions_are_labelled_by_final_answer(text, labels, right):
    from minos.training.sampled import label_by_answer

    row = label_by_answer(Problem("p", "How many?", "24"), text, "scripted")
    if labels is None:
        assert row is None
        return
    assert row.labels == labels and row.outcome is right and row.meta["label_source"] == "final-answer"


def test_sample_solutions_from_a_generator():
    import asyncio

    from minos.generators import FewShotTemplate
    from minos.training.sampled import sample_solutions

    from tests.fakes import ScriptedGenerator

    gen = ScriptedGenerator(["48 / 2 = 24.\n\nThe answer is 24.", "48 / 2 = 26.\n\nThe answer is 26."])
    problems = [Problem("a", "Q1?", "24"), Problem("b", "Q2?", None), Problem("c", "Q3?", "26")]
    rows = asyncio.run(sample_solutions(problems, gen, FewShotTemplate(), n=2))
    # the script alternates 24, 26: problem c (reference 26) gets 24 then 26
    assert [(r.problem.id, r.outcome) for r in rows] == [("a", True), ("a", False), ("c", False), ("c", True)]
