"""`minos report RUN.jsonl [MORE.jsonl ...] -o report.html`: a run as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import declared_options, fail

app = typer.Typer()

ThresholdOpt = Annotated[float, typer.Option(
    min=0.0, max=1.0, help="step scores under it are flagged, for rows that do not record their verifier's threshold")]


@app.command()
@declared_options("aggregation")  # the vote tables weigh candidates as a solve does, with its default
def report(
    runs: Annotated[list[Path], typer.Argument(help="`minos batch` outputs (JSONL); several files: their problems side by side")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the HTML file to write (styles, scripts and data inline)")],
    title: Annotated[str | None, typer.Option(help="the page's title [default: the first file's name]")] = None,
    threshold: ThresholdOpt = 0.5,
    **options,
) -> None:
    """Write one HTML file that opens offline in any browser: per strategy accuracy, tokens and seconds,
    accuracy against n, majority against the verifier's pick, and every problem with its vote and every
    candidate's steps coloured by step score, searchable and filterable."""
    from minos.report.build import ReportError, read_runs, run_report
    from minos.solver.assemble import resolve

    aggregation = resolve(options)["aggregation"]
    check_report_options(output, aggregation)
    try:
        sizes = run_report(read_runs(runs), output, title=title or runs[0].name, aggregation=aggregation, threshold=threshold)
    except ReportError as exc:
        fail(str(exc), 2)
    print(f"report: {output} ({sizes['problems']:,} problems, {sizes['rows']:,} rows, {sizes['bytes'] / 1e6:.1f} MB)")


def check_report_options(output: Path, aggregation: str = "auto") -> None:
    """Bad options are refused before any work: an output that is a folder, an unknown aggregation."""
    from minos.core.votes import VOTE_WEIGHTS

    if output.is_dir():
        fail(f"--output {output}: is a folder; name the HTML file to write", 2)
    if aggregation not in VOTE_WEIGHTS:
        fail(f"--aggregation {aggregation!r}: use one of {', '.join(VOTE_WEIGHTS)}", 2)
