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


def _evaluate(evaluate, file: Path, verifier: str, as_json: bool, title: str, **options) -> None:
    from minos.core.data import DataError

    try:
        figures = evaluate(file, _verifier(verifier), **options)
    except DataError as exc:
        fail(str(exc), 2)
    _print(figures, as_json, title)


@app.command()
def processbench(
    file: Annotated[Path, typer.Argument(help="ProcessBench JSON (or any step-labelled file)")],
    verifier: VerifierOpt = "symbolic",
    threshold: Annotated[
        float | None, typer.Option(help="a step under this is an error [default: the verifier's own dev-split threshold, else 0.5]")
    ] = None,
    sweep: Annotated[bool, typer.Option(help="report the best F1 over thresholds 0.05..0.95 (tuned on this data: an upper bound)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """ProcessBench: predict the earliest wrong step (or -1); accuracy on erroneous / correct samples, F1."""
    from minos.verifier.evaluate import evaluate_processbench

    _evaluate(evaluate_processbench, file, verifier, as_json, f"ProcessBench: {file.name}", threshold=threshold, sweep=sweep)


@app.command()
def threshold(
    file: Annotated[Path, typer.Argument(help="DEV split: step-labelled, disjoint from training and from test")],
    verifier: VerifierOpt = "default",
    write: Annotated[bool, typer.Option(help="store it in the checkpoint's minos_verifier.json")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Choose a verifier's threshold on a dev split (best ProcessBench F1) and optionally store it with the
    checkpoint, where `eval processbench` and the solver read it."""
    from dataclasses import replace

    from minos.core.data import DataError
    from minos.verifier.evaluate import evaluate_processbench

    chosen = _verifier(verifier)
    neural = getattr(chosen, "neural", chosen)
    if write and not hasattr(neural, "path"):
        fail(f"--write needs a checkpoint verifier (prm:DIR), not {verifier!r}", 2)
    try:
        figures = evaluate_processbench(file, chosen, sweep=True)
    except DataError as exc:
        fail(str(exc), 2)
    if write:
        replace(neural.scheme, threshold=figures["threshold"]).save(neural.path)
        figures["written"] = str(neural.path)
    _print(figures, as_json, f"dev threshold: {file.name}")


@app.command()
def rerank(
    file: Annotated[Path, typer.Argument(help='JSONL: {"question", "answer", "candidates": [{"solution"}]}')],
    verifier: VerifierOpt = "symbolic",
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Rerank recorded candidates: first, majority, best-of-N (each aggregation), weighted vote, oracle."""
    from minos.verifier.evaluate import evaluate_rerank

    _evaluate(evaluate_rerank, file, verifier, as_json, f"rerank: {file.name}")


@app.command()
def meta(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="`minos train prm|orm` output folders (e.g. with and without stage 1)")
    ],
    data: Annotated[Path, typer.Option(help="held-out step-labelled file")],
    mode: Annotated[str, typer.Option(help="read the checkpoints as prm (min over steps) or orm")] = "prm",
    limit: Annotated[int | None, typer.Option(help="only the first N rows")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG of accuracy against training step, a line per run")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print {run: curve} as JSON")] = False,
) -> None:
    """Meta-evaluation: each checkpoint's accuracy at judging whether a final answer is right."""
    from minos.core.data import DataError, load_labelled
    from minos.training.meta import checkpoints, meta_curve, save_curves

    if mode not in ("prm", "orm"):
        fail(f"--mode must be prm or orm, not {mode!r}", 2)
    for run_dir in run_dirs:
        if not checkpoints(run_dir):
            fail(f"{run_dir}: no checkpoint-N folders and no final model", 2)
    try:
        rows = load_labelled(data)[:limit] if limit else load_labelled(data)
    except DataError as exc:
        fail(str(exc), 2)
    curves = {str(run_dir): meta_curve(run_dir, rows, mode=mode) for run_dir in run_dirs}
    if as_json:
        print(json.dumps(curves))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"meta-evaluation on {data.name} ({len(rows)} solutions)")
        for column in ("run", "checkpoint", "step", "accuracy"):
            table.add_column(column)
        for run, curve in curves.items():
            for point in curve:
                table.add_row(run, Path(point["checkpoint"]).name, str(point["step"]), f"{point['accuracy']:.4f}")
        Console().print(table)
    if plot is not None:
        save_curves(curves, plot)
