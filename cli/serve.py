"""`minos serve`: Minos as an OpenAI-compatible model (any OpenAI client or chat UI can use it)."""

from __future__ import annotations

from typing import Annotated

import typer
from minos.cli.common import configs_from, fail, solver_options, typer_options, usage_error, with_options

app = typer.Typer()

_ENV = {"serve_api_key": "MINOS_SERVE_API_KEY"}  # a secret is better kept out of the process list


def _serve_options(command):
    """One option per `ServeConfig` field (`--serve-api-key`, `--max-concurrent-solves`, `--max-queue`):
    minos serve's own, beside the solver's."""
    from minos.core.options import declared
    from minos.solver.config import ServeConfig

    added = typer_options(declared(ServeConfig))
    for name, _, option in added:
        option.envvar, option.show_envvar = _ENV.get(name), name in _ENV
    return with_options(command, added)


@app.command()
@_serve_options
@solver_options
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    served_name: Annotated[str, typer.Option("--served-model-name", help="the model id clients ask for")] = "minos",
    **options,
) -> None:
    """Serve the solver as an OpenAI-compatible model: /v1/models and /v1/chat/completions (streaming too),
    /health and Prometheus /metrics; SIGTERM drains (new work 503, running solves finish, then exit)."""
    import dataclasses
    import importlib.util

    from minos.core.options import declared
    from minos.solver.config import ServeConfig

    if any(importlib.util.find_spec(m) is None for m in ("fastapi", "uvicorn", "prometheus_client")):
        fail("minos serve needs FastAPI, uvicorn and prometheus-client: pip install 'minos[serve]'", 2)
    own = {f.name: options.pop(f.name) for f in dataclasses.fields(ServeConfig)}
    try:  # checked before any model loads
        limits = ServeConfig(**{k: v for k, v in own.items() if v is not None})
    except ValueError as exc:
        usage_error(exc, declared(ServeConfig))
    (config,) = configs_from(options).values()
    from minos.solver.server import create_app, run

    auth = "a bearer key required" if limits.serve_api_key else "no authentication"
    print(f"minos serve: model {served_name!r} at http://{host}:{port}/v1 ({config.strategy}, n={config.n}; "
          f"{limits.max_concurrent_solves} solves at once, {limits.max_queue} queued; {auth})", flush=True)
    run(create_app(config, model_name=served_name, serve=limits), host=host, port=port)
