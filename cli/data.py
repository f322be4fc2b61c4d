"""`minos data ...`: build verifier training data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import (
    GENERATOR_SPECS,
    BareRay,
    declared_options,
    fail,
    generator_from,
    generator_options,
    ray_options,
    ray_settings,
)

app = typer.Typer(cls=BareRay, no_args_is_help=True)


def _problems_with_solutions(path: Path, limit: int | None, exclude: Path | None):
    """(Problem, reference solution) pairs from GSM8K (`answer`) or MATH (`solution`) rows; a malformed row
    is named and skipped."""
    from minos.core.data import DataError, load_problems, load_worked

    errors: list[DataError] = []
    try:
        banned = {p.question.strip() for p in load_problems(exclude)} if exclude is not None else set()
        pairs = load_worked(path, on_error="skip", errors=errors)
    except DataError as exc:
        fail(str(exc), 2)
    for error in errors:
        print(f"skipped {error}")
    # never train on an evaluation problem (e.g. MATH-500)
    pairs = [(p, s) for p, s in pairs if p.question.strip() not in banned]
    return pairs[:limit] if limit is not None else pairs


@app.command()
def inject(
    input: Annotated[Path, typer.Argument(help="GSM8K-style JSONL with reference solutions (train split)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="step-labelled JSONL (minos rows)")],
    kinds: Annotated[str, typer.Option(help="error types to inject, comma-separated")] = "calculation,logical,irrelevant",
    limit: Annotated[int | None, typer.Option(help="only the first N problems")] = None,
    exclude: Annotated[Path | None, typer.Option(help="JSONL of evaluation problems to leave out")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    keep_correct: Annotated[bool, typer.Option(help="also write each untouched reference (all steps right)")] = True,
) -> None:
    """Inject one known error per (problem, type) into correct solutions, with labels and a critique."""
    from minos.core.data import write_jsonl_atomic
    from minos.training.inject import inject_dataset

    pairs = _problems_with_solutions(input, limit, exclude)
    try:
        rows = [r.to_dict() for r in inject_dataset(pairs, tuple(k.strip() for k in kinds.split(",")), seed, keep_correct=keep_correct)]
    except ValueError as exc:
        fail(str(exc), 2)
    write_jsonl_atomic(output, rows)
    injected = sum(r["meta"]["injected"] != "none" for r in rows)
    print(f"{injected} injected rows and {len(rows) - injected} untouched references from {len(pairs)} problems -> {output}")


@app.command()
def convert(
    input: Annotated[Path, typer.Argument(help="ProcessBench / Math-Shepherd / stepwise / minos file")],
    output: Annotated[Path, typer.Option("--output", "-o")],
    to: Annotated[str, typer.Option(help="minos (step-labelled rows) or stepwise ({prompt, completions, labels})")] = "minos",
    strict: Annotated[bool, typer.Option(help="stop at the first malformed row")] = False,
) -> None:
    """Convert step-labelled data between formats."""
    from minos.core.data import DataError, load_labelled, write_jsonl_atomic
    from minos.training.convert import WRITERS

    if to not in WRITERS:
        fail(f"unknown target format {to!r}: use {', '.join(WRITERS)}", 2)
    errors: list[DataError] = []
    try:
        rows = load_labelled(input, on_error="raise" if strict else "skip", errors=errors)
    except DataError as exc:
        fail(str(exc), 2)
    for error in errors:
        print(f"skipped {error}")
    write_jsonl_atomic(output, [WRITERS[to](r) for r in rows])
    print(f"{len(rows)} rows -> {output}")


@app.command()
@declared_options("api_key")
def critique(
    input: Annotated[Path, typer.Argument(help="step-labelled file (any format load_labelled reads)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL of rows whose critique agrees with the labels")],
    base_url: Annotated[str, typer.Option(help="OpenAI-compatible server of the critic model")],
    model: Annotated[str, typer.Option(help="critic model name")],
    concurrency: Annotated[int, typer.Option(min=1)] = 16,
    resume: Annotated[bool, typer.Option(help="skip rows already in OUTPUT")] = False,
    **options,
) -> None:
    """Ask a critic LLM, given the step labels, for step-by-step critiques; keep those that agree."""
    import asyncio

    from minos.core.data import DataError, load_labelled
    from minos.generators import generator_loader
    from minos.training.critique_run import run_critiques

    try:
        generator_loader(base_url, model=model)  # the server URL checked before any row is read
        rows = load_labelled(input)
    except (ValueError, DataError) as exc:
        fail(str(exc).splitlines()[0], 2)
    kept, asked, failures = asyncio.run(run_critiques(rows, output, base_url, model, options["api_key"], concurrency, resume))
    for failure in failures:
        print(f"failed {failure}")
    rate = kept / asked if asked else 0.0
    print(f"agreement rate {rate:.1%} ({kept} of {asked} critiques kept) -> {output}")
    if failures and not asked:
        fail(f"every request failed ({len(failures)}); is the critic server at {base_url} up?")


@app.command()
@ray_options
@declared_options(*GENERATOR_SPECS, "n", "max_tokens", "temperature", "seed")
def sample(
    input: Annotated[Path, typer.Argument(help="problems with reference answers (GSM8K, MATH, any JSONL/CSV/...)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="step-labelled JSONL (minos rows)")],
    limit: Annotated[int | None, typer.Option(help="only the first N problems")] = None,
    **options,
) -> None:
    """Solutions written by the generator, labelled by their final answer (ORM-ready; `minos data rollout`
    gives them step labels for a PRM)."""
    import asyncio

    from minos.core.data import DataError, load_problems, write_jsonl_atomic
    from minos.training.sampled import sample_solutions

    errors: list[DataError] = []
    try:
        problems = load_problems(input, on_error="skip", errors=errors)[:limit]
    except (DataError, ValueError) as exc:
        fail(str(exc).splitlines()[0], 2)
    for error in errors:
        print(f"skipped {error}")
    from functools import partial

    from minos.solver.assemble import resolve

    cluster = ray_settings(options)
    values = resolve(options)
    settings = {name: values[name] for name in ("n", "max_tokens", "temperature", "seed")}
    if cluster is None:
        gen, template = generator_from(options)  # the sampling settings are checked there too
        rows = asyncio.run(sample_solutions(problems, gen, template, **settings))
    else:
        from minos.core.types import LabelledSolution
        from minos.training.sampled import sample_task, usable

        tasks = [{"i": i, "problem": p.to_dict()} for i, p in enumerate(usable(problems))]
        done = _on_ray(tasks, partial(sample_task, **settings), options, cluster)
        rows = [LabelledSolution.from_dict(row) for rows in done for row in rows]
    write_jsonl_atomic(output, [r.to_dict() for r in rows])
    right = sum(r.outcome for r in rows)
    print(f"{len(rows)} solutions of {len(problems)} problems ({right} right, {len(rows) - right} wrong; "
          f"{len(problems) * settings['n'] - len(rows)} without a final answer dropped) -> {output}")


@app.command()
@ray_options
@generator_options
def rollout(
    input: Annotated[Path, typer.Argument(help="step-labelled or problems+solutions file to label by rollouts")],
    output: Annotated[Path, typer.Option("--output", "-o")],
    k: Annotated[int, typer.Option(min=1, help="completions per step")] = 8,
    soft: Annotated[bool, typer.Option(help="soft labels (fraction reaching the answer) instead of hard")] = False,
    max_tokens: Annotated[int, typer.Option(min=1, help="most new tokens of one completion from a step (under a whole "
                                          "solution's --max-tokens: it finishes a solution already begun)")] = 256,
    reference_from: Annotated[Path | None, typer.Option(help="problems file giving reference answers by question")] = None,
    **options,
) -> None:
    """Math-Shepherd labels: sample k completions from each step; a step is good if they reach the answer."""
    import asyncio
    from functools import partial

    from minos.core.data import DataError, load_labelled, load_problems, write_jsonl_atomic
    from minos.core.types import Problem
    from minos.training.rollout import rollout_task

    try:
        rows = load_labelled(input)
        references = {p.question: p.reference for p in load_problems(reference_from)} if reference_from else {}
    except DataError as exc:
        fail(str(exc), 2)
    tasks = []
    for r in rows:
        reference = r.problem.reference or references.get(r.problem.question) or r.meta.get("reference_answer")
        if reference is None:
            fail(f"{input}: problem {r.problem.id}: rollout labels need a reference answer (--reference-from)", 2)
        problem = Problem(r.problem.id, r.problem.question, reference, r.problem.source)
        tasks.append({"problem": problem.to_dict(), "steps": list(r.steps)})
    settings = {"k": k, "soft": soft, "max_tokens": max_tokens}
    cluster = ray_settings(options)
    if cluster is None:
        parts = generator_from(options)

        async def run():
            return [await rollout_task(task, parts, **settings) for task in tasks]

        labelled = asyncio.run(run())
    else:
        labelled = _on_ray(tasks, partial(rollout_task, **settings), options, cluster)
    write_jsonl_atomic(output, labelled)
    print(f"{len(labelled)} rows labelled by rollouts -> {output}")


def _on_ray(tasks: list[dict], handle, options: dict, cluster) -> list:
    """Each task through `handle` on Ray actors that build the generator once each (the library's
    `build_generator`, from the same options); results in task order."""
    from minos.core.cluster import ClusterError, ray_gather
    from minos.solver.assemble import build_generator

    generator_from(options, load=False)  # a bad spec is a usage error here, before any worker starts
    try:
        return ray_gather(tasks, handle, build_generator, options, cluster)
    except ClusterError as exc:
        fail(str(exc))


@app.command()
def errors(
    input: Annotated[Path, typer.Argument(help="step-labelled file")],
    plot: Annotated[Path | None, typer.Option(help="bar chart PNG")] = None,
) -> None:
    """Distribution of the five error types over a labelled set (table and bar chart)."""
    from minos.core.data import DataError, load_labelled
    from minos.core.plots import save_bars
    from minos.training.meta import error_type_counts
    from rich.console import Console
    from rich.table import Table

    try:
        counts = error_type_counts(load_labelled(input))
    except DataError as exc:
        fail(str(exc), 2)
    total = sum(counts.values()) or 1
    table = Table(title=f"error types: {input.name}")
    for column in ("type", "steps", "share"):
        table.add_column(column)
    for kind, count in counts.items():
        table.add_row(kind, str(count), f"{count / total:.1%}")
    Console().print(table)
    if plot is not None:
        save_bars(counts, plot, title="error types", ylabel="wrong steps")
