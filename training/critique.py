"""Critique generation with a critic LLM (the Math-Minos method).

The critic is *given* the step labels, so its critique explains known verdicts instead of guessing
them; a critique is kept only when the per-step verdicts it writes agree with the labels.
"""

from __future__ import annotations

import re

from minos.core.types import LabelledSolution

CRITIC_PROMPT = """You are grading a student's step-by-step solution to a math problem.
The correctness of each step is already known and given to you. Write a critique that explains, for
every step, why it is correct or what exactly is wrong with it (recompute the numbers; name the error
type: calculation, logical, irrelevant, accumulation or other). Use exactly one line per step in the form
"Step k: correct." or "Step k: incorrect (TYPE): REASON.", then a last line
"Verdict: the solution is correct." or "Verdict: the solution is incorrect; the first error is in step k."

Problem:
{question}

Solution:
{steps}

Known step labels:
{labels}
"""

# "Step 2: incorrect", "**Step 2:** Incorrect", "- Step 2 - correct": markdown around the words is ignored
_VERDICT = re.compile(r"^\W*step\s*(\d+)\W*?(correct|incorrect)\b", re.IGNORECASE | re.MULTILINE)


def critic_prompt(row: LabelledSolution) -> str:
    steps = "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(row.steps))
    labels = "\n".join(f"Step {i + 1}: {'correct' if x >= 0.5 else 'incorrect'}" for i, x in enumerate(row.labels))
    return CRITIC_PROMPT.format(question=row.problem.question, steps=steps, labels=labels)


def critique_verdicts(critique: str, n_steps: int) -> list[bool | None]:
    """The per-step verdicts a critique states (None where it states none)."""
    verdicts: list[bool | None] = [None] * n_steps
    for number, word in _VERDICT.findall(critique):
        k = int(number) - 1
        if 0 <= k < n_steps and verdicts[k] is None:
            verdicts[k] = word.lower() == "correct"
    return verdicts


def agrees(critique: str, row: LabelledSolution) -> bool:
    verdicts = critique_verdicts(critique, len(row.steps))
    return all(v is not None and v == (label >= 0.5) for v, label in zip(verdicts, row.labels, strict=True))


async def critique_one(client, model: str, row: LabelledSolution, *, temperature: float = 0.0, max_tokens: int = 1024) -> str:
    """Ask an OpenAI-compatible chat model (an `openai.AsyncOpenAI` client) for the critique of one row."""
    response = await client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": critic_prompt(row)}],
        temperature=temperature, max_tokens=max_tokens,
    )
    return response.choices[0].message.content or ""
