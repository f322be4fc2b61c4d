"""The remote verifier against a local server that answers exactly the request/response shapes of
vLLM's pooling API as documented for vLLM v0.18 (`POST /pooling`, task `token_classify`, STEP pooling)."""


import pytest
from minos.core.types import LabelledSolution, Problem
from minos.verifier import load_verifier
from minos.verifier.evaluate import processbench_metrics, rerank_metrics, sweep_thresholds

from tests.servers import json_server

SEEN: list = []


def _pooling(method, path, body):
    SEEN.append((path, body))
    steps = body["input"].count("ки")
    # STEP pooling: per tag, softmax over the returned token ids [good, bad]
    rows = [[0.9, 0.1] if "26" not in part else [0.2, 0.8] for part in body["input"].split("ки")[:steps]]
    return 200, {
        "id": "pool-1", "object": "list", "created": 0, "model": body["model"],
        "data": [{"index": 0, "object": "pooling", "data": rows}],
        "usage": {"prompt_tokens": 10, "total_tokens": 10, "completion_tokens": 0},
    }


@pytest.fixture
def pooling_server():
    SEEN.clear()
    with json_server(_pooling) as url:
        yield url


def test_remote_verifier_contract(pooling_server):
    v = load_verifier(f"{pooling_server}#my-prm")
    scores = v.score("q", [["48 / 2 = 24.", "The answer is 24."], ["48 / 2 = 26."]])
    assert scores == [[0.9, 0.9], [0.2]]
    path, body = SEEN[0]
    assert path == "/pooling" and body["task"] == "token_classify" and body["model"] == "my-prm"


def test_remote_verifier_dead_server():
    v = load_verifier("http://127.0.0.1:9/v1#m", max_retries=1)
    with pytest.raises(RuntimeError, match="no answer after 2 tries"):
        v.score("q", [["a"]])


def _sample(first_error: int, n: int = 3) -> LabelledSolution:
    labels = tuple(1.0 if first_error == -1 or i < first_error else 0.0 for i in range(n))
    return LabelledSolution(Problem("p", "q"), tuple("abc"[:n]), labels)


def test_processbench_metrics():
    samples = [_sample(1), _sample(-1), _sample(0), _sample(-1)]
    scores = [[0.9, 0.3, 0.2], [0.9, 0.9, 0.9], [0.9, 0.9, 0.9], [0.9, 0.4, 0.9]]
    m = processbench_metrics(samples, scores, 0.5)
    assert (m["error_acc"], m["correct_acc"]) == (0.5, 0.5)
    assert m["f1"] == pytest.approx(0.5)
    best = sweep_thresholds(samples, scores)
    assert best["f1"] >= m["f1"] and best["threshold"] == pytest.approx(0.35)


def test_rerank_metrics():
    rows = [
        {"question": "q", "answer": "24", "solutions": ["The answer is 26.", "The answer is 26.", "The answer is 24."]},
        {"question": "q", "answer": "5", "solutions": ["The answer is 5.", "The answer is 6."]},
    ]
    scores = [[[0.1], [0.1], [0.9]], [[0.8], [0.2]]]
    m = rerank_metrics(rows, scores)
    assert m["first"] == 0.5 and m["majority"] == 0.5 and m["oracle"] == 1.0
    assert m["best_of_n_min"] == 1.0 and m["weighted_min"] == 1.0


def test_rerank_reads_minos_batch_output(tmp_path):
    """Samples recorded once by `minos batch` rerank later with any verifier."""
    import json

    from minos.core.types import Candidate, Problem, SolveResult, Usage
    from minos.verifier.evaluate import load_rerank

    result = SolveResult(
        problem=Problem("p1", "What is 48 / 2?", "24"),
        answer="24",
        support=1.0,
        strategy="self_consistency",
        candidates=(
            Candidate(("48 / 2 = 24.", "The answer is 24."), "24"),
            Candidate(("48 / 2 = 26.", "The answer is 26."), "26"),
        ),
        usage=Usage(10, 20),
    )
    rows = [result.to_dict(), {**result.to_dict(), "id": "p2", "error": "GeneratorError: down"}]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (row,) = load_rerank(path)  # the failed problem is skipped
    assert row == {"question": "What is 48 / 2?", "answer": "24", "solutions": ["48 / 2 = 24.\n\nThe answer is 24.", "48 / 2 = 26.\n\nThe answer is 26."]}
