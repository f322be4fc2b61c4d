"""In-process vLLM generator (`pip install minos[vllm]`), with prefix caching on so that the shared
problem prompt and partial solutions of a step-level search are computed once.

vllm is imported only when this generator is built.
"""

from __future__ import annotations

import asyncio
import threading

from minos.core.types import Usage
from minos.generators.base import BaseGenerator, Completion, SamplingParams


class VLLMGenerator(BaseGenerator):
    def __init__(self, model: str, **engine_kwargs) -> None:
        from vllm import LLM

        engine_kwargs.setdefault("enable_prefix_caching", True)
        self.name = f"vllm:{model}"
        self.llm = LLM(model=model, **engine_kwargs)
        self._lock = threading.Lock()

    def _sample(self, prompts: list[str], params: list[SamplingParams]) -> list[list[Completion]]:
        """All prompts, each with its own sampling parameters, in ONE generate call."""
        from vllm import SamplingParams as VSamplingParams

        sampling = [
            VSamplingParams(
                n=p.n, temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens, seed=p.seed,
                stop=list(p.stop) or None,
            )
            for p in params
        ]
        with self._lock:
            outputs = self.llm.generate(prompts, sampling, use_tqdm=False)
        results = []
        for output in outputs:
            prompt_tokens = len(output.prompt_token_ids or ())
            completions = []
            for i, choice in enumerate(output.outputs):
                usage = Usage(prompt_tokens if i == 0 else 0, len(choice.token_ids))
                completions.append(Completion(choice.text, choice.finish_reason or "stop", usage))
            results.append(completions)
        return results

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        (completions,) = await asyncio.to_thread(self._sample, [prompt], [params])
        return completions

    async def complete_many(self, requests) -> list[list[Completion]]:
        return await asyncio.to_thread(self._sample, [r[0] for r in requests], [r[1] for r in requests])

    async def aclose(self) -> None:
        return None
