"""`minos serve`: Minos as an OpenAI-compatible model (any OpenAI client or chat UI can use it)."""

from __future__ import annotations

from typing import Annotated

import typer
from minos.cli.common import (
    ApiKeyOpt,
    EndpointOpt,
    GeneratorOpt,
    ModelOpt,
    TemplateOpt,
    VerifierOpt,
    build_configs,
)

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    served_name: Annotated[str, typer.Option("--served-model-name", help="the model id clients ask for")] = "minos",
    strategy: Annotated[str, typer.Option(help="greedy, self_consistency, best_of_n, weighted_vote, beam_search, dvts")] = "weighted_vote",
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="samples, or live branches for search")] = 4,
    generator: GeneratorOpt = "default",
    model: ModelOpt = None,
    endpoint: EndpointOpt = "auto",
    api_key: ApiKeyOpt = None,
    verifier: VerifierOpt = "hybrid:default",
    template: TemplateOpt = "fewshot",
    max_tokens: Annotated[int, typer.Option(min=1, help="most new tokens per solution")] = 256,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.8,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Serve the solver as an OpenAI-compatible model: /v1/models and /v1/chat/completions (streaming too)."""
    import importlib.util

    from minos.cli.common import fail

    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        fail("minos serve needs FastAPI and uvicorn: pip install 'minos[serve]'", 2)
    (config,) = build_configs(
        generator=generator, model=model, endpoint=endpoint, api_key=api_key, verifier=verifier, strategies=[strategy],
        template=template, n=n, max_tokens=max_tokens, temperature=temperature, seed=seed,
    ).values()
    import uvicorn
    from minos.solver.server import create_app

    print(f"minos serve: model {served_name!r} at http://{host}:{port}/v1 ({strategy}, n={n})", flush=True)
    uvicorn.run(create_app(config, model_name=served_name), host=host, port=port, log_level="warning")
