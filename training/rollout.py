"""Rollout labels (Math-Shepherd): a step is good if completions sampled from it reach the reference.

hard: 1 if any of k completions reaches the reference answer; soft: the fraction that do.
"""

from __future__ import annotations

import asyncio

from minos.core.answers import answers_equal, extract_answer
from minos.core.types import LabelledSolution, Problem


async def rollout_labels(
    problem: Problem, steps: list[str], generator, template, *, k: int = 8, max_tokens: int = 256,
    temperature: float = 0.8, seed: int = 0, soft: bool = False,
) -> LabelledSolution:
    from minos.generators.base import SamplingParams
    from minos.generators.prompts import chat_messages

    if problem.reference is None:
        raise ValueError(f"problem {problem.id}: rollout labels need a reference answer")

    async def label(i: int) -> float:
        prefix = steps[: i + 1]
        stated = extract_answer(prefix[-1])
        if stated is not None:  # a step that states the answer is judged by the answer itself
            return float(answers_equal(stated, problem.reference))
        params = SamplingParams(n=k, temperature=temperature, max_tokens=max_tokens, seed=seed + i, stop=template.stop)
        completions = await generator.complete(
            template.render(problem.question, prefix), params, messages=chat_messages(problem.question, prefix)
        )
        hits = [answers_equal(extract_answer(c.text), problem.reference) for c in completions]
        return sum(hits) / len(hits) if soft else float(any(hits))

    labels = await asyncio.gather(*(label(i) for i in range(len(steps))))
    return LabelledSolution(problem, tuple(steps), tuple(labels), answer=extract_answer(steps[-1]) if steps else None,
                            meta={"labels": "soft" if soft else "hard", "k": k})


async def rollout_task(task: dict, parts: tuple, **settings) -> dict:
    """`rollout_labels` of one row, as `minos data rollout` runs it, locally or on a Ray worker: task {problem,
    steps}, parts (generator, template); the labelled row as a dict."""
    generator, template = parts
    labelled = await rollout_labels(Problem.from_dict(task["problem"]), list(task["steps"]), generator, template, **settings)
    return labelled.to_dict()
