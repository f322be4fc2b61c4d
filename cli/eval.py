"""`minos eval ...`: verifier evaluation (ProcessBench, reranking) and meta-evaluation of checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import VerifierOpt, fail

app = typer.Typer(no_args_is_help=True)


def _verifier(spec: str):
    from minos.verifier import load_verifier

    try:
        return load_verifier(spec)
    except (ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0], 2)


def _print(figures: dict, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(figures))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        if isinstance(value, list):
            continue
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    Console().print(table)


@app.command()
def processbench(
    file: Annotated[Path, typer.Argument(help="ProcessBench JSON (or any step-labelled file)")],
    verifier: VerifierOpt = "symbolic",
    threshold: Annotated[float | None, typer.Option(help="a step under this is an error; omit with --sweep")] = 0.5,
    sweep: Annotated[bool, typer.Option(help="try thresholds 0.05..0.95 and report the best F1")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """ProcessBench: predict the earliest wrong step (or -1); accuracy on erroneous / correct samples, F1."""
    from minos.core.data import DataError
    from minos.verifier.evaluate import evaluate_processbench

    try:
        figures = evaluate_processbench(file, _verifier(verifier), threshold=None if sweep else threshold)
    except DataError as exc:
        fail(str(exc), 2)
    _print(figures, as_json, f"ProcessBench: {file.name}")


@app.command()
def rerank(
    file: Annotated[Path, typer.Argument(help='JSONL: {"question", "answer", "candidates": [{"solution"}]}')],
    verifier: VerifierOpt = "symbolic",
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Rerank recorded candidates: first, majority, best-of-N (each aggregation), weighted vote, oracle."""
    from minos.core.data import DataError
    from minos.verifier.evaluate import evaluate_rerank

    try:
        figures = evaluate_rerank(file, _verifier(verifier))
    except DataError as exc:
        fail(str(exc), 2)
    _print(figures, as_json, f"rerank: {file.name}")
