import asyncio
import subprocess
import sys

import pytest
from minos.generators import (
    FewShotTemplate,
    GeneratorError,
    SamplingParams,
    load_generator,
    template_for,
)
from minos.generators.openai_http import OpenAIGenerator
from minos.generators.transformers_local import TransformersGenerator

from tests.servers import json_server


def test_fewshot_template_continues_a_partial_solution():
    t = FewShotTemplate()
    assert t.render("What is 2+2?").endswith("Question: What is 2+2?\nAnswer: ")
    assert t.render("What is 2+2?", ["2+2=4."]).endswith("Answer: 2+2=4.\n\n")


def test_chat_template_rendered_on_the_client(tiny_lm):
    t = template_for(f"chat:{tiny_lm}")
    prompt = t.render("What is 2+2?", ["2+2=4."])
    assert prompt.startswith("<s>user: What is 2+2?") and prompt.endswith("<s>assistant: 2+2=4.\n\n")


def test_unknown_specs():
    with pytest.raises(ValueError, match="unknown generator"):
        load_generator("ftp://x")
    with pytest.raises(ValueError, match="needs a model name"):
        load_generator("http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="unknown prompt template"):
        template_for("jinja")


# a spec is checked in a fresh process, then the back ends' heavy modules must still be unimported
_HEAVY = "print(sorted(m for m in ('torch', 'transformers', 'llama_cpp', 'openai', 'vllm') if m in sys.modules))"


@pytest.mark.parametrize(
    "check",
    [
        "from minos.generators import generator_loader as g; g('default'); g('hf:/x'); g('http://h/v1', model='m')",
        "from minos.verifier import verifier_loader as v; v('default'); v('hybrid:/x#qwen-prm'); v('http://h/v1#m'); "
        "v('critic:default'); v('critic:http://h/v1#m#completions')",
    ],
    ids=["generators", "verifiers"],
)
def test_checking_a_spec_loads_nothing(check):
    out = subprocess.run([sys.executable, "-c", f"import sys; {check}; {_HEAVY}"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_tiny_transformers_generator_samples_n_with_stop_and_seed(tiny_lm):
    gen = TransformersGenerator(tiny_lm)
    params = SamplingParams(n=3, temperature=1.0, max_tokens=12, seed=7, stop=(" ",))
    first = asyncio.run(gen.complete("Question: 2+2?", params))
    again = asyncio.run(gen.complete("Question: 2+2?", params))
    assert len(first) == 3
    assert [c.text for c in first] == [c.text for c in again]  # same seed, same samples
    for c in first:
        assert " " not in c.text  # cut at the stop string
        assert 1 <= c.usage.completion_tokens <= 12
    assert first[0].usage.prompt_tokens > 0 and first[1].usage.prompt_tokens == 0


def test_transformers_complete_many_is_one_generate_call_and_matches_one_by_one(tiny_lm):
    gen = TransformersGenerator(tiny_lm)
    calls = []
    real = gen.model.generate
    gen.model.generate = lambda *a, **k: calls.append(k["input_ids"].shape) or real(*a, **k)
    prompts = ["Question: 2+2?", "Question: Tom has 3 apples and buys 4 more. How many?", "Natalia sold 48"]
    greedy = [SamplingParams(n=n, temperature=0.0, max_tokens=10, seed=s) for n, s in ((2, 1), (1, 2), (3, 3))]
    batched = asyncio.run(gen.complete_many([(p, params, None) for p, params in zip(prompts, greedy, strict=True)]))
    assert len(calls) == 1 and calls[0][0] == 6  # one call, 2 + 1 + 3 rows (left-padded to one width)
    assert [len(c) for c in batched] == [2, 1, 3]
    for prompt, params, got in zip(prompts, greedy, batched, strict=True):
        (alone,) = asyncio.run(gen.complete(prompt, params.with_(n=1)))
        assert got[0].text == alone.text  # left padding changes nothing
        assert got[0].usage.prompt_tokens == alone.usage.prompt_tokens and got[-1].usage.prompt_tokens in (0, alone.usage.prompt_tokens)
    assert [c.usage.prompt_tokens > 0 for c in batched[2]] == [True, False, False]  # the prompt charged once


def test_complete_many_falls_back_to_concurrent_calls():
    from tests.fakes import ScriptedGenerator

    gen = ScriptedGenerator(["a\n\nThe answer is 1."])
    out = asyncio.run(gen.complete_many([("p1", SamplingParams(n=2), None), ("p2", SamplingParams(n=1), None)]))
    assert [len(c) for c in out] == [2, 1] and len(gen.calls) == 2


def test_vllm_without_the_extra_is_a_clear_usage_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    with pytest.raises(ValueError, match=r"pip install 'minos\[vllm\]'"):
        load_generator("vllm:Qwen/Qwen2.5-Math-7B-Instruct")


def test_vllm_generator_when_installed():
    pytest.importorskip("vllm")
    with pytest.raises(Exception):  # noqa: B017 - vLLM cannot start on a CPU-only machine without weights
        load_generator("vllm:/nonexistent")


# ------------------------------------------------------------------ a scripted OpenAI-compatible server


def _openai(script: dict):
    """Answers the completions API the way the script says: failures first, a wrong model, a long prompt."""

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "served-model", "object": "model"}]}
        script.setdefault("requests", []).append(body)
        failures = script.get("fail", [])
        if failures:
            return failures.pop(0), {"error": {"message": "busy"}}
        if body["model"] != "served-model":
            return 404, {"error": {"message": f"model {body['model']} not found"}}
        if len(body["prompt"]) > 5000:
            return 400, {"error": {"message": "This model's maximum context length is 2048 tokens"}}
        n = 1 if script.get("ignore_n") else body.get("n", 1)
        choices = [{"index": i, "text": f"s{body.get('seed')}-{i}", "finish_reason": "stop", "logprobs": None} for i in range(n)]
        return 200, {"id": "x", "object": "text_completion", "created": 0, "model": body["model"], "choices": choices,
                     "usage": {"prompt_tokens": 5, "completion_tokens": 2 * n, "total_tokens": 5 + 2 * n}}

    return respond


