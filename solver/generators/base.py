"""The one generator interface every back end implements."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from minos.core.retry import RemoteError
from minos.core.types import Usage

# A generator failed in a way retries cannot fix (wrong model, rejected prompt, server down after retries:
# then it is the subclass `minos.core.retry.ServerUnreachable`).
GeneratorError = RemoteError


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. `n` completions of one prompt; `stop` strings end a completion (and are cut off)."""

    n: int = 1
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 512
    seed: int | None = None
    stop: tuple[str, ...] = ()
    logprobs: bool = False

    def with_(self, **changes) -> SamplingParams:
        return replace(self, **changes)


@dataclass(frozen=True)
class Completion:
    """One sampled continuation: its text (stop string excluded), why it ended and what it cost."""

    text: str
    finish_reason: str
    usage: Usage
    logprobs: tuple[float, ...] | None = None


@runtime_checkable
class Generator(Protocol):
    """Samples continuations of a raw prompt string (completions-style, so partial solutions continue).

    `messages` is the same prompt as chat messages (`prompts.chat_messages`), for back ends that can only
    reach a chat endpoint; the others ignore it.
    """

    name: str

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        """Return exactly `params.n` completions of `prompt`."""
        ...

    async def aclose(self) -> None: ...


# One request of a batch: a prompt, how to sample it, and the same prompt as chat messages (or None).
Request = tuple[str, SamplingParams, "list[dict] | None"]


async def complete_many(generator: Generator, requests: list[Request]) -> list[list[Completion]]:
    """Completions of many prompts, each with its own n. In-process back ends that batch (`complete_many`
    on transformers and vLLM) serve them in one generate call; the others (HTTP: concurrent requests,
    llama.cpp: one at a time anyway) get one `complete` call each, at once."""
    import asyncio

    batched = getattr(generator, "complete_many", None)
    if batched is not None:
        return await batched(requests)
    return list(await asyncio.gather(*(generator.complete(p, params, messages=m) for p, params, m in requests)))
