"""The verifier interface (`Verifier`) and the base class that gives a verifier of your own the whole of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from minos.core.types import Critique

Items = "list[tuple[str, list[str] | tuple[str, ...]]]"  # (question, steps) pairs, from any problems


@dataclass(frozen=True)
class Assessment:
    """Everything a verifier says about one solution, from one call: the chance that each step is right, the
    chance that the whole solution is right where it has a reading of its own (None: the caller aggregates
    the steps), and a critic's critique (None for other verifiers)."""

    steps: tuple[float, ...]
    solution: float | None = None
    critique: Critique | None = None


@runtime_checkable
class Verifier(Protocol):
    """What the solver and `minos eval` ask of a verifier. Subclass `BaseVerifier` to write one: it gives
    every method but `score` a default."""

    name: str
    threshold: float | None  # a step under it reads as wrong (chosen on dev data); None: the caller's default
    # set: the verifier names a solution's first wrong step as its likeliest one (its scores are calibrated
    # chances; `minos.verifier.evaluate.predict_first_error`), for every question or per question style (a
    # mapping); None: the first step under the threshold
    no_error_bias: float | Mapping[str, float] | None

    def score(self, question: str, solutions: list[list[str]]) -> list[list[float]]:
        """Per-step probabilities that each step is correct (an ORM gives one value per solution)."""
        ...

    def score_batch(self, items: Items) -> list[list[float]]:
        """`score` over (question, steps) pairs of many problems: neural verifiers batch across problems."""
        ...

    def assess_batch(self, items: Items) -> list[Assessment]:
        """Step scores, solution score and critique of each (question, steps) pair, in one call: what the
        solver reads."""
        ...

    def confidence(self, support: float, strategy: str, aggregation: str) -> float | None:
        """The chance that a vote's pick is right given its support, where the verifier was calibrated for
        that strategy and aggregation; None elsewhere."""
        ...


class BaseVerifier:
    """The `Verifier` protocol's defaults: write `score` (or `score_batch`, when batching across problems
    pays), and the rest follows; write `assess_batch` too when the verifier says more than step scores."""

    name = "verifier"
    threshold: float | None = None
    no_error_bias: float | Mapping[str, float] | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.score is BaseVerifier.score and cls.score_batch is BaseVerifier.score_batch:
            raise TypeError(f"{cls.__name__} must define score or score_batch")

    def score(self, question: str, solutions) -> list[list[float]]:
        return self.score_batch([(question, steps) for steps in solutions])

    def score_batch(self, items) -> list[list[float]]:
        # a verifier that wrote only `score` gets each question's solutions together, in one call
        by_question: dict[str, list[int]] = {}
        for i, (question, _) in enumerate(items):
            by_question.setdefault(question, []).append(i)
        out: list[list[float]] = [[] for _ in items]
        for question, indices in by_question.items():
            for i, row in zip(indices, self.score(question, [items[i][1] for i in indices]), strict=True):
                out[i] = row
        return out

    def assess_batch(self, items) -> list[Assessment]:
        return [Assessment(tuple(row)) for row in self.score_batch(items)]

    def confidence(self, support: float, strategy: str, aggregation: str) -> float | None:
        return None


class NullVerifier(BaseVerifier):
    name = "none"

    def score(self, question: str, solutions) -> list[list[float]]:
        return [[1.0] * len(steps) for steps in solutions]
