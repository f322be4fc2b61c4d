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
        help="default (the shipped PRM), hybrid:default (it, zeroed where sympy proves a step wrong: the best "
        "on our held-out split), none, symbolic, prm:PATH, orm:PATH, hybrid:PATH (#math-shepherd / #qwen-prm "
        "presets) or http://HOST:PORT/v1#MODEL (vLLM pooling)",
    ),
]
EndpointOpt = Annotated[
    str,
    typer.Option(
        help="http:// generators: auto (completions, falling back to chat when the server has none), completions or chat",
    ),
]
ApiKeyOpt = Annotated[
    str | None, typer.Option("--api-key", envvar="OPENAI_API_KEY", help="API key of an http:// generator (or OPENAI_API_KEY)")
]
TemplateOpt = Annotated[
    str, typer.Option("--template", help="prompt template: fewshot (base models) or chat:TOKENIZER_PATH")
]


def fail(message: str, code: int = 1) -> NoReturn:
    """One-line error on stderr and a shell-friendly exit code (1 failure, 2 bad usage)."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _quiet_loading() -> None:
    """Weight-loading progress bars are noise on a terminal."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _conversion_notice(generator: str) -> None:
    """A one-time conversion of about a minute deserves a line, said only when it is about to happen."""
    if generator != "default":
        return
    from minos.core.models import cache_dir, converted_default

    if converted_default() is None:
        print(
            f"first run: converting the bundled Gemma 3 270M GGUF into {cache_dir() / 'models'} (about a minute, once)",
            file=sys.stderr,
        )


def build_configs(
    *, generator: str, model: str | None, verifier: str, strategies: list[str], template: str,
    endpoint: str = "auto", api_key: str | None = None, **settings,
) -> dict:
    """One SolverConfig per strategy, sharing one generator and one verifier (models load once)."""
    from dataclasses import replace

    from minos.solver import SolverConfig
    from minos.solver.generators import load_generator, template_for
    from minos.solver.strategies import STRATEGIES
    from minos.verifier import load_verifier

    for strategy in strategies:  # cheap checks before any model loads
        if strategy not in STRATEGIES:
            fail(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}", 2)
        if verifier == "none" and STRATEGIES[strategy].needs_verifier:
            fail(f"strategy {strategy!r} needs a verifier (--verifier symbolic, prm:PATH, ...)", 2)
    http = generator.startswith(("http://", "https://"))
    if endpoint not in ("auto", "completions", "chat"):
        fail(f"unknown --endpoint {endpoint!r}: use auto, completions or chat", 2)
    if not http and endpoint != "auto":
        fail(f"--endpoint {endpoint} is for http:// generators, not {generator!r}", 2)
    _quiet_loading()
    try:
        tmpl = template_for(template)
        ver = load_verifier(verifier) if verifier != "none" else None
        _conversion_notice(generator)
        gen = load_generator(generator, model=model, api_key=api_key, **({"endpoint": endpoint} if http else {}))
    except (ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0], 2)
    first = SolverConfig(generator=gen, verifier=ver, strategy=strategies[0], template=tmpl, **settings)
    return {s: replace(first, strategy=s) for s in strategies}
