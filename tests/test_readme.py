"""Every Python block of the README runs here, against a scripted OpenAI-compatible server on loopback
(the README's `http://localhost:8000/v1` is pointed at it), so the documented embedding cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.servers import json_server

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _arithmetic(method, path, body):
    """Answers every question with the product of its first two numbers, in two steps."""
    if method == "GET":
        return 200, {"object": "list", "data": [{"id": "MODEL", "object": "model"}]}
    question = body["prompt"].rsplit("Question:", 1)[-1]
    numbers = [int(x) for x in re.findall(r"\d+", question)][:2] or [1, 1]
    a, b = numbers if len(numbers) == 2 else (numbers[0], 1)
    text = f"{a} * {b} = {a * b}.\n\nThe answer is {a * b}."
    choices = [{"index": i, "text": text, "finish_reason": "stop"} for i in range(body.get("n") or 1)]
    return 200, {"id": "x", "object": "text_completion", "created": 0, "model": "MODEL", "choices": choices,
                 "usage": {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22}}


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 1


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(block):
    with json_server(_arithmetic) as url:
        namespace: dict = {}
        exec(compile(block.replace("http://localhost:8000/v1", url), str(README), "exec"), namespace)
        if "graph" in namespace:  # the embedding example: the documented calls gave the right answer
            assert namespace["out"]["answer"] == "84"
            assert namespace["tool"].invoke({"problem": "What is 6 * 7?"}).startswith("42 (support")


def test_the_readme_graph_is_the_compiled_graph():
    from minos.solver import SolverConfig, build_graph

    from tests.fakes import ScriptedGenerator, TableVerifier

    (diagram,) = re.findall(r"```mermaid\n(.*?)```", README.read_text(), flags=re.S)
    drawn = set(re.findall(r"(\w+) -\.?->\.? ?(\w+)", diagram))
    graph = build_graph(SolverConfig(generator=ScriptedGenerator(["x"]), verifier=TableVerifier({}), strategy="beam_search"))
    assert drawn == {(e.source, e.target) for e in graph.get_graph().edges}
