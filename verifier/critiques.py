"""Critiques of numbered steps, as text: the prompts a critic reads and what its answers are read back into.

Two styles. `processbench` is ProcessBench's critic protocol (arXiv 2412.06559, its `critique_template.txt`):
paragraphs tagged and indexed from 0, the earliest wrong one's index in `\\boxed{}`, -1 for none; chat models
answer it as they are. `minos` is the Math-Minos stage-1 format (`minos train sft` learns it): "Step k:
correct." / "Step k: incorrect (TYPE): REASON." lines and a verdict line. Pure functions, no model inside:
the critic verifier that samples them is `minos.verifier.critic`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from minos.core.types import Critique, Usage

STYLES = ("processbench", "minos")

PROCESSBENCH_PROMPT = """The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):

[Math Problem]

{problem}

[Solution]

{tagged_response}

Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index of -1 (which typically denotes "not found").

Please put your final answer (i.e., the index) in \\boxed{{}}.
"""


def numbered_steps(steps: Sequence[str]) -> str:
    """ "Step 1: ...", one line a step: how every Minos critique prompt shows a solution."""
    return "\n".join(f"Step {i + 1}: {step}" for i, step in enumerate(steps))


def stage1_prompt(question: str, steps: Sequence[str]) -> str:
    """The prompt of Math-Minos stage 1 (what `minos train sft` trains a critic on)."""
    return f"Problem: {question}\n\nSolution:\n{numbered_steps(steps)}\n\nCritique each step, then give a verdict.\nCritique:\n"


def processbench_prompt(question: str, steps: Sequence[str]) -> str:
    tagged = "\n\n".join(f"<paragraph_{i}>\n{step}\n</paragraph_{i}>" for i, step in enumerate(steps))
    return PROCESSBENCH_PROMPT.format(problem=question, tagged_response=tagged)


PROMPTS = {"processbench": processbench_prompt, "minos": stage1_prompt}

# "Step 2: incorrect", "**Step 2:** Incorrect", "- Step 2 - correct": markdown around the words is ignored
_VERDICT = re.compile(r"^\W*step\s*(\d+)\W*?(correct|incorrect)\b", re.IGNORECASE | re.MULTILINE)
_FIRST_ERROR = re.compile(r"first error is in step\s*(\d+)", re.IGNORECASE)
_ALL_RIGHT = re.compile(r"verdict\W*the solution is correct", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{\s*(-?\d+)\s*\}")


def step_verdicts(critique: str, n_steps: int) -> list[bool | None]:
    """The per-step verdicts a stage-1 style critique states (None where it states none)."""
    verdicts: list[bool | None] = [None] * n_steps
    for number, word in _VERDICT.findall(critique):
        k = int(number) - 1
        if 0 <= k < n_steps and verdicts[k] is None:
            verdicts[k] = word.lower() == "correct"
    return verdicts


def first_error_of(text: str, n_steps: int, style: str = "processbench") -> int | None:
    """The earliest wrong step a critique names (0-based), -1 when it finds none, None when it names no step
    of this solution (no index, or one out of range): such a critique abstains."""
    if style == "processbench":
        boxed = _BOXED.findall(text)
        k = int(boxed[-1]) if boxed else None  # the last one is the answer; earlier ones may quote the solution
    else:
        named = _FIRST_ERROR.search(text)
        if named:
            k = int(named.group(1)) - 1
        elif _ALL_RIGHT.search(text):
            k = -1
        else:
            verdicts = step_verdicts(text, n_steps)
            k = next((i for i, v in enumerate(verdicts) if v is False), None)
    return k if k is not None and -1 <= k < n_steps else None


def critic_scores(votes: Sequence[int | None], n_steps: int) -> list[float]:
    """Step i's score: the share of the critiques with a verdict that find no error at or before step i
    (0.5 everywhere when every critique abstained: nothing is known)."""
    said = [v for v in votes if v is not None]
    if not said:
        return [0.5] * n_steps
    return [sum(1 for v in said if v == -1 or v > i) / len(said) for i in range(n_steps)]


def summarize(votes: Sequence[int | None], texts: Sequence[str], usage: Usage = Usage()) -> Critique:
    """The majority verdict (a tie goes to the earliest wrong step: the cautious reading) and the first
    critique that gives it."""
    counts = Counter(v for v in votes if v is not None)
    if not counts:
        return Critique(None, texts[0] if texts else "", tuple(votes), usage)
    top = max(counts.values())
    verdict = min((v for v, c in counts.items() if c == top), key=lambda v: (v == -1, v))
    text = next(t for v, t in zip(votes, texts, strict=True) if v == verdict)
    return Critique(verdict, text.strip(), tuple(votes), usage)
