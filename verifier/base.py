"""The verifier interface (`Verifier`) and the base class that gives a verifier of your own the whole of it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from minos.core.types import Critique

Items = "list[tuple[str, list[str] | tuple[str, ...]]]"  # (question, steps) pairs, from any problems


@runtime_checkable
class Verifier(Protocol):
    """What the solver and `minos eval` ask of a verifier. Subclass `BaseVerifier` to write one: it gives
    every method but `score` a default."""

    name: str
    threshold: float | None  # a step under it reads as wrong (chosen on dev data); None: the caller's default

    def score(self, question: str, solutions: list[list[str]]) -> list[list[float]]:
        """Per-step probabilities that each step is correct (an ORM gives one value per solution)."""
        ...

    def score_batch(self, items: Items) -> list[list[float]]:
        """`score` over (question, steps) pairs of many problems: neural verifiers batch across problems."""
        ...

    def critiques(self, question: str, solutions: list[list[str]]) -> list[Critique | None]:
        """What the verifier wrote about each solution it last scored (critics); None where it writes nothing."""
        ...

    def confidence(self, support: float, strategy: str) -> float | None:
        """The chance that a vote's pick is right given its support, where the verifier was calibrated for
        that strategy; None elsewhere."""
        ...


class BaseVerifier:
    """The `Verifier` protocol's defaults: write `score` (or `score_batch`, when batching across problems
    pays), and the rest follows."""

    name = "verifier"
    threshold: float | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.score is BaseVerifier.score and cls.score_batch is BaseVerifier.score_batch:
            raise TypeError(f"{cls.__name__} must define score or score_batch")

    def score(self, question: str, solutions) -> list[list[float]]:
        return self.score_batch([(question, steps) for steps in solutions])

    def score_batch(self, items) -> list[list[float]]:
        return [self.score(question, [steps])[0] for question, steps in items]

    def critiques(self, question: str, solutions) -> list[Critique | None]:
        return [None] * len(solutions)

    def confidence(self, support: float, strategy: str) -> float | None:
        return None


class NullVerifier(BaseVerifier):
    name = "none"

    def score(self, question: str, solutions) -> list[list[float]]:
        return [[1.0] * len(steps) for steps in solutions]
