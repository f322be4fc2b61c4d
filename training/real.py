"""Real model-written solutions with a labelled first wrong step (ProcessBench rows, `../shared/data/steps`).

Two things make such rows fit both Math-Minos stages:
- Only the steps up to the first wrong one carry a known label: the annotators stop there, and a later step
  may be right or wrong. `until_first_error` cuts a wrong solution after that step, so no unknown label is
  trained on (the verifier is read the same way: the first step under the threshold).
- The annotator's `reason` explains the first wrong step: a critique of it, human-written or GPT-4o's.
  `with_critique` turns it into the stage-1 target in the format injected rows use (one line a step up to
  the first wrong one, then a verdict), so real and injected critiques train one skill.
"""

from __future__ import annotations

from dataclasses import replace

from minos.core.types import LabelledSolution
from minos.training.inject import write_critique

# the sources' own error labels -> the five Math-Minos types
_TYPE_OF = {
    "Mathematical_Error": "calculation",
    "Logical_Inconsistency": "logical",
    "redundency": "irrelevant",
    "circular": "logical",
    "confidence": "logical",
    "counterfactual": "logical",
    "deception": "logical",
    "domain_inconsistency": "logical",
    "missing_condition": "logical",
    "step_contradiction": "logical",
}


def error_type(row: LabelledSolution) -> str:
    """The Math-Minos type of the first wrong step ('' for a right solution)."""
    k = row.first_error
    if k < 0:
        return ""
    if len(row.error_types) > k and row.error_types[k]:
        return row.error_types[k]
    return _TYPE_OF.get(row.meta.get("error_type") or "", "other")


def until_first_error(row: LabelledSolution) -> LabelledSolution:
    """The row cut after its first wrong step (unchanged when every step is right)."""
    k = row.first_error
    if k < 0 or k == len(row.steps) - 1:
        return row
    types = tuple(row.error_types[: k + 1]) if row.error_types else ()
    return replace(row, steps=row.steps[: k + 1], labels=row.labels[: k + 1], error_types=types, critique=None)


def with_critique(row: LabelledSolution) -> LabelledSolution | None:
    """The row with a step-by-step critique: its own, else one written from the labels and the annotator's
    reason for the first wrong step; None for a wrong row with neither (nothing true to say of its error).

    The critique ends at the first wrong step (the later labels are unknown) but the solution stays whole:
    cut, a wrong solution would be told from a right one by its missing ending, not by its error."""
    if row.critique:
        return row
    cut = until_first_error(row)
    k = cut.first_error
    types, reasons = [""] * len(cut.steps), {}
    if k >= 0:
        reason = (row.meta.get("reason") or "").strip().rstrip(".")
        if not reason:
            return None
        types[k], reasons[k] = error_type(row), reason
    return replace(row, critique=write_critique(cut.steps, cut.labels, types, reasons))
