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

    def with_(self, **changes) -> SamplingParams:
        return replace(self, **changes)


@dataclass(frozen=True)
class Completion:
    """One sampled continuation: its text (stop string excluded), why it ended and what it cost."""

    text: str
    finish_reason: str
    usage: Usage


# One request of a batch: a prompt, how to sample it, and the same prompt as chat messages (or None).
Request = tuple[str, SamplingParams, "list[dict] | None"]


@runtime_checkable
class Generator(Protocol):
    """Samples continuations of a raw prompt string (completions-style, so partial solutions continue).
    Subclass `BaseGenerator` to write one: it gives every method but `complete` a default.

    `messages` is the same prompt as chat messages (`prompts.chat_messages`), for back ends that can only
    reach a chat endpoint; the others ignore it.
    """

    name: str

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        """Return exactly `params.n` completions of `prompt`."""
        ...

    async def complete_many(self, requests: list[Request]) -> list[list[Completion]]:
        """Completions of many prompts, each with its own n (a search step's prefixes, a critic's solutions)."""
        ...

    async def aclose(self) -> None:
        """Release what the generator holds on the running loop (HTTP clients)."""
        ...


class BaseGenerator:
    """The `Generator` protocol's defaults: write `complete`."""

    name = "generator"

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        raise NotImplementedError

    async def complete_many(self, requests: list[Request]) -> list[list[Completion]]:
        """One `complete` call per request, all at once: HTTP back ends run them concurrently (bounded by
        their own limit), llama.cpp one at a time anyway; back ends that batch (transformers, vLLM) override
        this with one generate call."""
        import asyncio

        return list(await asyncio.gather(*(self.complete(p, params, messages=m) for p, params, m in requests)))

    async def aclose(self) -> None:
        return None
