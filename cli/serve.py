"""`minos serve`: Minos as an OpenAI-compatible model (any OpenAI client or chat UI can use it)."""

from __future__ import annotations

from typing import Annotated

import typer
from minos.cli.common import build_configs, fail, solver_options

app = typer.Typer()


@app.command()
@solver_options
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    served_name: Annotated[str, typer.Option("--served-model-name", help="the model id clients ask for")] = "minos",
    **options,
) -> None:
    """Serve the solver as an OpenAI-compatible model: /v1/models and /v1/chat/completions (streaming too)."""
    import importlib.util

    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        fail("minos serve needs FastAPI and uvicorn: pip install 'minos[serve]'", 2)
    (config,) = build_configs(options).values()
    import uvicorn
    from minos.solver.server import create_app

    print(f"minos serve: model {served_name!r} at http://{host}:{port}/v1 ({config.strategy}, n={config.n})", flush=True)
    uvicorn.run(create_app(config, model_name=served_name), host=host, port=port, log_level="warning")
