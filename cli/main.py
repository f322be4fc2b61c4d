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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show retries and fallbacks (the `minos` logger)")] = False,
) -> None:
    import logging

    if verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("minos")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


app.add_typer(solve.app)
app.add_typer(batch.app, name="batch", help="Solve every problem of a dataset (`minos batch INPUT -o OUT`), or merge shard outputs (`minos batch merge`).")
app.add_typer(serve.app)
app.add_typer(eval.app, name="eval", help="Evaluate verifiers: ProcessBench, reranking, meta-evaluation.")
app.add_typer(data.app, name="data", help="Build verifier training data: error injection, critiques, rollouts.")
app.add_typer(train.app, name="train", help="Train a verifier: stage 1 SFT on critiques, stage 2 PRM / ORM.")


if __name__ == "__main__":
    app()
