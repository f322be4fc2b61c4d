"""Critique generation against a scripted OpenAI-compatible chat server: agreement filter, resume,
failures reported while the rest goes on."""

from __future__ import annotations

import json
import re

import pytest
from minos.cli.main import app
from minos.core.types import LabelledSolution, Problem
from minos.training.critique import agrees
from minos.verifier.critiques import step_verdicts
from typer.testing import CliRunner

from tests.servers import json_server

REQUESTS: list[str] = []


def _critic(method, path, body):
    """Writes a critique from the labels it is given; lies about problem `liar`; rejects `down`."""
    if method == "GET":  # the HTTP generator asks /models once for the served names
        return 200, {"object": "list", "data": [{"id": "critic", "object": "model"}]}
    prompt = body["messages"][0]["content"]
    REQUESTS.append(prompt)
    if "PROBLEM down" in prompt:
        return 400, {"error": {"message": "bad request"}}
    labels = re.findall(r"^Step (\d+): (correct|incorrect)$", prompt.split("Known step labels:")[1], re.M)
    lines = [f"Step {k}: {'incorrect (calculation): wrong sum' if v == 'incorrect' else 'correct'}." for k, v in labels]
    if "PROBLEM liar" in prompt:
        lines[0] = "Step 1: incorrect (other): made up."
    return 200, {
        "id": "c", "object": "chat.completion", "created": 0, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "\n".join([*lines, "Verdict: done."])},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@pytest.fixture
def critic():
    REQUESTS.clear()
    with json_server(_critic) as url:
        yield url


def _row(pid: str, labels: tuple[float, ...]) -> LabelledSolution:
    steps = tuple(f"{pid} step {i}" for i in range(len(labels)))
    return LabelledSolution(Problem(pid, f"PROBLEM {pid}"), steps, labels)


@pytest.mark.parametrize(
    ("critique", "verdicts"),
    [
        ("Step 1: correct.\nStep 2: incorrect (calculation): 48/2 is 24, not 26.", [True, False]),
        ("**Step 1:** correct\n**Step 2**: Incorrect", [True, False]),
        ("Step 2: incorrect.\nStep 1: correct.", [True, False]),  # order of lines does not matter
        ("Step 1: correct.", [True, None]),  # a step it says nothing about
        ("Step 1: correct. Step 1: incorrect.", [True, None]),  # the first verdict for a step counts
    ],
)
def test_critique_verdicts(critique, verdicts):
    assert step_verdicts(critique, 2) == verdicts


def test_agrees_needs_every_step():
    row = _row("p", (1.0, 0.0))
    assert agrees("Step 1: correct.\nStep 2: incorrect (calculation): x.", row)
    assert not agrees("Step 1: correct.", row)
    assert not agrees("Step 1: correct.\nStep 2: correct.", row)


def test_critique_command_keeps_agreeing_rows_reports_and_resumes(critic, tmp_path):
    rows = [_row("good", (1.0, 0.0, 0.0)), _row("liar", (1.0, 1.0)), _row("down", (1.0,)), _row("fine", (1.0, 1.0))]
    source, out = tmp_path / "rows.jsonl", tmp_path / "critiqued.jsonl"
    source.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in rows))
    args = ["data", "critique", str(source), "-o", str(out), "--base-url", critic, "--model", "critic", "--concurrency", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "agreement rate 66.7% (2 of 3 critiques kept)" in result.output
    assert "failed down" in result.output
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["problem"]["id"] for r in kept) == ["fine", "good"]
    assert all(agrees(r["critique"], LabelledSolution.from_dict(r)) for r in kept)
    # the critic was given the labels
    assert any("Step 2: incorrect" in p.split("Known step labels:")[1] for p in REQUESTS)
    # resume: rows already kept are not asked again
    asked_before = len(REQUESTS)
    result = CliRunner().invoke(app, [*args, "--resume"])
    assert result.exit_code == 0, result.output
    assert len(REQUESTS) - asked_before == 2  # liar and down again, not good or fine
    assert sorted(json.loads(line)["problem"]["id"] for line in out.read_text().splitlines()) == ["fine", "good"]
