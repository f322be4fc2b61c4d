"""The data of one solve, as LangGraph state."""

from __future__ import annotations

from typing import TypedDict

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
    live: list[Candidate]  # being worked on: a sample round until it is scored, the open search branches
    subtree: list[int]  # search: the subtree of each live branch (DVTS keeps one survivor per subtree)
    done: list[Candidate]  # no node touches them again: scored sample rounds, ended search branches
    usage: Usage  # the generator's tokens
    verifier_usage: Usage  # a critic verifier's tokens
    steps: int  # search: steps taken so far
    rounds: int  # sample: rounds drawn so far
    answer: str | None
    support: float
    result: SolveResult
