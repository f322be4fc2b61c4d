"""`minos serve`: Minos as an OpenAI-compatible model (any OpenAI client or chat UI can use it)."""

from __future__ import annotations

from typing import Annotated

import typer
from minos.cli.common import build_configs, fail, solver_options, with_options

app = typer.Typer()

_ENV = {"serve_api_key": "MINOS_SERVE_API_KEY"}  # a secret is better kept out of the process list


def _serve_options(command):
    """One option per `ServeConfig` field (`--serve-api-key`, `--max-concurrent-solves`, `--max-queue`):
    minos serve's own, beside the solver's."""
    import dataclasses
    import typing

    from minos.solver.config import ServeConfig

    hints = typing.get_type_hints(ServeConfig)
    added = []
    for f in dataclasses.fields(ServeConfig):
        help = f.metadata["help"] if f.default is None else f"{f.metadata['help']} (default: {f.default})"
        option = typer.Option(f"--{f.name.replace('_', '-')}", help=help, envvar=_ENV.get(f.name), show_envvar=f.name in _ENV,
                              show_default=False)
        added.append((f.name, hints[f.name] | None, option))
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

    from minos.solver.config import ServeConfig

    if any(importlib.util.find_spec(m) is None for m in ("fastapi", "uvicorn", "prometheus_client")):
        fail("minos serve needs FastAPI, uvicorn and prometheus-client: pip install 'minos[serve]'", 2)
    own = {f.name for f in dataclasses.fields(ServeConfig)}
    try:  # checked before any model loads
        limits = ServeConfig(**{k: options.pop(k) for k in own if options.get(k) is not None})
    except ValueError as exc:
        fail(f"--{str(exc).replace('_', '-')}", 2)  # the messages open with the field's name
    (config,) = build_configs(options).values()
    from minos.solver.server import create_app, run

    auth = "a bearer key required" if limits.serve_api_key else "no authentication"
    print(f"minos serve: model {served_name!r} at http://{host}:{port}/v1 ({config.strategy}, n={config.n}; "
          f"{limits.max_concurrent_solves} solves at once, {limits.max_queue} queued; {auth})", flush=True)
    run(create_app(config, model_name=served_name, serve=limits), host=host, port=port)
