"""Every Python block of the README runs here as a plain script in a fresh process, against a scripted
OpenAI-compatible server on loopback (the README's `http://localhost:8000/v1` is pointed at it), so the
documented embedding cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys
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


# appended to the embedding example: the documented calls gave the right answer
_CHECKS = """
assert out["answer"] == "84", out["answer"]
assert tool.invoke({"problem": "What is 6 * 7?"}).startswith("42 (support")
print("CHECKED")
"""


@pytest.mark.parametrize("verifier", ["symbolic", pytest.param("hybrid:default", marks=pytest.mark.gguf)])
@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs_as_a_plain_script(block, verifier, tmp_path):
    """As a user runs it: saved as a file with no main guard, run by `python FILE` in a fresh process. The
    symbolic checker's worker must not re-run the script (a spawned multiprocessing child did: the
    top-level code ran twice and the pool broke), whichever verifier uses it."""
    with json_server(_arithmetic) as url:
        script = block.replace("http://localhost:8000/v1", url).replace('verifier="symbolic"', f'verifier="{verifier}"')
        embedding = "graph" in block
        path = tmp_path / "embed.py"
        path.write_text('print("TOP-LEVEL")\n' + script + (_CHECKS if embedding else ""))
        done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("TOP-LEVEL") == 1, done.stdout
    assert not embedding or "CHECKED" in done.stdout


def test_the_readme_graph_is_the_compiled_graph():
    from minos.solver import SolverConfig, build_graph

    from tests.fakes import ScriptedGenerator, TableVerifier

    (diagram,) = re.findall(r"```mermaid\n(.*?)```", README.read_text(), flags=re.S)
    drawn = set(re.findall(r"(\w+) -\.?->\.? ?(\w+)", diagram))
    graph = build_graph(SolverConfig(generator=ScriptedGenerator(["x"]), verifier=TableVerifier({}), strategy="beam_search"))
    assert drawn == {(e.source, e.target) for e in graph.get_graph().edges}
