"""`minos batch INPUT -o OUT.jsonl`: solve a dataset, one JSON line per problem (and strategy);
`minos batch merge OUT... -o ALL.jsonl`: combine the outputs of `--shard I/K` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import (
    BareRay,
    configs_from,
    declared_options,
    fail,
    ray_options,
    ray_settings,
    solver_options,
)


class _RunByDefault(BareRay):
    """`minos batch INPUT ...` runs a batch (the `run` command); `minos batch merge ...` merges shards."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_RunByDefault, no_args_is_help=True)


@app.command("run")
@ray_options
@solver_options
def batch(
    input: Annotated[Path, typer.Argument(help="GSM8K / MATH / MATH-500 / any JSONL, JSON, CSV or Parquet file")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL results, one line per problem and strategy")],
    concurrency: Annotated[int, typer.Option(min=1, help="problems solved at once (on Ray: --ray-workers)")] = 4,
    limit: Annotated[int | None, typer.Option(help="only the first N problems")] = None,
    resume: Annotated[bool, typer.Option(help="skip problems already in OUTPUT")] = False,
    question_field: Annotated[str | None, typer.Option(help="column holding the question")] = None,
    answer_field: Annotated[str | None, typer.Option(help="column holding the reference answer")] = None,
    id_field: Annotated[str | None, typer.Option(help="column holding the problem id")] = None,
    strict: Annotated[bool, typer.Option(help="stop at the first malformed input row instead of skipping it")] = False,
    plot: Annotated[Path | None, typer.Option(help="PNG of accuracy against n (first k of the n samples)")] = None,
    shard: Annotated[str | None, typer.Option(
        help="I/K: solve only share I (0-based) of K, split by problem id; one process or machine per share "
        "(a Slurm array or Kubernetes job index), then `minos batch merge`")] = None,
    **options,
) -> None:
    """Solve every problem of a dataset. Ctrl-C leaves OUTPUT valid; --resume carries on where it stopped."""
    import asyncio
    import itertools

    from minos.core.data import DataError, iter_problems, read_jsonl
    from rich.console import Console

    console = Console(stderr=True)
    errors: list[DataError] = []
    try:  # streamed: a 100,000-line input is read as workers free up, never loaded whole
        problems = iter_problems(
            input, question_field=question_field, answer_field=answer_field, id_field=id_field,
            on_error="raise" if strict else "skip", errors=errors,
        )
    except DataError as exc:
        fail(str(exc), 2)
    problems = itertools.islice(problems, limit) if limit is not None else problems
    share = _shard(shard) if shard is not None else None
    cluster = ray_settings(options)
    recipe = options.get("config")
    # on Ray the driver only checks the options; each worker loads the models from the same resolved ones
    configs = configs_from(options, several=True, load=cluster is None)
    strategies = list(configs)
    from minos.core.cluster import ClusterError
    from minos.solver.batch import BatchStopped, Tally, run_batch

    try:
        if cluster is None:
            asyncio.run(run_batch(problems, configs, output, resume=resume, concurrency=concurrency, console=console, shard=share))
        else:
            _on_ray(problems, configs, output, options, recipe, cluster, resume=resume, console=console, shard=share)
    except ClusterError as exc:
        fail(f"{exc}; {output} holds every finished problem")
    except DataError as exc:  # --strict: the first bad row ends the run; what finished is kept
        fail(f"{exc}; {output} holds every finished problem", 2)
    except BatchStopped as exc:
        fail(f"{exc}; {output} holds every finished problem; once the server is up: {_resume_command()}")
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: {output} holds every finished problem; rerun with --resume")
        raise typer.Exit(130) from None
    finally:
        for error in errors:
            console.print(f"[yellow]skipped[/] {error}")
    tally = Tally.of(read_jsonl(output))
    console.print(summary_table(tally, strategies))
    if plot is not None:
        from minos.solver.batch import plot_accuracy_vs_n

        plot_accuracy_vs_n(output, {s: configs[s].n for s in strategies}, next(iter(configs.values())).aggregation, plot)
        console.print(f"plot: {plot}")
    if tally.lines and all(x.failed == x.problems for x in tally.lines.values()):
        fail("every problem failed; first error: " + next(r["error"] for r in read_jsonl(output) if r.get("error")))


def _on_ray(problems, configs: dict, output: Path, options: dict, recipe, cluster, **run) -> None:
    from functools import partial

    from minos.solver.assemble import build_configs, resolve
    from minos.solver.ray_batch import run_batch_on_ray

    # resolved here (the recipe file is read on this machine), so a worker on another machine needs none; a key
    # left unset is read from the worker's own $OPENAI_API_KEY
    run_batch_on_ray(problems, configs, output, build=partial(build_configs), options=resolve(options, recipe=recipe),
                     cluster=cluster, **run)


def _resume_command() -> str:
    import shlex
    import sys

    args = [a for a in sys.argv[1:] if a != "--resume"]
    return shlex.join(["minos", *args, "--resume"])


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        fail(f"--shard {text!r}: write I/K, e.g. 0/4", 2)
    if not 0 <= index < count:
        fail(f"--shard {text}: I must be 0 to K-1", 2)
    return index, count


@app.command("merge")
@declared_options("aggregation")  # --plot re-votes as a solve does, with its default
def merge(
    parts: Annotated[list[Path], typer.Argument(help="the outputs of the --shard runs")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the combined JSONL, in input order")],
    input: Annotated[Path | None, typer.Option(help="the dataset the shards came from: check every problem is there")] = None,
    question_field: Annotated[str | None, typer.Option(help="column holding the question (with --input)")] = None,
    id_field: Annotated[str | None, typer.Option(help="column holding the problem id (with --input)")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG of accuracy against n")] = None,
    **options,
) -> None:
    """Combine shard outputs into one file as an unsharded run writes it; a duplicate or missing problem is an
    error. Prints the summary of the whole run."""
    from minos.core.data import DataError, iter_problems
    from minos.solver.batch import MergeError, merge_shards, plot_accuracy_vs_n
    from rich.console import Console

    for part in parts:
        if not part.is_file():
            fail(f"{part}: no such file", 2)
    try:
        expected = iter_problems(input, question_field=question_field, id_field=id_field, on_error="skip") if input else None
        tally, strategies = merge_shards(parts, output, expected=expected)
    except (MergeError, DataError) as exc:
        fail(str(exc))
    console = Console(stderr=True)
    console.print(summary_table(tally, strategies))
    console.print(f"merged {len(parts)} parts -> {output}")
    if plot is not None:
        from minos.core.data import read_jsonl

        samples: dict[str, int] = {}
        for row in read_jsonl(output):
            samples[row["strategy"]] = max(samples.get(row["strategy"], 1), len(row.get("candidates") or ()))
        from minos.solver.assemble import resolve

        plot_accuracy_vs_n(output, samples, resolve(options)["aggregation"], plot)


def summary_table(tally, strategies: list[str]):
    from rich.table import Table

    table = Table(title="minos batch")
    for column in ("strategy", "problems", "accuracy", "failed", "tokens", "seconds"):
        table.add_column(column, justify="right" if column != "strategy" else "left")
    for strategy in strategies:
        line = tally.lines.get(strategy)
        if line is None:
            table.add_row(strategy, "0", "-", "0", "0", "0.0")
            continue
        accuracy = f"{line.right / line.graded:.1%}" if line.graded else "-"
        table.add_row(strategy, str(line.problems), accuracy, str(line.failed), str(line.tokens), f"{line.seconds:.1f}")
    return table
