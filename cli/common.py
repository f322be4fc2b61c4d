"""Options and helpers shared by the commands (no heavy imports here)."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

GeneratorOpt = Annotated[
    str,
    typer.Option(
        "--generator",
        "-g",
        help="default (offline Gemma 3 270M), hf:PATH, http://HOST:PORT/v1 (with --model) or vllm:MODEL",
    ),
]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="model name served at an http:// generator")]
VerifierOpt = Annotated[
    str,
    typer.Option(
        "--verifier",
        "-v",
        help="none, symbolic, prm:PATH, orm:PATH, hybrid:PATH (#math-shepherd / #qwen-prm presets) "
        "or http://HOST:PORT/v1#MODEL (vLLM pooling)",
    ),
]
TemplateOpt = Annotated[
    str, typer.Option("--template", help="prompt template: fewshot (base models) or chat:TOKENIZER_PATH")
]


def fail(message: str, code: int = 1) -> NoReturn:
    """One-line error on stderr and a shell-friendly exit code (1 failure, 2 bad usage)."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def build_config(
    *, generator: str, model: str | None, verifier: str, strategy: str, template: str, **settings
):
    from minos.solver import SolverConfig
    from minos.solver.generators import load_generator, template_for
    from minos.solver.strategies import STRATEGIES
    from minos.verifier import load_verifier

    if strategy not in STRATEGIES:
        fail(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}", 2)
    try:
        tmpl = template_for(template)
        ver = load_verifier(verifier) if verifier != "none" else None
        if ver is None and STRATEGIES[strategy][1]:
            fail(f"strategy {strategy!r} needs a verifier (--verifier symbolic, prm:PATH, ...)", 2)
        gen = load_generator(generator, model=model)
        return SolverConfig(generator=gen, verifier=ver, strategy=strategy, template=tmpl, **settings)
    except (ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0], 2)
