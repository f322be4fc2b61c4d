"""In-process vLLM generator (`pip install minos[vllm]`), with prefix caching on so that the shared
problem prompt and partial solutions of a step-level search are computed once.

vllm is imported only when this generator is built.
"""

from __future__ import annotations

import asyncio
import threading

from minos.core.types import Usage
from minos.solver.generators.base import Completion, SamplingParams


class VLLMGenerator:
    def __init__(self, model: str, **engine_kwargs) -> None:
        from vllm import LLM

        engine_kwargs.setdefault("enable_prefix_caching", True)
        self.name = f"vllm:{model}"
        self.llm = LLM(model=model, **engine_kwargs)
        self._lock = threading.Lock()

    def _sample(self, prompt: str, params: SamplingParams) -> list[Completion]:
        from vllm import SamplingParams as VSamplingParams

        sampling = VSamplingParams(
            n=params.n,
            temperature=params.temperature,
            top_p=params.top_p,
            max_tokens=params.max_tokens,
            seed=params.seed,
            stop=list(params.stop) or None,
            logprobs=0 if params.logprobs else None,
        )
        with self._lock:
            (output,) = self.llm.generate([prompt], sampling, use_tqdm=False)
        prompt_tokens = len(output.prompt_token_ids or ())
        completions = []
        for i, choice in enumerate(output.outputs):
            logprobs = None
            if params.logprobs and choice.logprobs:
                logprobs = tuple(float(step[t].logprob) for step, t in zip(choice.logprobs, choice.token_ids, strict=False))
            usage = Usage(prompt_tokens if i == 0 else 0, len(choice.token_ids))
            completions.append(Completion(choice.text, choice.finish_reason or "stop", usage, logprobs))
        return completions

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        return await asyncio.to_thread(self._sample, prompt, params)

    async def aclose(self) -> None:
        return None
