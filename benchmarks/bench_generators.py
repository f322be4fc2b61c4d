"""Generators: the offline default's load time and sampling rate, and the HTTP path's overhead against
the raw `openai` client driving the same llama.cpp server at the same concurrency."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time

from benchmarks.common import print_table, raw_completions

QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"


def _offline(quick: bool, cold: bool) -> list[list]:
    from minos.core.models import default_model_path
    from minos.solver.generators import FewShotTemplate, SamplingParams
    from minos.solver.generators.transformers_local import TransformersGenerator

    rows = []
    if cold:
        saved = os.environ.get("MINOS_CACHE")
        os.environ["MINOS_CACHE"] = tempfile.mkdtemp(prefix="minos-cold-")
        started = time.perf_counter()
        TransformersGenerator()
        rows.append(["load, cold (GGUF conversion + save)", time.perf_counter() - started, "", ""])
        os.environ.pop("MINOS_CACHE") if saved is None else os.environ.__setitem__("MINOS_CACHE", saved)
    default_model_path()  # make sure the cache exists before timing a cached load
    started = time.perf_counter()
    gen = TransformersGenerator()
    rows.append(["load, cached", time.perf_counter() - started, "", ""])
    prompt = FewShotTemplate().render(QUESTION)
    max_tokens = 32 if quick else 64
    for n in (1, 8):
        params = SamplingParams(n=n, max_tokens=max_tokens, temperature=0.8, seed=0, stop=())
        asyncio.run(gen.complete(prompt, params.with_(max_tokens=4)))  # warm-up
        started = time.perf_counter()
        out = asyncio.run(gen.complete(prompt, params))
        seconds = time.perf_counter() - started
        tokens = sum(c.usage.completion_tokens for c in out)
        rows.append([f"sample n={n}, {max_tokens} new tokens each", seconds, tokens, tokens / seconds])
    return rows


async def _minos(url: str, prompts: list[str], concurrency: int, max_tokens: int) -> tuple[float, int]:
    from minos.solver.generators import FewShotTemplate, SamplingParams
    from minos.solver.generators.openai_http import OpenAIGenerator

    gen = OpenAIGenerator(url, "gemma", max_concurrency=concurrency)
    stop = FewShotTemplate().stop
    started = time.perf_counter()
    outs = await asyncio.gather(
        *(gen.complete(p, SamplingParams(n=1, max_tokens=max_tokens, temperature=0.0, seed=i, stop=stop)) for i, p in enumerate(prompts))
    )
    seconds = time.perf_counter() - started
    await gen.aclose()
    return seconds, sum(c.usage.completion_tokens for out in outs for c in out)


def _http(quick: bool) -> list[list]:
    import json

    from minos.solver.generators import FewShotTemplate

    from tests.conftest import FIXTURES
    from tests.servers import free_port, start_llamacpp

    questions = [json.loads(line)["question"] for line in (FIXTURES / "gsm8k_sample.jsonl").open()]
    # each question twice with different seeds' worth of prompts: enough requests to keep every slot busy
    prompts = [FewShotTemplate().render(q) for q in questions * 4][: 6 if quick else 16]
    port = free_port()
    server = start_llamacpp(port)
    url = f"http://127.0.0.1:{port}/v1"
    rows = []
    try:
        for concurrency in (1, 4):
            best = {"raw": (1e9, 0), "minos": (1e9, 0)}
            asyncio.run(raw_completions(url, prompts[:1], 1, 4))  # warm-up
            for _ in range(1 if quick else 3):  # alternate, keep each side's best run
                for name, fn in (("raw", raw_completions), ("minos", _minos)):
                    seconds, tokens = asyncio.run(fn(url, prompts, concurrency, 48))
                    if seconds < best[name][0]:
                        best[name] = (seconds, tokens)
            raw_rate = best["raw"][1] / best["raw"][0]
            minos_rate = best["minos"][1] / best["minos"][0]
            rows.append([concurrency, len(prompts), best["raw"][1], raw_rate, best["minos"][1], minos_rate, minos_rate / raw_rate])
    finally:
        server.kill()
        server.wait()
    return rows


def main(quick: bool = False, cold: bool = False) -> None:
    print_table(
        "offline default generator (Gemma 3 270M, transformers, CPU)", ["what", "seconds", "tokens", "tokens/s"],
        _offline(quick, cold),
    )
    print_table(
        "HTTP path: Minos OpenAIGenerator vs the raw openai client, same llama.cpp server (greedy, 48 tokens max)",
        ["concurrency", "requests", "raw tokens", "raw tok/s", "minos tokens", "minos tok/s", "ratio"],
        _http(quick),
    )


if __name__ == "__main__":
    main()
