"""The data that flows through Minos: problems, candidate solutions, their scores and a solve result.

Every type is a frozen dataclass with `to_dict()` / `from_dict()` so that it round-trips through JSON
(batch output files, LangGraph checkpoints, training data).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _tuple(value) -> tuple:
    return tuple(value) if value is not None else ()


@dataclass(frozen=True)
class Problem:
    """One math problem; `reference` is the gold final answer when known."""

    id: str
    question: str
    reference: str | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(
            id=str(data["id"]),
            question=data["question"],
            reference=data.get("reference"),
            source=data.get("source", ""),
        )


@dataclass(frozen=True)
class Usage:
    """Token counts of one generator call (or a sum of several)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        return cls(int(data.get("prompt_tokens", 0)), int(data.get("completion_tokens", 0)))


@dataclass(frozen=True)
class Critique:
    """What a critic verifier said about one solution: the earliest wrong step most of its sampled critiques
    name (0-based; -1: none found; None: every critique abstained), one critique that names it, each
    sample's verdict (None where a critique gave no readable index) and the tokens the critiques cost."""

    first_error: int | None
    text: str
    votes: tuple[int | None, ...] = ()
    usage: Usage = field(default_factory=Usage)

    def to_dict(self) -> dict[str, Any]:
        return {"first_error": self.first_error, "text": self.text, "votes": list(self.votes), "usage": self.usage.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Critique:
        return cls(data.get("first_error"), data.get("text", ""), _tuple(data.get("votes")), Usage.from_dict(data.get("usage")))


@dataclass(frozen=True)
class Candidate:
    """A (possibly partial) step-by-step solution.

    `steps` are the solution's steps in order; `answer` is the extracted final answer (None when the
    solution has none yet); `step_scores` are the verifier's per-step probabilities of being correct,
    aligned with `steps` (empty until scored); `solution_score` the verifier's chance that the whole solution
    is right, where it has a reading of its own; `finished` says whether generation ended; `critique` is what
    a critic verifier wrote about it (None for other verifiers).
    """

    steps: tuple[str, ...]
    answer: str | None = None
    finished: bool = True
    finish_reason: str = "stop"
    step_scores: tuple[float, ...] = ()
    usage: Usage = field(default_factory=Usage)
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    critique: Critique | None = None
    solution_score: float | None = None

    @property
    def text(self) -> str:
        from minos.core.steps import join_steps

        return join_steps(self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": list(self.steps),
            "answer": self.answer,
            "finished": self.finished,
            "finish_reason": self.finish_reason,
            "step_scores": list(self.step_scores),
            "solution_score": self.solution_score,
            "usage": self.usage.to_dict(),
            "critique": None if self.critique is None else self.critique.to_dict(),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        return cls(
            steps=_tuple(data["steps"]),
            answer=data.get("answer"),
            finished=bool(data.get("finished", True)),
            finish_reason=data.get("finish_reason", "stop"),
            step_scores=tuple(float(s) for s in data.get("step_scores", ())),
            usage=Usage.from_dict(data.get("usage")),
            critique=Critique.from_dict(data["critique"]) if data.get("critique") else None,
            meta=dict(data.get("meta") or {}),
            solution_score=None if data.get("solution_score") is None else float(data["solution_score"]),
        )


@dataclass(frozen=True)
class LabelledSolution:
    """A solution with per-step correctness labels (ProcessBench, Math-Shepherd, injected errors).

    `labels[i]` is the probability that step i is correct (1.0 / 0.0 for hard labels).
    `first_error` is the 0-based index of the earliest wrong step, or -1 when every step is right.
    """

    problem: Problem
    steps: tuple[str, ...]
    labels: tuple[float, ...]
    answer: str | None = None
    error_types: tuple[str, ...] = ()
    critique: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def first_error(self) -> int:
        return next((i for i, label in enumerate(self.labels) if label < 0.5), -1)

    @property
    def outcome(self) -> bool:
        """Whether the final answer is right: the source's own flag when it has one (ProcessBench's
        `final_answer_correct`; a flawed process can still land on the right answer), else no wrong step."""
        flag = self.meta.get("final_answer_correct")
        return flag if isinstance(flag, bool) else self.first_error == -1

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem.to_dict(),
            "steps": list(self.steps),
            "labels": list(self.labels),
            "first_error": self.first_error,
            "answer": self.answer,
            "error_types": list(self.error_types),
            "critique": self.critique,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelledSolution:
        return cls(
            problem=Problem.from_dict(data["problem"]),
            steps=_tuple(data["steps"]),
            labels=tuple(float(x) for x in data["labels"]),
            answer=data.get("answer"),
            error_types=_tuple(data.get("error_types")),
            critique=data.get("critique"),
            meta=dict(data.get("meta") or {}),
        )


@dataclass(frozen=True)
class SolveResult:
    """What a solve returns: the chosen answer, its support (share of the vote), and every candidate.
    `usage` counts the generator's tokens; `verifier_usage` a verifier's that generates (a critic).
    `confidence`: the chance that the answer is right, where the verifier is calibrated for the strategy's
    vote (the shipped one is, for weighted voting); None elsewhere."""

    problem: Problem
    answer: str | None
    support: float
    strategy: str
    candidates: tuple[Candidate, ...] = ()
    correct: bool | None = None
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    error: str | None = None
    verifier_usage: Usage = field(default_factory=Usage)
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.problem.id,
            "problem": self.problem.to_dict(),
            "answer": self.answer,
            "support": self.support,
            "confidence": self.confidence,
            "strategy": self.strategy,
            "correct": self.correct,
            "candidates": [c.to_dict() for c in self.candidates],
            "usage": self.usage.to_dict(),
            "seconds": self.seconds,
            "error": self.error,
            "verifier_usage": self.verifier_usage.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SolveResult:
        return cls(
            problem=Problem.from_dict(data["problem"]),
            answer=data.get("answer"),
            support=float(data.get("support", 0.0)),
            strategy=data.get("strategy", ""),
            candidates=tuple(Candidate.from_dict(c) for c in data.get("candidates", ())),
            correct=data.get("correct"),
            usage=Usage.from_dict(data.get("usage")),
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
            verifier_usage=Usage.from_dict(data.get("verifier_usage")),
            confidence=data.get("confidence"),
        )
