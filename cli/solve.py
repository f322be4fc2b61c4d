"""`minos solve "problem"`: solve one problem and watch the search."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import configs_from, fail, solver_options

app = typer.Typer()
SHOW = ("best", "all", "none")


@app.command()
@solver_options
def solve(
    problem: Annotated[str, typer.Argument(help="the problem text")],
    reference: Annotated[str | None, typer.Option(help="gold answer, to report correctness")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False,
    show: Annotated[str, typer.Option(help="best: the chosen solution step by step with its scores, then the "
                                       "candidates table; all: every candidate's steps too; none: the answer line only")] = "best",
    html: Annotated[Path | None, typer.Option(help="also write the solve as a self-contained HTML page (the problem view "
                                                "of `minos report`)")] = None,
    **options,
) -> None:
    """Solve one problem. The offline default model (Gemma 3 270M, a base model) is weak at math: for real
    accuracy serve a real model, e.g. `vllm serve Qwen/Qwen2.5-Math-7B-Instruct --port 8000` and pass
    `--generator http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-Math-7B-Instruct`."""
    import asyncio

    from minos.core.data import MAX_LINE_BYTES
    from rich.console import Console

    if show not in SHOW:
        fail(f"--show {show!r}: use best, all or none", 2)
    if not problem.strip():
        fail("the problem text is empty", 2)
    if len(problem.encode()) > MAX_LINE_BYTES:
        fail(f"the problem text is {len(problem.encode()):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit", 2)
    if html is not None:
        from minos.cli.report import check_report_options

        check_report_options(html)
    (config,) = configs_from(options).values()
    console = Console(stderr=True, quiet=as_json)
    try:
        result = asyncio.run(_run(problem, reference, config, console))
    except Exception as exc:  # a dead server, a bad model: one line, exit 1
        fail(f"{type(exc).__name__}: {exc}")
    if html is not None:
        from minos.report import run_report

        row = {**result.to_dict(), **config.flag_rule()}
        run_report([("solve", row)], html, title=f"minos solve: {problem[:80]}", aggregation=config.aggregation)
        console.print(f"report: {html}")
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    _show_result(console, result, show, config)


async def _run(problem: str, reference: str | None, config, console):
    from minos.core.votes import candidate_score
    from minos.solver import asolve

    with console.status("sampling...") as status:

        def show(chunk: dict) -> None:
            kind = chunk["event"]
            if kind == "sampled":
                for i, c in enumerate(chunk["candidates"]):
                    console.print(f"[cyan]sample {i}[/] {len(c['steps'])} steps -> answer [bold]{c['answer']}[/]")
                status.update("scoring...")
            elif kind == "stepped":
                console.print(f"[cyan]step {chunk['step']}[/]: {len(chunk['branches'])} branches")
                status.update(f"step {chunk['step']}: scoring...")
            elif kind == "scored" and chunk["scores"]:
                weights = zip(chunk["scores"], chunk["solution_scores"], strict=True)
                shown = ", ".join(f"{candidate_score(s, config.aggregation, w):.2f}" for s, w in weights)
                console.print(f"[magenta]scores[/] ({config.aggregation}): {shown}")
                status.update("sampling...")
            elif kind == "pruned" and chunk["pruned"]:
                console.print(f"[red]pruned[/] branches {chunk['pruned']}, kept {chunk['kept']}")
            elif kind == "voted":
                console.print(f"[green]vote[/]: {chunk['answer']} (support {chunk['support']:.2f} of {chunk['voters']})")

        try:
            return await asolve(problem, config, reference=reference, problem_id="cli", on_event=show)
        finally:
            await config.generator.aclose()  # its HTTP clients belong to this event loop


def _show_result(console, result, show: str, config) -> None:
    from minos.core.votes import chosen_candidate
    from rich.table import Table

    rule = config.flag_rule()
    threshold, bias = rule["threshold"], rule["no_error_bias"]  # bias: the verifier names a likeliest first wrong step
    chosen = chosen_candidate(result.candidates, result.answer, config.aggregation)
    if show == "all":
        for i, candidate in enumerate(result.candidates):
            _show_steps(console, f"candidate {i}", candidate, threshold, bias, result.problem.question)
    if show in ("best", "all"):
        if chosen is not None:
            _show_steps(console, f"chosen solution (candidate {result.candidates.index(chosen)})", chosen, threshold, bias,
                        result.problem.question)
        table = Table(title="candidates", show_lines=False)
        for col in ("#", "answer", "steps", "step scores", "solution", "tokens"):
            table.add_column(col)
        for i, c in enumerate(result.candidates):
            scores = " ".join(f"{s:.2f}" for s in c.step_scores) or "-"
            solution = "-" if c.solution_score is None else f"{c.solution_score:.2f}"
            table.add_row(str(i), str(c.answer), str(len(c.steps)), scores, solution, str(c.usage.completion_tokens))
        console.print(table)
    verdict = "" if result.correct is None else ("  [green]correct[/]" if result.correct else "  [red]wrong[/]")
    console.print(
        f"[bold]answer: {result.answer}[/]  support {result.support:.2f}"
        + ("" if result.confidence is None else f"  confidence {result.confidence:.0%}")
        + f"  strategy {result.strategy}  "
        f"{result.usage.completion_tokens} tokens  {result.seconds:.1f}s{verdict}"
    )
    print(result.answer if result.answer is not None else "")


def _show_steps(console, title: str, candidate, threshold: float, bias=None, question: str = "") -> None:
    """A solution step by step, each with its verifier score; a step under the threshold is marked, and the
    verifier's likeliest first wrong step named where it names one (`no_error_bias`, for `question`'s style)."""
    from minos.verifier.evaluate import bias_for, predict_first_error
    from rich.markup import escape

    console.print(f"[bold]{title}[/]  (a step scoring under {threshold:.2g} is marked x)")
    scores = list(candidate.step_scores) + [None] * (len(candidate.steps) - len(candidate.step_scores))
    critique = candidate.critique
    named, bias = None, bias_for(bias, question)
    if bias is not None and candidate.step_scores:
        named = predict_first_error(scores, threshold, bias)
    for i, (step, score) in enumerate(zip(candidate.steps, scores, strict=True), 1):
        if score is None or score != score:
            mark, shown = " ", "  -  "
        else:
            mark, shown = ("[red]x[/]" if score < threshold else "[green]✓[/]"), f"{score:.2f}"
        console.print(f" {mark} [dim]{shown}[/]  [cyan]{i}.[/] {escape(step)}")
        if named == i - 1:
            console.print("      [yellow]verifier[/]: the likeliest first wrong step")
        if critique is not None and critique.first_error == i - 1:  # the critic's reason, under the step it flags
            console.print(f"      [yellow]critic[/] ({_votes(critique)}): {escape(_clip(critique.text))}")
    if critique is not None and critique.first_error in (-1, None):
        said = "found no wrong step" if critique.first_error == -1 else "gave no readable verdict"
        console.print(f"   [yellow]critic[/] {said} ({_votes(critique)})")
    if named == -1:
        console.print("   [yellow]verifier[/]: no wrong step named (the solution is likelier right)")
    console.print(f"   answer: [bold]{escape(str(candidate.answer))}[/]")


def _votes(critique) -> str:
    agree = sum(v == critique.first_error for v in critique.votes)
    return f"{agree} of {len(critique.votes)} critiques"


def _clip(text: str, most: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 3] + "..."
