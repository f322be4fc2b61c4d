"""The data of one solve, as LangGraph state."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from minos.core.types import Candidate, SolveResult, Usage


class SolveInput(TypedDict, total=False):
    question: str
    reference: str | None
    problem_id: str


class SolveOutput(TypedDict, total=False):
    answer: str | None
    support: float
    result: SolveResult


class SolveState(TypedDict, total=False):
    question: str
    reference: str | None
    problem_id: str
    live: list[Candidate]  # the candidates at work: search: the open branches; sample: the latest round
    subtree: list[int]  # search: the subtree of each live branch (DVTS keeps one survivor per subtree)
    finished: list[Candidate]  # search: branches that reached an end; sample: the earlier rounds
    usage: Usage  # the generator's tokens
    verifier_usage: Usage  # a critic verifier's tokens
    steps: int  # search: steps taken so far
    rounds: int  # sample: rounds drawn so far
    answer: str | None
    support: float
    result: SolveResult
    trace: Annotated[list[dict[str, Any]], operator.add]
