"""`minos batch --ray` and `minos data sample --ray` on a local Ray instance (2 CPUs, started once for the
module), against a scripted OpenAI-compatible server on loopback, with the symbolic verifier: a Ray run
writes the rows a local run writes, resumes from a killed run's file, and records a failing problem."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
from minos.cli.main import app
from typer.testing import CliRunner

from tests.servers import json_server

runner = CliRunner()
COMMON = ["--model", "m", "--verifier", "symbolic", "--strategy", "self_consistency,weighted_vote", "--n", "2",
          "--max-tokens", "32", "--seed", "7"]


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="needs the ray extra")
    with pytest.MonkeyPatch.context() as patch:
        # Ray runs its workers at nice 15: on a machine busy with other tests an actor took a minute to start
        patch.setenv("RAY_worker_niceness", "0")
        ray.init(num_cpus=2, include_dashboard=False, configure_logging=False)
    yield
    ray.shutdown()


@contextmanager
def scripted(failing: set[str]):
    """Completions that count the question's number, say the seed they were drawn with (so rows differ when
    the seeds do) and answer 400 for the problems in `failing` (a set the test may change); yields the URL
    and the log of requests."""
    log: list = []

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "m", "object": "model"}]}
        number = re.findall(r"\d+", body["prompt"].rsplit("Question:", 1)[-1])[0]
        if number in failing:
            return 400, {"error": {"message": f"problem {number} is refused"}}
        text = f"We count {number} (seed {body.get('seed')}).\n\nThe answer is {number}."
        return 200, {
            "id": "x", "object": "text_completion", "created": 0, "model": "m",
            "choices": [{"index": i, "text": text, "finish_reason": "stop", "logprobs": None} for i in range(body.get("n") or 1)],
            "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
        }

    with json_server(respond, log=log) as url:
        yield url, log


def _problems(path, count: int):
    path.write_text("".join(json.dumps({"question": f"Problem {i}: Tom has {i} apples. How many?", "answer": f"#### {i}"}) + "\n"
                            for i in range(count)))
    return path


def _rows(path) -> list[dict]:
    """The rows without their timing (the only field a run's speed changes)."""
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in path.read_text().splitlines()]


def _batch(*args: str):
    result = runner.invoke(app, ["batch", *args])
    assert result.exit_code == 0, result.output[-3000:]
    return result


@pytest.mark.ray
@pytest.mark.slow
def test_a_ray_run_writes_the_rows_a_local_run_writes_and_records_a_failure(local_ray, tmp_path):
    data = _problems(tmp_path / "problems.jsonl", 6)
    with scripted(failing={"3"}) as (url, _):
        _batch(str(data), "-o", str(tmp_path / "local.jsonl"), "--generator", url, *COMMON)
        on_ray = _batch(str(data), "-o", str(tmp_path / "ray.jsonl"), "--generator", url, *COMMON, "--ray", "--ray-workers", "2")
    rows = _rows(tmp_path / "ray.jsonl")
    assert rows == _rows(tmp_path / "local.jsonl")
    assert len(rows) == 12 and [r["id"] for r in rows[::2]] == [f"problems-{i}" for i in range(1, 7)]  # input order
    failed = [r for r in rows if r["error"]]
    assert [(r["id"], r["strategy"]) for r in failed] == [("problems-4", "self_consistency"), ("problems-4", "weighted_vote")]
    assert "problem 3 is refused" in failed[0]["error"]
    assert all(r["correct"] for r in rows if not r["error"])
    assert "(seed 7)" in rows[0]["candidates"][0]["steps"][0]  # the run's seed reached the server
    assert "minos batch" in on_ray.output and "self_consistency" in on_ray.output  # the summary at the end


@pytest.mark.ray
@pytest.mark.slow
def test_resume_on_ray_keeps_a_killed_runs_rows_and_retries_its_failures(local_ray, tmp_path):
    data = _problems(tmp_path / "problems.jsonl", 6)
    out, whole = tmp_path / "out.jsonl", tmp_path / "whole.jsonl"
    failing = {"1"}
    with scripted(failing) as (url, log):
        _batch(str(data), "-o", str(out), "--generator", url, *COMMON)
        failing.clear()
        _batch(str(data), "-o", str(whole), "--generator", url, *COMMON)  # what an uninterrupted run writes
        # a run killed while writing: 3 problems done (the 2nd failed), a torn line after them
        lines = out.read_bytes().splitlines(keepends=True)
        kept = b"".join(lines[:6])
        out.write_bytes(kept + lines[6][:40])
        del log[:]
        _batch(str(data), "-o", str(out), "--generator", url, *COMMON, "--ray", "--resume")
    asked = sorted({re.findall(r"\d+", body["prompt"].rsplit("Question:", 1)[-1])[0] for method, _, _, body in log if method == "POST"})
    assert asked == ["1", "3", "4", "5"]  # the failure again and the problems not done; not 0 and 2
    assert _rows(out) == _rows(whole)
    finished = [line for line in kept.splitlines(keepends=True) if not json.loads(line)["error"]]
    assert len(finished) == 4 and all(line in out.read_bytes().splitlines(keepends=True) for line in finished)  # kept as written


@pytest.mark.ray
@pytest.mark.slow
def test_data_sample_on_ray_writes_what_a_local_run_writes(local_ray, tmp_path):
    data = _problems(tmp_path / "problems.jsonl", 4)
    with scripted(failing=set()) as (url, _):
        args = ["data", "sample", str(data), "--generator", url, "--model", "m", "--n", "2", "--seed", "3"]
        local = runner.invoke(app, [*args, "-o", str(tmp_path / "local.jsonl")])
        on_ray = runner.invoke(app, [*args, "-o", str(tmp_path / "ray.jsonl"), "--ray"])
    assert local.exit_code == 0 and on_ray.exit_code == 0, (local.output[-2000:], on_ray.output[-2000:])
    rows = (tmp_path / "ray.jsonl").read_text().splitlines()
    assert rows == (tmp_path / "local.jsonl").read_text().splitlines() and len(rows) == 8


@pytest.mark.parametrize("args, said", [
    (["--ray-workers", "2"], "--ray-workers goes with --ray"),
    (["--ray", "somewhere"], "--ray 'somewhere': an address is auto, local"),
    (["--ray", "auto", "--ray-workers", "0"], "--ray-workers must be at least 1"),
])
def test_ray_usage_errors_are_one_line_before_anything_starts(tmp_path, args, said):
    data = _problems(tmp_path / "problems.jsonl", 1)
    result = runner.invoke(app, ["batch", str(data), "-o", str(tmp_path / "out.jsonl"), "--generator", "http://127.0.0.1:9/v1",
                                 *COMMON, *args])
    assert result.exit_code == 2 and said in result.output, result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_without_ray_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if the extra were not installed
    data = _problems(tmp_path / "problems.jsonl", 1)
    result = runner.invoke(app, ["batch", str(data), "-o", str(tmp_path / "out.jsonl"), "--generator", "http://127.0.0.1:9/v1",
                                 *COMMON, "--ray"])
    assert result.exit_code == 1 and "error: --ray needs Ray Data: pip install 'minos[ray]'" in result.output, result.output
    assert not (tmp_path / "out.jsonl").exists()
