"""Solutions written by a generator, labelled by their final answer: the verifier's training data closer
to the model-written text it will judge (injected errors are cleaner than real ones).

A right final answer: every step labelled right. A wrong one: the step that states the wrong answer is
labelled wrong and the earlier steps are not known, so they are left right; `meta["label_source"]` says
so. Such rows train an ORM as they are (`outcome` reads `final_answer_correct`); for a PRM, give them
step labels with `minos data rollout` first.
"""

from __future__ import annotations

import asyncio

from minos.core.answers import answers_equal, extract_answer
from minos.core.steps import split_steps
from minos.core.types import LabelledSolution, Problem


def label_by_answer(problem: Problem, text: str, generator: str = "") -> LabelledSolution | None:
    """One sampled solution as a labelled row; None when it states no final answer (truncated)."""
    steps = split_steps(text)
    answer = extract_answer(text)
    if not steps or answer is None:
        return None
    right = answers_equal(answer, problem.reference)
    stated = next((i for i in range(len(steps) - 1, -1, -1) if extract_answer(steps[i]) is not None), len(steps) - 1)
    labels = tuple(0.0 if (not right and i == stated) else 1.0 for i in range(len(steps)))
    return LabelledSolution(
        problem=problem, steps=tuple(steps), labels=labels, answer=answer,
        error_types=tuple("other" if label < 0.5 else "" for label in labels),
        meta={"final_answer_correct": right, "label_source": "final-answer", "generator": generator,
              "reference_answer": problem.reference},
    )


async def sample_one(i: int, problem: Problem, generator, template, *, n: int = 4, max_tokens: int = 512,
                     temperature: float = 0.8, seed: int = 0) -> list[LabelledSolution]:
    """The labelled solutions of the i-th usable problem (its seeds follow from i, wherever it runs)."""
    from minos.generators.base import SamplingParams
    from minos.generators.prompts import chat_messages

    params = SamplingParams(n=n, temperature=temperature, max_tokens=max_tokens, seed=seed + 1000 * i, stop=template.stop)
    completions = await generator.complete(template.render(problem.question), params, messages=chat_messages(problem.question))
    rows = [label_by_answer(problem, c.text, generator.name) for c in completions]
    return [r for r in rows if r is not None]


def usable(problems: list[Problem]) -> list[Problem]:
    """The problems solutions are sampled for: those with a reference to label them by."""
    return [p for p in problems if p.reference is not None]


async def sample_task(task: dict, parts: tuple, **settings) -> list[dict]:
    """`sample_one` on a Ray worker (`minos data sample --ray`): task {i, problem}, parts (generator, template)."""
    generator, template = parts
    return [r.to_dict() for r in await sample_one(task["i"], Problem.from_dict(task["problem"]), generator, template, **settings)]


async def sample_solutions(problems: list[Problem], generator, template, *, n: int = 4, max_tokens: int = 512,
                           temperature: float = 0.8, seed: int = 0, concurrency: int = 4) -> list[LabelledSolution]:
    """n sampled solutions per problem, labelled by final answer (problems without a reference are skipped)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int, problem: Problem) -> list[LabelledSolution]:
        async with gate:
            return await sample_one(i, problem, generator, template, n=n, max_tokens=max_tokens, temperature=temperature, seed=seed)

    return [row for rows in await asyncio.gather(*(one(i, p) for i, p in enumerate(usable(problems)))) for row in rows]
