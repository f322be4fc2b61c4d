"""Converters between step-labelled formats: everything reads into `LabelledSolution` (minos rows) via
`minos.core.load_labelled`; these write it back out."""

from __future__ import annotations

from minos.core.types import LabelledSolution


def to_stepwise(row: LabelledSolution) -> dict:
    """The stepwise `{prompt, completions, labels}` format (trl's PRM datasets)."""
    return {"prompt": row.problem.question, "completions": list(row.steps), "labels": [label >= 0.5 for label in row.labels]}


def to_minos(row: LabelledSolution) -> dict:
    return row.to_dict()


WRITERS = {"stepwise": to_stepwise, "minos": to_minos}
