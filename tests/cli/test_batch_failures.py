"""`minos batch` against servers that fail: a dead one stops the batch early with one line, a flaky one
(random delays, 429, 500, connection resets) still ends with every problem exactly once, and Ctrl-C at any
moment followed by --resume loses and duplicates nothing. Real loopback servers, real subprocesses."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from tests.servers import RESET, free_port, json_server

pytestmark = pytest.mark.slow


def _problems(path, count: int) -> None:
    with path.open("w") as handle:
        for i in range(count):
            handle.write(json.dumps({"question": f"Problem {i}: Tom has {i} apples. How many?", "answer": f"#### {i}"}) + "\n")


def _batch(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "minos.cli.main", "batch", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def _ids(path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


@contextmanager
def chaos_server(seed: int = 0, *, p429=0.1, p500=0.1, preset=0.05, max_delay=0.05):
    """An OpenAI-style completions server that answers with the first number of the last question, after a
    random delay, or with 429, 500 or a connection reset (RST, no answer)."""
    rng, lock = random.Random(seed), threading.Lock()
    counts = {"ok": 0, "429": 0, "500": 0, "reset": 0}

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "m", "object": "model"}]}
        with lock:
            roll, delay = rng.random(), rng.random() * max_delay
        time.sleep(delay)
        for kind, edge in (("reset", preset), ("429", preset + p429), ("500", preset + p429 + p500)):
            if roll < edge:
                counts[kind] += 1
                return RESET if kind == "reset" else (int(kind), {"error": {"message": kind}})
        counts["ok"] += 1
        question = body["prompt"].rsplit("Question:", 1)[-1]
        number = re.findall(r"\d+", question.split(":", 1)[-1])[0]
        text = f"We count {number}.\n\nThe answer is {number}."
        return 200, {
            "id": "x", "object": "text_completion", "created": 0, "model": "m",
            "choices": [{"index": i, "text": text, "finish_reason": "stop", "logprobs": None} for i in range(body.get("n") or 1)],
            "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
        }

    with json_server(respond) as url:
        yield url, counts


COMMON = ["--model", "m", "--verifier", "symbolic", "--strategy", "self_consistency", "--n", "1", "--max-tokens", "32"]


def test_a_dead_server_stops_the_batch_with_one_line_then_resume_finishes(tmp_path):
    data, out = tmp_path / "problems.jsonl", tmp_path / "out.jsonl"
    _problems(data, 200)
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    started = time.monotonic()
    result = _batch(str(data), "-o", str(out), "--generator", dead, "--concurrency", "4", *COMMON)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and dead in errors[0] and "--resume" in errors[0], result.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]  # valid JSONL
    assert 3 <= len(rows) <= 8 and all(r["error"] for r in rows)  # it stopped, it did not try all 200
    print(f"dead server: stopped after {len(rows)} problems in {elapsed:.1f} s")
    with chaos_server(p429=0, p500=0, preset=0, max_delay=0) as (url, _):
        again = _batch(str(data), "-o", str(out), "--generator", url, "--concurrency", "16", "--resume", *COMMON)
    assert again.returncode == 0, again.stderr[-2000:]
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == 200  # the failed rows were retried, once each
    assert not any(json.loads(line).get("error") for line in out.read_text().splitlines())


def test_a_flaky_server_at_concurrency_64_loses_and_duplicates_nothing(tmp_path):
    data, out = tmp_path / "problems.jsonl", tmp_path / "out.jsonl"
    _problems(data, 500)
    with chaos_server(seed=1) as (url, counts):
        result = _batch(str(data), "-o", str(out), "--generator", url, "--concurrency", "64", *COMMON)
        assert result.returncode == 0, result.stderr[-2000:]
        ids = _ids(out)
        assert len(ids) == len(set(ids)) == 500
        failed = [json.loads(line)["id"] for line in out.read_text().splitlines() if json.loads(line).get("error")]
        # rows that still failed after every retry are retried by --resume, and the file keeps one row each
        again = _batch(str(data), "-o", str(out), "--generator", url, "--concurrency", "64", "--resume", *COMMON)
        assert again.returncode == 0, again.stderr[-2000:]
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == 500
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["correct"] for r in rows), [r for r in rows if not r["correct"]][:2]
    assert counts["429"] and counts["500"] and counts["reset"]
    print(f"chaos run: {counts}, failed after retries on the first pass: {len(failed)}")


@pytest.mark.parametrize("seed", [0, 1])
def test_ctrl_c_at_a_random_moment_then_resume(tmp_path, seed):
    data, out = tmp_path / "problems.jsonl", tmp_path / "out.jsonl"
    _problems(data, 300)
    with chaos_server(seed=seed, p429=0.05, p500=0.05, preset=0.02) as (url, _):
        command = [sys.executable, "-m", "minos.cli.main", "batch", str(data), "-o", str(out), "--generator", url,
                   "--concurrency", "32", *COMMON]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while (not out.exists() or out.stat().st_size < 2000) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        time.sleep(random.Random(seed).random() * 1.5)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        partial = _ids(out)  # still valid JSONL, no torn line, no duplicate
        assert len(partial) == len(set(partial))
        again = _batch(str(data), "-o", str(out), "--generator", url, "--concurrency", "32", "--resume", *COMMON)
        assert again.returncode == 0, again.stderr[-2000:]
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == 300
