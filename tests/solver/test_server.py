"""`minos serve`: the real `openai` client against the app on loopback (plain and streamed answers, OpenAI
-style 4xx errors, concurrent requests sharing one generator), and the command itself in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import openai
import pytest
from minos.solver import SolverConfig
from minos.solver.server import create_app
from minos.verifier import load_verifier

from tests.fakes import ScriptedGenerator
from tests.servers import free_port, json_server

RIGHT = "48 / 2 = 24.\n\nThe answer is 24."
WRONG = "48 / 2 = 26.\n\nThe answer is 26."
QUESTION = "Natalia had 48 clips and sold half of them. How many did she sell?"


@contextmanager
def serving(config: SolverConfig, name: str = "minos"):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config, model_name=name), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0)
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture
def config():
    # WRONG twice, RIGHT once: the symbolic verifier zeroes the wrong arithmetic, so the weighted vote says 24
    return SolverConfig(generator=ScriptedGenerator([WRONG, RIGHT, WRONG]), verifier=load_verifier("symbolic"),
                        strategy="weighted_vote", n=3)


def test_models_and_a_plain_answer(config):
    with serving(config) as client:
        assert [m.id for m in client.models.list()] == ["minos"]
        reply = client.chat.completions.create(model="minos", messages=[
            {"role": "system", "content": "You are helpful."}, {"role": "user", "content": QUESTION}])
    assert reply.choices[0].message.content == RIGHT
    assert reply.choices[0].finish_reason == "stop" and reply.usage.completion_tokens > 0
    assert reply.model_extra["minos"]["answer"] == "24" and reply.model_extra["minos"]["candidates"] == 3


def test_streamed_answer(config):
    with serving(config) as client:
        stream = client.chat.completions.create(model="minos", messages=[{"role": "user", "content": QUESTION}], stream=True)
        chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == RIGHT
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(model="gpt-4", messages=[{"role": "user", "content": "q"}]), openai.NotFoundError, "does not exist"),
        (dict(model="minos", messages=[]), openai.BadRequestError, "non-empty list"),
        (dict(model="minos", messages=[{"role": "system", "content": "hi"}]), openai.BadRequestError, "no user message"),
        (dict(model="minos", messages=[{"role": "user", "content": "  "}]), openai.BadRequestError, "has no text"),
        (dict(model="minos", messages=[{"role": "user", "content": "q"}], n=2), openai.BadRequestError, "only n=1"),
    ],
)
def test_bad_requests_get_openai_style_errors(config, kwargs, error, message):
    with serving(config) as client, pytest.raises(error, match=message) as caught:
        client.chat.completions.create(**kwargs)
    assert caught.value.body["type"] == "invalid_request_error" or caught.value.status_code == 404


def test_content_parts_and_concurrent_requests_share_one_generator(config):
    with serving(config) as client:
        def ask(i: int) -> str:
            return client.chat.completions.create(model="minos", messages=[
                {"role": "user", "content": [{"type": "text", "text": f"{QUESTION} (#{i})"}]}]).choices[0].message.content

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(ask, range(16)))
    assert len(replies) == 16 and all(r.endswith(("24.", "26.")) for r in replies)
    assert len(config.generator.calls) == 16  # one generator served every request (n=3 in one call each)


def test_a_failing_generator_is_a_server_error(config):
    class Down(ScriptedGenerator):
        async def complete(self, prompt, params, *, messages=None):
            raise ConnectionError("generator down")

    broken = SolverConfig(generator=Down([]), verifier=None, strategy="greedy")
    with serving(broken) as client, pytest.raises(openai.APIStatusError, match="generator down") as caught:
        client.chat.completions.create(model="minos", messages=[{"role": "user", "content": "q"}])
    assert caught.value.status_code == 502


def _arithmetic(method, path, body):
    if method == "GET":
        return 200, {"object": "list", "data": [{"id": "m", "object": "model"}]}
    choices = [{"index": i, "text": RIGHT, "finish_reason": "stop"} for i in range(body.get("n") or 1)]
    return 200, {"id": "x", "object": "text_completion", "created": 0, "model": "m", "choices": choices,
                 "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}


@pytest.mark.slow
@pytest.mark.server
def test_the_serve_command_end_to_end():
    """`minos serve --serve-api-key K`: 401 without K, answers with it, /health open, /metrics behind K."""
    port = free_port()
    with json_server(_arithmetic) as url:
        process = subprocess.Popen(
            [sys.executable, "-m", "minos.cli.main", "serve", "--port", str(port), "--generator", url, "--model", "m",
             "--verifier", "symbolic", "--served-model-name", "minos-test", "--serve-api-key", "K-123",
             "--max-concurrent-solves", "2", "--max-queue", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 180  # the port opens once the models load: slow on a busy machine
            while time.time() < deadline:
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=1)
                    break
                except OSError:
                    assert process.poll() is None, process.stderr.read()
                    time.sleep(0.3)
            with pytest.raises(openai.AuthenticationError):
                openai.OpenAI(base_url=f"{base}/v1", api_key="wrong", max_retries=0).models.list()
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="K-123", max_retries=0)
            reply = client.chat.completions.create(model="minos-test", messages=[{"role": "user", "content": QUESTION}])
            assert reply.choices[0].message.content == RIGHT
            metrics = urllib.request.urlopen(urllib.request.Request(f"{base}/metrics", headers={"Authorization": "Bearer K-123"}))
            assert 'minos_requests_total{status="200"} 1.0' in metrics.read().decode()
        finally:
            process.terminate()
            out, err = process.communicate(timeout=120)  # a drain, then the interpreter's teardown (slow on a busy machine)
        assert process.returncode == 0, err  # SIGTERM drained and exited cleanly
        assert "K-123" not in out + err
