from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pick:
    """A strategy's choice: the answer, its support (share of the vote or score), and the index of the
    candidate that represents it (-1 when nothing could be picked)."""

    answer: str | None
    support: float
    index: int


NO_PICK = Pick(None, 0.0, -1)
