"""`minos eval ...`: verifier evaluation (ProcessBench, reranking) and meta-evaluation of checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import fail, verifier_from, verifier_options

app = typer.Typer(no_args_is_help=True)


def _print(figures: dict, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(figures))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    if figures and all(isinstance(v, dict) for v in figures.values()):  # one row per source
        columns = [k for k, v in next(iter(figures.values())).items() if not isinstance(v, list)]
        for column in ["source", *columns]:
            table.add_column(column, justify="left" if column == "source" else "right")
        for name, row in figures.items():
            table.add_row(name, *(f"{row[c]:.4f}" if isinstance(row[c], float) else str(row[c]) for c in columns))
        Console().print(table)
        return
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        if isinstance(value, list):
            continue
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    Console().print(table)


def _exists(*files: Path) -> None:
    """An input file checked before the verifier loads (a minute on a first run)."""
    for file in files:
        if not file.is_file():
            fail(f"{file}: no such file", 2)


def _evaluate(evaluate, file: Path, verifier, as_json: bool, title: str, **options) -> None:
    from minos.core.data import DataError

    try:
        figures = evaluate(file, verifier, **options)
    except DataError as exc:
        fail(str(exc), 2)
    _print(figures, as_json, title)


@app.command()
@verifier_options
def processbench(
    file: Annotated[Path, typer.Argument(help="ProcessBench JSON (or any step-labelled file)")],
    threshold: Annotated[
        float | None, typer.Option(help="a step under this is an error [default: the verifier's own: its stored threshold, or its likeliest first error where it stores a no_error_bias; else 0.5]")
    ] = None,
    sweep: Annotated[bool, typer.Option(help="report the best F1 over thresholds 0.05..0.95 (tuned on this data: an upper bound)")] = False,
    per_source: Annotated[bool, typer.Option("--by-source", help="figures for each source in the file (its rows' `source`), then all")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
    html: Annotated[Path | None, typer.Option(
        help="also write a self-contained HTML page: per solution the labelled first wrong step against the first flag, "
        "the score distributions and the calibration curve")] = None,
    **options,
) -> None:
    """ProcessBench: predict the earliest wrong step (or -1); accuracy on erroneous / correct samples, F1, and
    the AUROC of the step scores (a right step above a first wrong one)."""
    from minos.verifier.evaluate import evaluate_processbench

    if per_source and sweep:
        fail("--by-source and --sweep: give one", 2)
    on_scores = None
    if html is not None:
        from minos.cli.report import check_report_options

        check_report_options(html)

        def on_scores(samples, scores, used, bias, figures):
            from minos.report import processbench_report

            processbench_report(samples, scores, used, html, title=f"ProcessBench: {file.name}",
                                figures=figures.get("all", figures), no_error_bias=bias)
    _exists(file)
    _evaluate(evaluate_processbench, file, verifier_from(options), as_json, f"ProcessBench: {file.name}", threshold=threshold,
              sweep=sweep, per_source=per_source, on_scores=on_scores)


@app.command()
@verifier_options
def threshold(
    files: Annotated[list[Path], typer.Argument(help="DEV split(s): step-labelled, disjoint from training and from test")],
    write: Annotated[bool, typer.Option(help="store it in the checkpoint's minos_verifier.json")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
    **options,
) -> None:
    """Choose a verifier's threshold on dev data (best ProcessBench F1; with several files, best mean F1 over
    them, so e.g. GSM8K-style and MATH-style rows both count) and optionally store it with the checkpoint,
    where `eval processbench` and the solver read it (a `hybrid:` verifier stores its own threshold)."""
    from dataclasses import replace

    from minos.core.data import DataError, load_labelled
    from minos.verifier.evaluate import best_threshold
    from minos.verifier.neural import NeuralVerifier
    from minos.verifier.symbolic import HybridVerifier

    _exists(*files)
    chosen = verifier_from(options)
    neural = chosen.neural if isinstance(chosen, HybridVerifier) else chosen
    if write and not isinstance(neural, NeuralVerifier):
        fail(f"--write needs a checkpoint verifier (prm:DIR or hybrid:DIR), not {chosen.name!r}", 2)
    try:
        sets = [load_labelled(file) for file in files]
    except DataError as exc:
        fail(str(exc), 2)
    figures = best_threshold([(rows, chosen.score_batch([(r.problem.question, list(r.steps)) for r in rows])) for rows in sets])
    if write:
        field = "hybrid_threshold" if chosen is not neural else "threshold"
        # the threshold chosen here is the rule from now on: a stored likeliest-first-error bias would override it
        bias = "hybrid_no_error_bias" if chosen is not neural else "no_error_bias"
        replace(neural.scheme, **{field: figures["threshold"], bias: None}).save(neural.path)
        figures["written"] = f"{neural.path} ({field})"
    _print(figures, as_json, "dev threshold: " + ", ".join(f.name for f in files))


@app.command()
@verifier_options
def rerank(
    file: Annotated[Path, typer.Argument(help='JSONL: {"question", "answer", "candidates": [{"solution"}]}')],
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
    **options,
) -> None:
    """Rerank recorded candidates: every sample strategy (greedy = the first, self_consistency = majority),
    best-of-N and weighted vote under each vote weight, and the oracle."""
    from minos.solver.rerank import evaluate_rerank

    _exists(file)
    _evaluate(evaluate_rerank, file, verifier_from(options), as_json, f"rerank: {file.name}")


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
