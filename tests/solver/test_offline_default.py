"""The offline default generator: Gemma 3 270M from the PyPI package, run by llama.cpp in-process (and by
transformers, from a copy converted once and cached, for `hf:` use and the verifier)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from minos.generators import FewShotTemplate, SamplingParams, load_generator

pytestmark = [pytest.mark.gguf, pytest.mark.slow]


@pytest.fixture(scope="module", params=["llamacpp", "transformers"])
def default_generator(request):
    if request.param == "llamacpp":
        generator = load_generator("default")
        assert type(generator).__name__ == "LlamaCppGenerator"  # the default when llama-cpp-python is there
        return generator
    from minos.generators.transformers_local import TransformersGenerator

    return TransformersGenerator()


def test_converted_once_then_cached():
    from minos.core.models import default_model_path

    default_model_path()
    path = default_model_path()  # the second call returns the cache
    assert (path / "config.json").exists() and not list(path.parent.glob(".gemma3-270m.*"))  # no staging left
    assert "quantization_config" not in json.loads((path / "config.json").read_text())


def test_samples_n_sequences_with_stop(default_generator):
    prompt = FewShotTemplate().render("Tom has 3 apples and buys 4 more. How many apples does he have?")
    params = SamplingParams(n=3, max_tokens=16, temperature=0.8, seed=0, stop=("\n\n",))
    out = asyncio.run(default_generator.complete(prompt, params))
    again = asyncio.run(default_generator.complete(prompt, params))
    assert len(out) == 3 and [c.text for c in out] == [c.text for c in again]
    assert all("\n\n" not in c.text and 1 <= c.usage.completion_tokens <= 16 for c in out)


def test_llamacpp_seeded_samples_do_not_depend_on_what_ran_before():
    generator = load_generator("default")
    template = FewShotTemplate()
    prompt = template.render("Tom has 3 apples and buys 4 more. How many apples does he have?")
    params = SamplingParams(n=2, max_tokens=24, temperature=0.8, seed=7, stop=template.stop)
    first = [c.text for c in asyncio.run(generator.complete(prompt, params))]
    asyncio.run(generator.complete(template.render("Lisa has 10 pens and gives 3 away. How many are left?"), params))
    assert [c.text for c in asyncio.run(generator.complete(prompt, params))] == first
    # a partial solution is continued one step (the step delimiter is a stop string)
    (step,) = asyncio.run(generator.complete(template.render("What is 2 + 2?", ["2 + 2 = 4."]),
                                             SamplingParams(n=1, max_tokens=24, temperature=0.0, stop=("\n\n",))))
    assert "\n\n" not in step.text and step.usage.completion_tokens >= 1


def test_llamacpp_side_by_side_samples_fit_the_cache():
    """n samples share the prompt's cache cells and take their own: a small context draws them in groups
    (here two at a time), a prompt over one llama.cpp batch (512 tokens) is read in chunks, and a prompt
    the context cannot hold is one clear error."""
    from minos.generators.llamacpp_local import LlamaCppGenerator

    template = FewShotTemplate()
    prompt = template.render("Tom has 3 apples and buys 4 more. How many apples does he have?")
    big = LlamaCppGenerator()
    size = len(big.model.tokenize(prompt.encode("utf-8"), special=True))
    small = LlamaCppGenerator(n_ctx=size + 100, model=big.model)  # room for 2 samples of 48 tokens at a time
    params = SamplingParams(n=5, max_tokens=48, temperature=0.8, seed=3, stop=template.stop)
    out = asyncio.run(small.complete(prompt, params))
    assert len(out) == 5 and [c.text for c in asyncio.run(small.complete(prompt, params))] == [c.text for c in out]
    assert out[0].usage.prompt_tokens == size and all(c.usage.prompt_tokens == 0 for c in out[1:])
    assert all(1 <= c.usage.completion_tokens <= 48 for c in out) and len({c.text for c in out}) > 1

    long = template.render("Tom has 3 apples. " * 120 + "How many apples does he have?")
    (cut,) = asyncio.run(big.complete(long, SamplingParams(n=1, max_tokens=8, temperature=0.8, seed=1)))
    assert cut.usage.prompt_tokens > 512 and cut.usage.completion_tokens == 8 and cut.finish_reason == "length"
    with pytest.raises(ValueError, match=r"prompt of \d+ tokens does not fit llama.cpp's context of \d+"):
        asyncio.run(small.complete(long, SamplingParams(n=1, max_tokens=8)))


_SCRIPT_THAT_EXITS = """
from minos.solver import SolverConfig, solve
from minos.generators import load_generator
from minos.verifier import load_verifier

