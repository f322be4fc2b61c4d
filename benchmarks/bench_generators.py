"""Generators: the offline default's load time and sampling rate on both in-process back ends, `minos
solve` on GSM8K problems with each, and the HTTP path's overhead against the raw `openai` client driving
the same llama.cpp server at the same concurrency."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time

from benchmarks.common import print_table, raw_completions

QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"


def _offline(quick: bool, cold: bool) -> list[list]:
    from minos.core.models import default_model_path
    from minos.generators.llamacpp_local import LlamaCppGenerator
    from minos.generators.transformers_local import TransformersGenerator

    rows = []
    if cold:
        saved = os.environ.get("MINOS_CACHE")
        os.environ["MINOS_CACHE"] = tempfile.mkdtemp(prefix="minos-cold-")
        started = time.perf_counter()
        TransformersGenerator()
        rows.append(["transformers", "load, cold (GGUF conversion + save)", time.perf_counter() - started, "", ""])
        os.environ.pop("MINOS_CACHE") if saved is None else os.environ.__setitem__("MINOS_CACHE", saved)
    default_model_path()  # make sure the cache exists before timing a cached load
    for name, make in (("transformers", TransformersGenerator), ("llama.cpp", LlamaCppGenerator)):
        started = time.perf_counter()
        gen = make()
        rows.append([name, "load, cached", time.perf_counter() - started, "", ""])
        rows += [[name, *row] for row in _rates(gen, quick)]
    return rows


def _rates(gen, quick: bool) -> list[list]:
    from minos.generators import FewShotTemplate, SamplingParams

    prompt = FewShotTemplate().render(QUESTION)
    max_tokens = 32 if quick else 64
    rows = []
    for n in (1, 8):
        params = SamplingParams(n=n, max_tokens=max_tokens, temperature=0.8, seed=0, stop=())
        asyncio.run(gen.complete(prompt, params.with_(max_tokens=4)))  # warm-up
        started = time.perf_counter()
        out = asyncio.run(gen.complete(prompt, params))
        seconds = time.perf_counter() - started
        tokens = sum(c.usage.completion_tokens for c in out)
        rows.append([f"sample n={n}, {max_tokens} new tokens each", seconds, tokens, tokens / seconds])
    # the same 8 samples one call each (seeds 0..7), one after another: what llama.cpp did before it drew
    # a prompt's samples side by side
    started = time.perf_counter()
    out = [c for i in range(8) for c in asyncio.run(gen.complete(prompt, params.with_(n=1, seed=i)))]
    seconds = time.perf_counter() - started
    tokens = sum(c.usage.completion_tokens for c in out)
    rows.append([f"8 calls of n=1, {max_tokens} new tokens each", seconds, tokens, tokens / seconds])
    return rows


def search_step(gen, prefixes: int = 8, max_tokens: int = 40, repeats: int = 2) -> list[list]:
    """One beam-search step: `prefixes` distinct partial solutions, one sample each, as `complete` calls
    one after another (what the in-process back ends did before) and as one `complete_many` batch."""
    from minos.generators import FewShotTemplate, SamplingParams

    template = FewShotTemplate()
    steps = ["In May Natalia sold 48 / 2 = 24 clips.", "Altogether she sold 48 + 24 = 72 clips.", "She sold 72 clips."]
    prompts = [template.render(QUESTION, steps[: 1 + i % 3] + [f"Check {i}: 48 + 24 = 72."]) for i in range(prefixes)]
    params = [SamplingParams(n=1, max_tokens=max_tokens, temperature=0.8, seed=i, stop=("\n\n",)) for i in range(prefixes)]
    asyncio.run(gen.complete(prompts[0], params[0].with_(max_tokens=2)))  # warm-up
    timings = {}
    for name in ("one call per prefix", "one batched call"):
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            if name == "one batched call":
                asyncio.run(gen.complete_many([(p, q, None) for p, q in zip(prompts, params, strict=True)]))
            else:
                for p, q in zip(prompts, params, strict=True):
                    asyncio.run(gen.complete(p, q))
            best = min(best, time.perf_counter() - started)
        timings[name] = best
    base = timings["one call per prefix"]
    return [[name, prefixes, seconds, base / seconds] for name, seconds in timings.items()]


def _solve(quick: bool) -> list[list]:
    """`minos solve`'s work on the first GSM8K test problems at n=4 (weighted vote, symbolic verifier) with
    each in-process back end of the offline default: wall time and accuracy."""
    from minos.core.data import load_problems
    from minos.generators.llamacpp_local import LlamaCppGenerator
    from minos.generators.transformers_local import TransformersGenerator
    from minos.solver import asolve, build

    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "gsm8k" / "test.jsonl"
    problems = load_problems(path)[: 2 if quick else 5] if path.exists() else []
    if not problems:
        return [["(../shared/data/gsm8k/test.jsonl absent)", "", "", "", ""]]
    rows = []
    for name, make in (("transformers", TransformersGenerator), ("llama.cpp", LlamaCppGenerator)):
        config = build(generator=make(), verifier="symbolic", strategy="weighted_vote", n=4, max_tokens=256)
        started, right, tokens = time.perf_counter(), 0, 0
        for p in problems:
            result = asyncio.run(asolve(p.question, config, reference=p.reference))
            right += bool(result.correct)
            tokens += result.usage.completion_tokens
        seconds = time.perf_counter() - started
        rows.append([name, len(problems), seconds, tokens, f"{right}/{len(problems)}"])
    return rows


async def _minos(url: str, prompts: list[str], concurrency: int, max_tokens: int) -> tuple[float, int]:
    from minos.generators import FewShotTemplate, SamplingParams
    from minos.generators.openai_http import OpenAIGenerator

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

    from minos.generators import FewShotTemplate

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
        "offline default generator (Gemma 3 270M, CPU)", ["back end", "what", "seconds", "tokens", "tokens/s"],
        _offline(quick, cold),
    )
    from minos.generators.transformers_local import TransformersGenerator

    print_table(
        "one search step, 8 distinct prefixes, Gemma 3 270M on transformers (max 40 new tokens; greedy stops vary)",
        ["how", "prefixes", "seconds", "speed-up"], search_step(TransformersGenerator(), repeats=1 if quick else 2),
    )
    print_table(
        "solve GSM8K test problems at n=4 (weighted vote, symbolic verifier), offline default",
        ["back end", "problems", "seconds", "tokens", "right"], _solve(quick),
    )
    print_table(
        "HTTP path: Minos OpenAIGenerator vs the raw openai client, same llama.cpp server (greedy, 48 tokens max)",
        ["concurrency", "requests", "raw tokens", "raw tok/s", "minos tokens", "minos tok/s", "ratio"],
        _http(quick),
    )


if __name__ == "__main__":
    main()
