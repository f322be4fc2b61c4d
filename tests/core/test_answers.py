import json
import threading

import pytest
from minos.core import answer_classes, answers_equal, extract_answer, normalize_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Janet sells 9 eggs.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18", "18"),
        ("#### 1,000", "1,000"),
        ("So the total is 5.\nThe answer is 72.", "72"),
        ("The final answer is $\\frac{3}{4}$.", "\\frac{3}{4}"),
        ("The answer is: 18", "18"),
        ("Q: what?\nA: 18", "18"),
        ("Answer: $x = 3$", "x = 3"),
        ("first \\boxed{1} then \\boxed{\\frac{1}{\\sqrt{2}}}.", "\\frac{1}{\\sqrt{2}}"),
        ("nested \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("\\fbox{7}", "7"),
        ("an unclosed \\boxed{12", None),
        # cut by max_tokens right after the box opened: no answer, never the fragment "\\(\\boxed{"
        ("So, the answer is \\(\\boxed{", None),
        ("So, the answer is $\\boxed{", None),
        ("The answer is \\boxed{\\frac{1}{2", None),
        ("Final answer: \\boxed{", None),
        ("The answer is 72.\nSo, the answer is \\(\\boxed{", None),
        ("no answer stated here", None),
        ("", None),
    ],
)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("1,000", "1000", True),
        ("1000.0", "1000", True),
        ("$18", "18", True),
        ("\\$18.00", "18", True),
        ("18 dollars", "18", True),
        ("50\\%", "50", True),
        ("-3", "-3.0", True),
        ("0.5", "\\frac{1}{2}", True),
        ("\\dfrac{1}{2}", "\\frac12", True),
        ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", True),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", True),
        ("x^2+2x+1", "(x+1)^2", True),
        ("90^\\circ", "90", True),
        ("\\text{(C)}", "(C)", True),
        ("17", "18", False),
        ("1,001", "1000", False),
        ("\\frac{1}{3}", "0.5", False),
        ("x+1", "x-1", False),
        (None, "1", False),
        ("", "1", False),
    ],
)
def test_answers_equal(a, b, equal):
    assert answers_equal(a, b) is equal


def test_normalize_answer_numbers_are_exact():
    assert normalize_answer("1,000.50") == normalize_answer("1000.5") == "2001/2"


def test_answer_classes_merges_symbolic_equals_in_first_seen_order():
    assert answer_classes(["3", "1/2", "0.5", None, "\\frac{1}{2}", "3.0", "4"]) == [0, 1, 1, -1, 1, 0, 2]


def test_grading_off_the_main_thread():
    # LangGraph runs sync nodes in threads, where math-verify's signal.alarm cannot be used.
    results = []
    threads = [threading.Thread(target=lambda: results.append(answers_equal("0.25", "\\frac{1}{4}"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4


def test_fixture_math500_solutions_grade_equal_to_their_answers(fixtures):
    for line in (fixtures / "math500_sample.jsonl").read_text().splitlines():
        row = json.loads(line)
        assert answers_equal(extract_answer(row["solution"]), row["answer"]), row["unique_id"]


def test_every_math500_solution_grades_equal_to_its_answer(shared_data):
    wrong = []
    for line in (shared_data / "math" / "math500.jsonl").read_text().splitlines():
        row = json.loads(line)
        if not answers_equal(extract_answer(row["solution"]), row["answer"]):
            wrong.append(row["unique_id"])
    assert wrong == []


def test_every_gsm8k_test_solution_grades_equal_to_its_answer(shared_data):
    for line in (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines():
        row = json.loads(line)
        gold = row["answer"].split("####")[-1].strip()
        assert answers_equal(extract_answer(row["answer"]), gold)
        assert not answers_equal(extract_answer(row["answer"]), str(float(gold.replace(",", "")) + 1))