generator, verifier = load_generator("default"), load_verifier("hybrid:default")
result = solve("Tom has 3 apples and buys 4 more. How many apples?", SolverConfig(generator=generator, verifier=verifier, n=2, max_tokens=24))
print(len(result.candidates))
"""


def test_a_script_with_the_default_generator_exits_cleanly():
    """A plain script that solves and ends without closing anything: llama.cpp's context freed during the
    interpreter's teardown logged through a Python callback into it (a segfault), and the Llama object's
    own teardown printed an ignored TypeError."""
    out = subprocess.run([sys.executable, "-c", _SCRIPT_THAT_EXITS], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "2"
    assert "Exception ignored" not in out.stderr and "Fatal Python error" not in out.stderr, out.stderr[-2000:]


def test_minos_solve_runs_offline_on_the_default(tmp_path):
    """The README's main command, in a fresh process with the network turned off for the hub."""
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"}

    env["HOME"] = os.environ.get("HOME", str(tmp_path))
    if "MINOS_CACHE" in os.environ:
        env["MINOS_CACHE"] = os.environ["MINOS_CACHE"]
    out = subprocess.run(
        [sys.executable, "-m", "minos.cli.main", "solve", "Tom has 3 apples and buys 4 more. How many apples?",
         "--n", "2", "--max-tokens", "48", "--json"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert len(result["candidates"]) == 2 and "answer" in result
    # scored by the shipped verifier (hybrid:default, the CLI's default): probabilities, not the 1/0.5/0
    # of the symbolic checker alone
    scores = [s for c in result["candidates"] for s in c["step_scores"]]
    assert scores and any(s not in (0.0, 0.5, 1.0) for s in scores)


def test_loading_llamacpp_writes_nothing_to_the_terminal(capfd, caplog):
    """llama.cpp's log lines ("llama_kv_cache_iswa: using full-size SWA cache ...") go to the `minos` logger
    at debug level, not to the caller's stderr (they were printed whatever `verbose` said)."""
    from minos.generators.llamacpp_local import LlamaCppGenerator

    with caplog.at_level("DEBUG", logger="minos"):
        LlamaCppGenerator(n_ctx=256, threads=1)
    out, err = capfd.readouterr()
    assert "llama" not in out + err
    assert any("llama.cpp: llama_kv_cache" in r.getMessage() for r in caplog.records)


def test_the_bundled_gguf_in_process_is_a_critic_verifier():
    """`critic:PATH.gguf` (llama.cpp in this process) and `critic:default`: the path works end to end; the
    base model's critiques are rarely readable, so most samples abstain and the scores sit near 0.5."""
    pytest.importorskip("llama_cpp")
    from minos.generators.llamacpp_local import bundled_gguf
    from minos.verifier import load_verifier

    steps = ["Natalia sold 48 / 2 = 24 clips in May.", "Altogether she sold 48 + 24 = 72 clips.", "The answer is 72."]
    for spec in (f"critic:{bundled_gguf()}", "critic:default"):
        critic = load_verifier(spec, critic_samples=2, max_tokens=24)
        (assessed,) = critic.assess_batch([("How many clips did Natalia sell in April and May?", steps)])
        scores, critique = assessed.steps, assessed.critique
        assert critic.style == "processbench" and len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)
        assert len(critique.votes) == 2 and critique.usage.prompt_tokens > 0
