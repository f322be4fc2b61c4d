"""Shared core of Minos: data types, step segmentation, answer grading and dataset I/O."""

from minos.core.answers import answer_classes, answers_equal, extract_answer, normalize_answer
from minos.core.data import (
    DataError,
    iter_problems,
    load_labelled,
    load_problems,
    load_worked,
    read_jsonl,
    write_jsonl_atomic,
)
from minos.core.steps import join_steps, split_steps
from minos.core.types import Candidate, Critique, LabelledSolution, Problem, SolveResult, Usage

__all__ = [
    "Candidate",
    "Critique",
    "DataError",
    "LabelledSolution",
    "Problem",
    "SolveResult",
    "Usage",
    "answer_classes",
    "answers_equal",
    "extract_answer",
    "iter_problems",
    "join_steps",
    "load_labelled",
    "load_problems",
    "load_worked",
    "normalize_answer",
    "read_jsonl",
    "split_steps",
    "write_jsonl_atomic",
]
