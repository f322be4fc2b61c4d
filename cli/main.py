"""`minos`: the command line. Sub-apps live one per file; heavy imports stay inside command bodies."""

from __future__ import annotations

from typing import Annotated

import typer
from minos.cli import batch, data, eval, serve, solve, train

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
    return any(home / part in here.parents for part in ("core", "verifier", "solver", "training", "cli"))


app.add_typer(solve.app)
app.add_typer(batch.app, name="batch", help="Solve every problem of a dataset (`minos batch INPUT -o OUT`), or merge shard outputs (`minos batch merge`).")
app.add_typer(serve.app)
app.add_typer(eval.app, name="eval", help="Evaluate verifiers: ProcessBench, reranking, meta-evaluation.")
app.add_typer(data.app, name="data", help="Build verifier training data: error injection, critiques, rollouts.")
app.add_typer(train.app, name="train", help="Train a verifier: stage 1 SFT on critiques, stage 2 PRM / ORM.")


if __name__ == "__main__":
    app()
