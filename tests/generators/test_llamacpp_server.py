"""Integration tests against a real OpenAI-compatible server: llama.cpp's server (the `llamacpp` extra)
serving the bundled Gemma 3 270M GGUF on 127.0.0.1."""

import asyncio

import pytest
from minos.generators import FewShotTemplate, GeneratorError, SamplingParams
from minos.generators.openai_http import OpenAIGenerator

from tests.servers import free_port, start_llamacpp

pytestmark = pytest.mark.server
pytest.importorskip("llama_cpp.server", reason="needs the llamacpp extra")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = start_llamacpp(port)
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


def test_the_offline_model_served_by_llamacpp_as_the_critic_of_a_solve(server):
    """The whole `critic:` path on a real server: gemma writes the solutions and critiques them (a base model:
    its verdicts are poor, often unreadable, and then abstain; the path must work)."""
    import json

    from minos.cli.main import app
    from typer.testing import CliRunner

    url, _ = server
    result = CliRunner().invoke(app, [
        "solve", "Tom has 3 apples and buys 4 more. How many apples?", "--generator", url, "--model", "gemma",
        "--verifier", f"critic:{url}#gemma", "--critic-samples", "2", "--n", "2", "--max-tokens", "64", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    critiques = [c["critique"] for c in out["candidates"]]
    assert len(critiques) == 2 and all(len(k["votes"]) == 2 for k in critiques)
    assert out["verifier_usage"]["prompt_tokens"] > 0 and out["verifier_usage"]["completion_tokens"] > 0
    for candidate, critique in zip(out["candidates"], critiques, strict=True):
        said = [v for v in critique["votes"] if v is not None]
        assert critique["first_error"] in ([None] if not said else said)
        assert all(0.0 <= s <= 1.0 for s in candidate["step_scores"])


def test_server_killed_mid_run_retries_then_clear_error():
    port = free_port()
    process = start_llamacpp(port)
    gen = OpenAIGenerator(f"http://127.0.0.1:{port}/v1", "gemma", max_retries=2, backoff=0.05, timeout=5)

    async def run():
        first = await gen.complete("Question: 1+1?\nAnswer:", SamplingParams(max_tokens=4))
        process.kill()
        process.wait()
        with pytest.raises(GeneratorError, match="no answer after 3 tries"):
            await gen.complete("Question: 1+1?\nAnswer:", SamplingParams(max_tokens=4))
        return first

    assert len(asyncio.run(run())) == 1