@pytest.fixture
def fake_server():
    script: dict = {}
    with json_server(_openai(script)) as url:
        yield url, script


def test_http_n_is_honoured_by_fanning_out(fake_server):
    url, script = fake_server
    script["ignore_n"] = True
    gen = OpenAIGenerator(url, "served-model")
    out = asyncio.run(gen.complete("p", SamplingParams(n=4, seed=10)))
    assert len(out) == 4 and gen.supports_n is False
    assert len({c.text for c in out}) == 4  # each fanned-out request has its own seed


def test_http_retries_5xx_then_succeeds(fake_server):
    url, script = fake_server
    script["fail"] = [503, 429]
    gen = OpenAIGenerator(url, "served-model", backoff=0.01)
    out = asyncio.run(gen.complete("p", SamplingParams(n=2)))
    assert len(out) == 2 and len(script["requests"]) == 3


def test_http_wrong_model_and_context_overflow_are_clear(fake_server):
    url, _ = fake_server
    with pytest.raises(GeneratorError, match="does not serve model 'nope'; it serves: served-model"):
        asyncio.run(OpenAIGenerator(url, "nope").complete("p", SamplingParams()))
    with pytest.raises(GeneratorError, match="does not fit the model's context"):
        asyncio.run(OpenAIGenerator(url, "served-model").complete("x" * 6000, SamplingParams()))


def test_http_unreachable_server_retries_then_fails():
    gen = OpenAIGenerator("http://127.0.0.1:9/v1", "m", max_retries=2, backoff=0.01, timeout=2)
    with pytest.raises(GeneratorError, match="no answer after 3 tries"):
        asyncio.run(gen.complete("p", SamplingParams()))
