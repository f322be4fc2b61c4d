"""Generator over any OpenAI-compatible completions endpoint (vLLM, SGLang, llama.cpp, Ollama, OpenAI).

The completions endpoint (not chat) is used on purpose: a partial solution must be continued exactly
where it stops, which chat endpoints do not allow. Many servers ignore `n` (llama.cpp returns one choice);
the first short answer is detected and from then on the remaining samples are fanned out as separate
requests, each with its own seed, so `n` always means n.
"""

from __future__ import annotations

import asyncio

import openai
from minos.core.retry import RetryPolicy, aretry
from minos.core.types import Usage
from minos.solver.generators.base import Completion, GeneratorError, SamplingParams

# APITimeoutError is an APIConnectionError: a server that never answers counts as unreachable
_UNREACHABLE = (openai.APIConnectionError,)
_TRANSIENT = (openai.RateLimitError, openai.InternalServerError)


class OpenAIGenerator:
    """Samples from `model` at `base_url` with bounded concurrency and retries with back-off."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "EMPTY",
        max_concurrency: int = 16,
        max_retries: int = 4,
        timeout: float = 120.0,
        backoff: float = 0.5,
    ) -> None:
        self.name = f"{model}@{base_url}"
        self.base_url, self.model, self.api_key = base_url.rstrip("/"), model, api_key
        self.max_concurrency, self.timeout = max_concurrency, timeout
        self.retry_policy = RetryPolicy(max_retries + 1, backoff, unreachable=_UNREACHABLE, transient=_TRANSIENT)
        self.supports_n: bool | None = None  # learnt from the first request that asks for n > 1
        self._model_checked = False
        # httpx pools and asyncio semaphores belong to one event loop; keep one of each per loop.
        self._per_loop: dict[int, tuple[openai.AsyncOpenAI, asyncio.Semaphore]] = {}

    def _client(self) -> tuple[openai.AsyncOpenAI, asyncio.Semaphore]:
        key = id(asyncio.get_running_loop())
        if key not in self._per_loop:
            client = openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, max_retries=0, timeout=self.timeout)
            self._per_loop[key] = (client, asyncio.Semaphore(self.max_concurrency))
        return self._per_loop[key]

    async def _request(self, prompt: str, params: SamplingParams, n: int, seed: int | None):
        client, semaphore = self._client()
        extra = {"logprobs": 1} if params.logprobs else {}

        async def once():
            async with semaphore:
                return await client.completions.create(
                    model=self.model,
                    prompt=prompt,
                    n=n,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    max_tokens=params.max_tokens,
                    seed=seed,
                    stop=list(params.stop)[:4] or None,  # OpenAI's limit is 4 stop strings
                    **extra,
                )

        try:
            return await aretry(once, self.retry_policy, where=self.base_url)
        except openai.NotFoundError as exc:
            raise GeneratorError(await self._not_found(exc)) from exc
        except openai.BadRequestError as exc:
            text = str(exc)
            if "context" in text.lower() or "too long" in text.lower() or "exceed" in text.lower():
                raise GeneratorError(f"{self.base_url}: prompt does not fit the model's context: {text}") from exc
            raise GeneratorError(f"{self.base_url}: request rejected: {text}") from exc
        except openai.AuthenticationError as exc:
            raise GeneratorError(f"{self.base_url}: authentication failed (set --api-key / OPENAI_API_KEY)") from exc

    async def _not_found(self, exc: Exception) -> str:
        try:
            client, _ = self._client()
            served = [m.id async for m in client.models.list()]
        except Exception:
            return f"{self.base_url}: not found ({exc})"
        if self.model not in served:
            return f"{self.base_url} does not serve model {self.model!r}; it serves: {', '.join(served) or 'nothing'}"
        return f"{self.base_url}: not found ({exc})"

    async def _check_model(self) -> None:
        """Some servers (llama.cpp) answer for any model name: ask /models once, so a typo fails clearly."""
        if self._model_checked:
            return
        client, _ = self._client()
        try:
            served = [m.id async for m in client.models.list()]
        except openai.NotFoundError:  # no /models endpoint: nothing to check against
            served = []
        except (*_UNREACHABLE, *_TRANSIENT):
            served = []  # the completion request itself will retry and report
        if served and self.model not in served:
            raise GeneratorError(f"{self.base_url} does not serve model {self.model!r}; it serves: {', '.join(served)}")
        self._model_checked = True

    async def complete(self, prompt: str, params: SamplingParams) -> list[Completion]:
        await self._check_model()
        first = await self._request(prompt, params, params.n if self.supports_n is not False else 1, params.seed)
        completions = _completions(first)
        if params.n > 1 and self.supports_n is None:
            self.supports_n = len(completions) >= params.n
        missing = params.n - len(completions)
        if missing > 0:
            seeds = [None if params.seed is None else params.seed + 1 + i for i in range(missing)]
            rest = await asyncio.gather(*(self._request(prompt, params, 1, s) for s in seeds))
            completions += [c for response in rest for c in _completions(response)[:1]]
        return completions[: params.n]

    async def aclose(self) -> None:
        clients, self._per_loop = self._per_loop, {}
        for client, _ in clients.values():
            try:
                await client.close()
            except RuntimeError:  # its loop is gone already
                pass


def _completions(response) -> list[Completion]:
    choices = sorted(response.choices, key=lambda c: c.index)
    usage = response.usage
    prompt_tokens = usage.prompt_tokens if usage else 0
    completion_tokens = usage.completion_tokens if usage else 0
    out = []
    for i, choice in enumerate(choices):
        logprobs = None
        if getattr(choice, "logprobs", None) is not None and choice.logprobs.token_logprobs is not None:
            logprobs = tuple(float(x) for x in choice.logprobs.token_logprobs if x is not None)
        # usage covers all choices of one response: charge the prompt once, split the completion tokens
        share = Usage(prompt_tokens if i == 0 else 0, completion_tokens // len(choices) + (i < completion_tokens % len(choices)))
        out.append(Completion(choice.text, choice.finish_reason or "stop", share, logprobs))
    return out
