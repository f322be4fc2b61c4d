import json

import pytest
from minos.core import (
    DataError,
    LabelledSolution,
    iter_problems,
    load_labelled,
    load_problems,
    load_worked,
    read_jsonl,
    write_jsonl_atomic,
)
from minos.core.types import Candidate, Critique, Problem, SolveResult, Usage


def test_gsm8k_reference_is_the_number_after_hashes(fixtures):
    problems = load_problems(fixtures / "gsm8k_sample.jsonl")
    assert len(problems) == 5
    assert problems[0].reference == "18"
    assert problems[0].question.startswith("Janet")
    assert len({p.id for p in problems}) == 5


def test_math500_uses_answer_and_unique_id(fixtures):
    problems = load_problems(fixtures / "math500_sample.jsonl")
    assert problems[0].id == "test/precalculus/807.json"
    assert problems[0].reference == "\\left( 3, \\frac{\\pi}{2} \\right)"


def test_csv_with_column_mapping(fixtures):
    problems = load_problems(fixtures / "problems.csv", question_field="text", answer_field="gold", id_field="qid")
    assert [(p.id, p.reference) for p in problems] == [("q1", "5"), ("q2", "1,001")]


def test_csv_unknown_column_names_the_field(fixtures):
    with pytest.raises(DataError, match=r"problems\.csv:2: missing field 'nope'"):
        load_problems(fixtures / "problems.csv", question_field="nope")


def test_parquet_and_json(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"problem": ["1+1?"], "answer": ["2"]}), tmp_path / "p.parquet")
    assert load_problems(tmp_path / "p.parquet")[0].reference == "2"
    (tmp_path / "p.json").write_text(json.dumps({"data": [{"question": "2+2?", "answer": "4"}]}))
    assert load_problems(tmp_path / "p.json")[0].question == "2+2?"


def test_bad_rows_raise_with_file_and_line(fixtures):
    with pytest.raises(DataError, match=r"bad_rows\.jsonl:2: not valid JSON"):
        load_problems(fixtures / "bad_rows.jsonl")


def test_bad_rows_skipped_keep_the_rest(fixtures):
    errors: list[DataError] = []
    problems = load_problems(fixtures / "bad_rows.jsonl", on_error="skip", errors=errors)
    assert [p.reference for p in problems] == ["2", "4"]
    assert [e.where for e in errors] == [2, 3]
    assert "no question field" in str(errors[1])


def test_processbench(fixtures):
    rows = load_labelled(fixtures / "processbench_sample.json")
    assert rows[0].labels == (1.0, 0.0, 0.0) and rows[0].first_error == 1
    assert rows[1].labels == (1.0, 1.0) and rows[1].first_error == -1


def test_shepherd_tags_and_labels(fixtures):
    (row,) = load_labelled(fixtures / "shepherd_sample.jsonl")
    assert row.problem.question == "Tom has 3 apples and buys 4 more. How many apples?"
    assert row.steps == ("Step 1: Tom starts with 3 apples.", "Step 2: He buys 4 more, so 3 + 4 = 8.", "Step 3: The answer is: 8")
    assert row.labels == (1.0, 0.0, 0.0)
    assert row.answer == "8"


def test_stepwise(fixtures):
    (row,) = load_labelled(fixtures / "stepwise_sample.jsonl")
    assert row.labels == (0.0, 0.0) and row.first_error == 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": 1, "problem": "p", "steps": ["a"], "label": 3}, "label 3 is outside -1..0"),
        ({"prompt": "p", "completions": ["a", "b"], "labels": [True]}, "1 labels for 2 completions"),
        ({"input": "p Step 1: a ки", "label": "p Step 1: a ?"}, "label of step 1 is '?'"),
        ({"something": "else"}, "unknown step-labelled schema"),
    ],
)
def test_labelled_errors_name_the_line(tmp_path, row, message):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"prompt": "ok", "completions": ["a"], "labels": [1]}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=rf"x\.jsonl:2: {message}"):
        load_labelled(path)
    errors: list[DataError] = []
    assert len(load_labelled(path, on_error="skip", errors=errors)) == 1 and len(errors) == 1


