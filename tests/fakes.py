"""Scripted stand-ins for the generator and verifier, so graph tests can assert exact picks."""

from __future__ import annotations

from minos.core.types import Usage
from minos.generators.base import BaseGenerator, Completion, SamplingParams
from minos.verifier.base import BaseVerifier


class ScriptedGenerator(BaseGenerator):
    """Returns the scripted solutions in turn (whole solutions, or one step at a time when the prompt
    already holds a partial solution and the step delimiter is a stop string)."""

    name = "scripted"

    def __init__(self, solutions: list[str]) -> None:
        self.solutions = solutions
        self.calls: list[tuple[str, SamplingParams]] = []
        self._next = 0

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        self.calls.append((prompt, params))
        out = []
        partial = [s.strip() for s in prompt.rsplit("Answer:", 1)[-1].split("\n\n") if s.strip()]
        # only scripts that continue this partial solution (a real model continues its prefix)
        fitting = [t for t in self.solutions if t.split("\n\n")[: len(partial)] == partial] or self.solutions
        for _ in range(params.n):
            text = fitting[self._next % len(fitting)]
            self._next += 1
            if "\n\n" in params.stop:
                steps = text.split("\n\n")
                text = steps[len(partial)] if len(partial) < len(steps) else ""
            words = text.split(" ")
            finish = "stop"
            if len(words) + 1 > params.max_tokens:  # one "token" a word, plus the stop token
                text, finish = " ".join(words[: params.max_tokens]), "length"
            tokens = min(len(words) + 1, params.max_tokens)
            out.append(Completion(text, finish, Usage(len(prompt.split()), tokens)))
        return out


class TableVerifier(BaseVerifier):
    """Scores a step by looking its text up in a table (default 0.5)."""

    name = "table"

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table
        self.calls = 0

    def score(self, question, solutions):
        self.calls += 1
        return [[self.table.get(step, 0.5) for step in steps] for steps in solutions]


class PacedGenerator(ScriptedGenerator):
    """A ScriptedGenerator whose calls take the seconds a `[sleep S]` in the prompt asks for (an asyncio
    sleep, so a cancelled solve stops at once): the solve time a server test needs, set per request."""

    name = "paced"

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        import asyncio
        import re

        asked = re.findall(r"\[sleep ([0-9.]+)\]", prompt)
        if asked:
            await asyncio.sleep(float(asked[-1]))
        return await super().complete(prompt, params, messages=messages)
