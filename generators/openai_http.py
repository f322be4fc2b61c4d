"""Generator over any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, OpenAI).

The completions endpoint is preferred: a partial solution must be continued exactly where it stops.
Hosted chat models have no completions endpoint; with `endpoint="auto"` a 404 there switches the
generator to chat, where whole solutions are sampled as usual and a partial solution is continued as
the final assistant message (vLLM's `continue_final_message`) when the server allows it. Many servers
ignore `n` (llama.cpp returns one choice); the first short answer is detected and from then on the
remaining samples are fanned out as separate requests, each with its own seed, so `n` always means n.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import openai
from minos.core.retry import RetryPolicy, aretry
from minos.core.types import Usage
from minos.generators.base import BaseGenerator, Completion, GeneratorError, SamplingParams

Endpoint = Literal["auto", "completions", "chat"]
SEARCH_NEEDS = (
    "step-level search (beam_search, dvts) continues partial solutions, which needs a completions endpoint or a "
    "chat endpoint that continues the final assistant message (vLLM, SGLang); use a sampling strategy "
    "(greedy, self_consistency, best_of_n, weighted_vote) with this server"
)

# APITimeoutError is an APIConnectionError: a server that never answers counts as unreachable
_UNREACHABLE = (openai.APIConnectionError,)
_TRANSIENT = (openai.RateLimitError, openai.InternalServerError)


class OpenAIGenerator(BaseGenerator):
    """Samples from `model` at `base_url` with bounded concurrency and retries with back-off."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "EMPTY",
        endpoint: Endpoint = "auto",
        max_concurrency: int = 16,
        max_retries: int = 4,
        timeout: float = 120.0,
        backoff: float = 0.5,
    ) -> None:
        self.name = f"{model}@{base_url}"
        self.base_url, self.model, self.api_key = base_url.rstrip("/"), model, api_key
        self.max_concurrency, self.timeout = max_concurrency, timeout
        self.retry_policy = RetryPolicy(max_retries + 1, backoff, unreachable=_UNREACHABLE, transient=_TRANSIENT)
        if endpoint not in ("auto", "completions", "chat"):
            raise ValueError(f"unknown endpoint {endpoint!r}: use auto, completions or chat")
        self.endpoint = endpoint  # "auto" becomes "completions" or "chat" at the first answer
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

    async def _request(self, prompt: str, messages: list[dict] | None, params: SamplingParams, n: int, seed: int | None) -> list[Completion]:
        if self.endpoint == "auto":
            try:
                completions = await self._call("completions", prompt, messages, params, n, seed)
            except openai.NotFoundError as exc:
                served = await self._served()
                if messages is None or (served and self.model not in served):  # a typo, not a missing endpoint
                    raise GeneratorError(await self._not_found(exc)) from exc
                # the model is served, the completions endpoint is not: a chat-only server
                completions = await self._call("chat", prompt, messages, params, n, seed)
                self.endpoint = "chat"
                return completions
            self.endpoint = "completions"
            return completions
        if self.endpoint == "chat" and messages is None:
            raise GeneratorError(f"{self.base_url}: the chat endpoint needs the prompt as messages")
        return await self._call(self.endpoint, prompt, messages, params, n, seed)

    async def _call(self, endpoint: str, prompt: str, messages: list[dict] | None, params: SamplingParams, n: int, seed: int | None) -> list[Completion]:
        client, semaphore = self._client()
        common = dict(
            model=self.model, n=n, temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_tokens,
            seed=seed, stop=list(params.stop)[:4] or None,  # OpenAI's limit is 4 stop strings
        )
        continues = endpoint == "chat" and messages[-1]["role"] == "assistant"

        async def once():
            async with semaphore:
                if endpoint == "completions":
                    return _completions(await client.completions.create(prompt=prompt, **common))
                extra = {"continue_final_message": True, "add_generation_prompt": False} if continues else None
                return _chat_completions(await client.chat.completions.create(messages=messages, extra_body=extra, **common))

        try:
            return await aretry(once, self.retry_policy, where=self.base_url)
        except openai.NotFoundError as exc:
            if self.endpoint == "auto" and endpoint == "completions":
                raise  # auto: the caller tries chat
            raise GeneratorError(await self._not_found(exc)) from exc
        except openai.BadRequestError as exc:
            text = str(exc)
            if continues:
                raise GeneratorError(f"{self.base_url}: the chat endpoint refused to continue a partial solution ({text}); {SEARCH_NEEDS}") from exc
            if "context" in text.lower() or "too long" in text.lower() or "exceed" in text.lower():
                raise GeneratorError(f"{self.base_url}: prompt does not fit the model's context: {text}") from exc
            raise GeneratorError(f"{self.base_url}: request rejected: {text}") from exc
        except openai.AuthenticationError as exc:
            raise GeneratorError(f"{self.base_url}: authentication failed (set --api-key / OPENAI_API_KEY)") from exc
        except openai.APIStatusError as exc:  # any other refusal (403, 409, 422, ...): retries cannot fix it
            raise GeneratorError(f"{self.base_url}: request refused: {exc}") from exc

    async def _served(self) -> list[str] | None:
        """The model ids /models lists, or None when it cannot say (no such endpoint, no answer)."""
        try:
            client, _ = self._client()
            return [m.id async for m in client.models.list()]
        except Exception:  # the request itself reports what is wrong (auth, dead server) in its own words
            return None

    async def _not_found(self, exc: Exception) -> str:
        served = await self._served()
        if served is not None and self.model not in served:
            return f"{self.base_url} does not serve model {self.model!r}; it serves: {', '.join(served) or 'nothing'}"
        return f"{self.base_url}: not found ({exc})"

    async def _check_model(self) -> None:
        """Some servers (llama.cpp) answer for any model name: ask /models once, so a typo fails clearly."""
        if self._model_checked:
            return
        # no /models, or no answer (the completion request itself will retry and report): nothing to check
        served = await self._served() or []
        if served and self.model not in served:
            raise GeneratorError(f"{self.base_url} does not serve model {self.model!r}; it serves: {', '.join(served)}")
        self._model_checked = True

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        await self._check_model()
        completions = await self._request(prompt, messages, params, params.n if self.supports_n is not False else 1, params.seed)
        if params.n > 1 and self.supports_n is None:
            self.supports_n = len(completions) >= params.n
        missing = params.n - len(completions)
        if missing > 0:
            seeds = [None if params.seed is None else params.seed + 1 + i for i in range(missing)]
            rest = await asyncio.gather(*(self._request(prompt, messages, params, 1, s) for s in seeds))
            completions += [response[0] for response in rest if response]
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
    return _shared(response, choices, [c.text for c in choices])


def _chat_completions(response) -> list[Completion]:
    choices = sorted(response.choices, key=lambda c: c.index)
    return _shared(response, choices, [c.message.content or "" for c in choices])


def _shared(response, choices, texts: list[str]) -> list[Completion]:
    """Completions with the response's usage shared out: the prompt charged once, the completion tokens split."""
    usage = response.usage
    prompt_tokens = usage.prompt_tokens if usage else 0
    completion_tokens = usage.completion_tokens if usage else 0
    return [
        Completion(text, choice.finish_reason or "stop",
                   Usage(prompt_tokens if i == 0 else 0, completion_tokens // len(choices) + (i < completion_tokens % len(choices))))
        for i, (choice, text) in enumerate(zip(choices, texts, strict=True))
    ]