def test_json_round_trip_of_every_type():
    problem = Problem("p1", "What is 2+2?", "4", "unit")
    critique = Critique(1, "step 2 is wrong: 2 + 2 is 4", (1, None, -1), Usage(40, 9))
    candidate = Candidate(("2+2=4.", "The answer is 4."), "4", True, "stop", (0.9, 0.8), Usage(10, 5), {"g": "x"}, critique)
    result = SolveResult(problem, "4", 1.0, "weighted_vote", (candidate,), True, Usage(10, 5), 0.5, verifier_usage=Usage(40, 9))
    labelled = LabelledSolution(problem, ("a", "b"), (1.0, 0.0), "3", ("", "calculation"), "step 2 is wrong")
    for obj in (problem, candidate, result, labelled):
        assert type(obj).from_dict(json.loads(json.dumps(obj.to_dict()))) == obj


def test_read_jsonl_drops_a_torn_last_line(tmp_path):
    path = tmp_path / "out.jsonl"
    write_jsonl_atomic(path, [{"a": 1}, {"a": 2}])
    with path.open("a") as handle:
        handle.write('{"a": 3')
    assert [r["a"] for r in read_jsonl(path)] == [1, 2]


def test_real_datasets_load(shared_data):
    assert len(load_problems(shared_data / "gsm8k" / "test.jsonl")) == 1319
    assert len(load_problems(shared_data / "math" / "math500.jsonl")) == 500
    assert all(p.reference for p in load_problems(shared_data / "math" / "test5000.jsonl"))


def test_atomic_write_gives_normal_permissions(tmp_path):
    import os
    import stat

    from minos.core.data import write_jsonl_atomic

    out = tmp_path / "out.jsonl"
    write_jsonl_atomic(out, [{"a": 1}])
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize(
    "payload, where, message",
    [
        # a Latin-1 line among UTF-8 ones: that row is named and skipped, the others load
        (b'{"question": "ok 1", "answer": "#### 1"}\n{"question": "caf\xe9", "answer": "#### 2"}\n'
         b'{"question": "ok 3", "answer": "#### 3"}\n', "2", "not UTF-8 text (byte offset 58)"),
        # binary junk (a PNG header) on the first line
        (b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n{"question": "ok", "answer": "#### 1"}\n', "1", "not UTF-8 text"),
        # a line far too long to be a problem: reported, never silently cut
        (b'{"question": "' + b"x" * 1_100_000 + b'", "answer": "#### 1"}\n{"question": "ok", "answer": "#### 1"}\n',
         "1", "over the 1,000,000-byte limit"),
    ],
)
def test_unreadable_lines_are_named_and_skipped(tmp_path, payload, where, message):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(payload)
    errors: list[DataError] = []
    problems = load_problems(path, on_error="skip", errors=errors)
    assert [e.where for e in errors][:1] == [int(where)] and message in str(errors[0])
    assert str(errors[0]).startswith(f"{path}:{where}: ")
    assert problems and all(p.question.startswith("ok") for p in problems)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_problems(path)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_non_utf8_whole_file_is_one_line_naming_the_byte(tmp_path, suffix):
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes('[{"question": "café", "answer": "#### 1"}]'.encode("latin-1") if suffix == ".json"
                     else "question,answer\ncafé,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1\.(json|csv):byte \d+: not UTF-8 text"):
        load_problems(path)


def test_iter_problems_streams_rows_before_a_later_bad_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"question": "1+1?", "answer": "2"}\n{"question": "2+2?", "answer": "4"}\nnot json\n')
    rows = iter_problems(path)  # strict: the bad line raises only when reached
    assert [next(rows).reference, next(rows).reference] == ["2", "4"]
    with pytest.raises(DataError, match=r"p\.jsonl:3: not valid JSON"):
        next(rows)


def test_iter_problems_checks_the_path_at_once(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        iter_problems(tmp_path / "missing.jsonl")  # before any row is asked for


@pytest.mark.parametrize(
    ("row", "reference", "solution_start"),
    [
        ({"question": "Q?", "answer": "2 + 2 = <<2+2=4>>4\n#### 4"}, "4", "2 + 2"),  # GSM8K
        ({"problem": "Q?", "solution": "So it is $\\boxed{7}$.", "idx": 3}, "7", "So it"),  # MATH test5000
        ({"problem": "Q?", "solution": "Thus $\\boxed{\\frac12}$.", "answer": "\\frac12", "unique_id": "u"}, "\\frac12", "Thus"),
    ],
)
def test_load_worked_pairs_a_problem_with_its_reference_solution(tmp_path, row, reference, solution_start):
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps({"question": "no worked solution", "answer": "4"}) + "\n")
    errors: list = []
    ((problem, solution),) = load_worked(path, on_error="skip", errors=errors)
    assert problem.reference == reference and solution.startswith(solution_start)
    assert [e.where for e in errors] == [2] and "no worked solution" in str(errors[0])
