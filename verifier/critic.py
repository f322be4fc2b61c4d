"""Critic verifiers: any language model, asked k times for the earliest wrong step and why, read as a PRM.

    critic:http://HOST:PORT/v1#MODEL[#OPTION...]   an OpenAI-compatible server (vLLM, SGLang, llama.cpp,
                                                  Ollama, a hosted API; --api-key), chat endpoint by default
    critic:PATH[#OPTION...]                        a local model: a .gguf file (llama.cpp), a transformers
                                                  folder, or a `minos train sft` (stage-1) adapter folder
    critic:default                                 the offline default model (weak: the path works, its
                                                  verdicts are poor)

OPTION: `processbench` or `minos` (the prompt style, see `minos.verifier.critiques`; default: `minos` for a
stage-1 adapter folder, `processbench` otherwise), `chat` or `completions` (the endpoint of a server).

Step i scores the share of readable critiques that find no error at or before step i, so every strategy,
aggregation, threshold and `minos eval` command works with a critic as with a PRM; the solver keeps, per
candidate, the majority verdict and one critique that gives it (`Candidate.critique`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from minos.core.types import Usage
from minos.generators.base import Generator, SamplingParams
from minos.generators.loop import wait_for
from minos.verifier.base import Assessment, BaseVerifier
from minos.verifier.critiques import PROMPTS, STYLES, critic_scores, first_error_of, summarize

__all__ = ["CriticVerifier", "critic_loader"]

_ENDPOINTS = ("chat", "completions")


class CriticVerifier(BaseVerifier):
    """Scores steps by sampling `samples` critiques of each solution from `generator`."""

    def __init__(
        self,
        generator: Generator,
        *,
        samples: int = 8,
        style: str = "processbench",
        temperature: float = 0.7,
        max_tokens: int = 1024,
        seed: int | None = 0,
    ) -> None:
        if samples < 1:
            raise ValueError("a critic needs at least one sample (--critic-samples)")
        if style not in STYLES:
            raise ValueError(f"unknown critique style {style!r}: use {' or '.join(STYLES)}")
        self.generator, self.style = generator, style
        self.params = SamplingParams(n=samples, temperature=temperature, max_tokens=max_tokens, seed=seed)
        self.name = f"critic:{generator.name}"
        self.threshold = 0.5  # a step is wrong when most readable critiques put an error at or before it

    async def aassess_batch(self, items) -> list[Assessment]:
        """Scores and critique of (question, steps) pairs; every critique request goes out at once (the
        generator bounds how many run together, as it does for sampling)."""
        prompts = [PROMPTS[self.style](question, steps) for question, steps in items]
        requests = [(p, self.params, [{"role": "user", "content": p}]) for p in prompts]
        answers = await self.generator.complete_many(requests)
        out = []
        for (_, steps), completions in zip(items, answers, strict=True):
            votes = [first_error_of(c.text, len(steps), self.style) for c in completions]
            usage = sum((c.usage for c in completions), Usage())
            critique = summarize(votes, [c.text for c in completions], usage)
            out.append(Assessment(tuple(critic_scores(votes, len(steps))), critique=critique))
        return out

    def assess_batch(self, items) -> list[Assessment]:
        return wait_for(self.aassess_batch(items))

    def score_batch(self, items) -> list[list[float]]:
        return [list(a.steps) for a in self.assess_batch(items)]


def critic_loader(spec: str, *, api_key: str | None = None, samples: int = 8, **kwargs) -> Callable[[], CriticVerifier]:
    """Check a `critic:...` spec (see the module doc) and return what builds its verifier; kwargs go to
    `CriticVerifier`. A bad spec is a ValueError here, before the critic's model loads."""
    from minos.generators import generator_loader

    target = spec.removeprefix("critic:")
    head, *options = target.split("#")
    http = head.startswith(("http://", "https://"))
    model = options.pop(0) if http and options else None
    if http and not model:
        raise ValueError(f"verifier {spec!r} needs the served model name: critic:{head}#MODEL")
    # an endpoint names how to reach a server: for a local model it is as unknown as a typo
    unknown = [o for o in options if o not in (*STYLES, *(_ENDPOINTS if http else ()))]
    if unknown:
        raise ValueError(f"verifier {spec!r}: unknown option {unknown[0]!r} (use {', '.join(STYLES)}"
                         f"{', chat or completions for a server' if http else ''})")
    style = next((o for o in options if o in STYLES), None)
    if http:
        endpoint = next((o for o in options if o in _ENDPOINTS), "chat")
        generator = generator_loader(head, model=model, api_key=api_key, endpoint=endpoint)
    elif head == "default":
        generator = generator_loader("default")
    elif head.endswith(".gguf"):
        generator = generator_loader(f"llamacpp:{head}")
    elif Path(head).is_dir():
        generator = generator_loader(f"hf:{head}")
        if style is None and Path(head, "adapter_config.json").exists():
            style = "minos"  # an adapter folder is what `minos train sft` writes: it learnt the stage-1 format
    else:
        raise ValueError(f"verifier {spec!r}: {head} is neither a server URL, a .gguf file nor a model folder")
    return lambda: CriticVerifier(generator(), samples=samples, style=style or "processbench", **kwargs)
