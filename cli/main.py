"""`minos`: the command line. Sub-apps live one per file; heavy imports stay inside command bodies."""

from __future__ import annotations

from typing import Annotated

import typer
from minos.cli import batch, data, eval, report, serve, solve, train

app = typer.Typer(
    name="minos",
    help="Agentic math solver with a verifier in the loop, and the Math-Minos verifier toolkit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show retries, fallbacks and the libraries' own "
                                          "warnings and log lines (the `minos` logger at debug level)")] = False,
) -> None:
    import logging
    import warnings

    logger = logging.getLogger("minos")
    if verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    shown = warnings.showwarning

    def route(message, category, filename, lineno, file=None, line=None):
        # Minos' own warnings (a verifier input cut to its context, ...) speak to the user; the libraries'
        # (transformers' deprecations, ...) are noise on a terminal: debug lines of the `minos` logger
        if _is_ours(filename):
            shown(message, category, filename, lineno, file, line)
        else:
            logger.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)

    warnings.showwarning = route


def _is_ours(filename: str) -> bool:
    """Whether a warning was raised in Minos' own code: under the folder that holds its sub-packages (the
    package itself when installed, the repository root in an editable install)."""
    from pathlib import Path

    home = Path(__file__).resolve().parents[1]
    here = Path(filename).resolve()
    return any(home / part in here.parents for part in ("core", "generators", "verifier", "solver", "training", "cli"))


app.add_typer(solve.app)
app.add_typer(batch.app, name="batch", help="Solve every problem of a dataset (`minos batch INPUT -o OUT`), or merge shard outputs (`minos batch merge`).")
app.add_typer(serve.app)
app.add_typer(report.app)
app.add_typer(eval.app, name="eval", help="Evaluate verifiers: ProcessBench, reranking, meta-evaluation.")
app.add_typer(data.app, name="data", help="Build verifier training data: error injection, critiques, rollouts.")
app.add_typer(train.app, name="train", help="Train a verifier: stage 1 SFT on critiques, stage 2 PRM / ORM.")

# Commands that write nothing but the terminal. Once their answer is out, the interpreter's teardown of
# torch, transformers and the loaded models (1.4 s after a warm `minos solve` here) is skipped: no file buffer
# can be lost, and the symbolic checker's worker ends on its own when its pipe closes.
_PROMPT_EXIT = {"solve"}


def run() -> None:
    """The `minos` command."""
    import os
    import sys

    command = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if command not in _PROMPT_EXIT:
        app()
        return
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
