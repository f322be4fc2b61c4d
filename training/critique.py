"""Critique generation with a critic LLM (the Math-Minos method).

The critic is *given* the step labels, so its critique explains known verdicts instead of guessing
them; a critique is kept only when the per-step verdicts it writes agree with the labels.
"""

from __future__ import annotations

from minos.core.types import LabelledSolution
from minos.verifier.critiques import numbered_steps, step_verdicts

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

def critic_prompt(row: LabelledSolution) -> str:
    labels = numbered_steps(["correct" if x >= 0.5 else "incorrect" for x in row.labels])
    return CRITIC_PROMPT.format(question=row.problem.question, steps=numbered_steps(row.steps), labels=labels)


def agrees(critique: str, row: LabelledSolution) -> bool:
    verdicts = step_verdicts(critique, len(row.steps))
    return all(v is not None and v == (label >= 0.5) for v, label in zip(verdicts, row.labels, strict=True))


async def critique_one(critic, row: LabelledSolution, *, temperature: float = 0.0, max_tokens: int = 1024) -> str:
    """Ask a critic (a `minos.generators.Generator` that reaches a chat model) for the critique of one row."""
    from minos.generators import SamplingParams

    prompt = critic_prompt(row)
    params = SamplingParams(n=1, temperature=temperature, max_tokens=max_tokens)
    (completion,) = await critic.complete(prompt, params, messages=[{"role": "user", "content": prompt}])
    return completion.text
