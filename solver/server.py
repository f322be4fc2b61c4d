"""Minos as a model: an OpenAI-compatible server whose answers come from the verifier-in-the-loop solver.

`/v1/models` lists one model; `/v1/chat/completions` (streaming too) solves the last user message with
the configured strategy and answers with the picked solution. Any OpenAI client, agent framework or chat
UI can use it with only a base URL. Concurrent requests share one generator and one verifier. Needs the
`serve` extra (FastAPI, uvicorn, prometheus-client).

Fit for a network the way vLLM's server is: a bearer key (`ServeConfig.serve_api_key`) on every endpoint
but `/health`, Prometheus `/metrics`, a bound on running and queued solves (past it 429 with Retry-After),
request settings validated (400 naming the field), a client that goes away cancels its solve, and SIGTERM
drains (`run`): new work gets 503 while what runs finishes, then the process exits.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import signal
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI, Request  # FastAPI reads the handlers' annotations: these must be module names
from fastapi.responses import JSONResponse, Response, StreamingResponse
from minos.core.steps import join_steps
from minos.core.types import SolveResult
from minos.core.votes import chosen_candidate
from minos.solver.config import ServeConfig, SolverConfig
from minos.solver.graph import asolve
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

__all__ = ["create_app", "run"]

# a solve takes seconds to minutes: an SSE comment every few seconds keeps proxies from closing the stream
_KEEPALIVE_SECONDS = 5.0
_GONE = 499  # nginx's "client closed request": what a cancelled solve's request is counted as


class _BadRequest(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers
        self.body = {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _error(status: int, message: str, **more) -> JSONResponse:
    exc = _BadRequest(status, message, **more)
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)


class _Settings(BaseModel):
    """The settings of a chat request that are checked (OpenAI's types and ranges); the other fields of the
    body are ignored, as vLLM ignores them. Honoured: max_tokens / max_completion_tokens, temperature,
    top_p, seed, stream; `n` must be 1; the rest are checked, then not applied."""

    model_config = ConfigDict(extra="allow")

    model: StrictStr | None = None
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)
    temperature: StrictFloat | StrictInt | None = Field(default=None, ge=0.0, le=2.0)
    top_p: StrictFloat | StrictInt | None = Field(default=None, gt=0.0, le=1.0)
    n: StrictInt | None = None
    seed: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)  # llama.cpp seeds are 32-bit, and sample i uses seed + i
    stream: StrictBool | None = None
    stream_options: dict | None = None
    stop: StrictStr | list[StrictStr] | None = None
    presence_penalty: StrictFloat | StrictInt | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: StrictFloat | StrictInt | None = Field(default=None, ge=-2.0, le=2.0)
    logprobs: StrictBool | None = None
    user: StrictStr | None = None


def _settings(body: Any) -> _Settings:
    if not isinstance(body, dict):
        raise _BadRequest(400, "the request body must be a JSON object")
    try:
        settings = _Settings.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = str(first["loc"][0]) if first["loc"] else None
        raise _BadRequest(400, f"invalid {param!r}: {first['msg']}", param=param) from None
    if settings.n not in (None, 1):
        raise _BadRequest(400, "only n=1 is supported (the solver samples and votes internally)", param="n")
    if settings.logprobs:
        raise _BadRequest(400, "logprobs are not supported (a reply is a picked solution, not one sample)", param="logprobs")
    return settings


def _solve_config(settings: _Settings, config: SolverConfig) -> SolverConfig:
    """The server's config with what the request may set: its own max_tokens (at most the server's),
    temperature, top_p and seed."""
    changes: dict[str, Any] = {}
    for param in ("max_completion_tokens", "max_tokens"):
        value = getattr(settings, param)
        if value is not None:
            if value > config.max_tokens:
                raise _BadRequest(400, f"{param} is at most {config.max_tokens} on this server (minos serve --max-tokens)",
                                  param=param)
            changes["max_tokens"] = value
            break
    for param in ("temperature", "top_p", "seed"):
        if getattr(settings, param) is not None:
            changes[param] = getattr(settings, param)
    return replace(config, **changes) if changes else config


def _question(body: dict, model_name: str) -> str:
    """The problem: the last user message (a string, or the text parts of a content list)."""
    if body.get("model") not in (None, model_name):
        raise _BadRequest(404, f"the model {body.get('model')!r} does not exist; this server serves {model_name!r}",
                          param="model", code="model_not_found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest(400, "'messages' must be a non-empty list", param="messages")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(p["text"] for p in content
                                  if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))
            if not isinstance(content, str) or not content.strip():
                raise _BadRequest(400, "the last user message has no text", param="messages")
            return content
    raise _BadRequest(400, "'messages' holds no user message", param="messages")


def _reply(result: SolveResult, aggregation: str) -> str:
    """The picked solution: the best-scored candidate that reached the picked answer."""
    best = chosen_candidate(result.candidates, result.answer, aggregation)
    if best is None:
        return "I could not find an answer." if result.answer is None else f"The answer is {result.answer}."
    return join_steps(best.steps)


def _extra(result: SolveResult, aggregation: str) -> dict[str, Any]:
    """Minos's own fields of a reply; `critique`: a critic verifier's verdict on the picked solution."""
    best = chosen_candidate(result.candidates, result.answer, aggregation)
    critique = None if best is None or best.critique is None else best.critique.to_dict()
    return {"answer": result.answer, "support": result.support, "confidence": result.confidence, "strategy": result.strategy,
            "candidates": len(result.candidates), "critique": critique}


class _Metrics:
    """Prometheus metrics in a registry of the app's own (two apps in one process do not mix)."""

    def __init__(self, gate: _Gate) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("minos_requests", "requests to /v1 by HTTP status (499: the client went away)",
                                ["status"], registry=self.registry)
        Gauge("minos_solves_in_flight", "solves running now", registry=self.registry).set_function(lambda: gate.running)
        Gauge("minos_queue_depth", "requests waiting for a solve slot", registry=self.registry).set_function(lambda: gate.waiting)
        self.seconds = Histogram("minos_solve_seconds", "seconds a finished solve took (queueing excluded)",
                                 buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600), registry=self.registry)
        self.cancelled = Counter("minos_solves_cancelled", "solves (running or queued) cancelled because their client went away",
                                 registry=self.registry)
        self.rejected = Counter("minos_requests_rejected", "requests refused before solving, by reason (full: 429, draining: 503)",
                                ["reason"], registry=self.registry)
        self.generated = Counter("minos_tokens_generated", "completion tokens the generator produced", registry=self.registry)
        self.scored = Counter("minos_tokens_scored", "tokens of the candidates the verifier scored, plus a critic "
                              "verifier's own completion tokens", registry=self.registry)

    def solved(self, result: SolveResult, scored: bool) -> None:
        self.seconds.observe(result.seconds)
        self.generated.inc(result.usage.completion_tokens)
        if scored:
            self.scored.inc(sum(c.usage.completion_tokens for c in result.candidates) + result.verifier_usage.completion_tokens)


class _Gate:
    """Admission: at most `concurrent` solves run and `queue` more wait; past that a request is refused. One
    event loop drives it, so the counts need no lock."""

    def __init__(self, concurrent: int, queue: int) -> None:
        self.concurrent, self.queue = concurrent, queue
        self.running = self.waiting = self.pending = 0  # pending: admitted and not yet done (what a drain waits for)
        self.draining = False
        self._slots: asyncio.Semaphore | None = None  # made in the server's loop
        self._mean_seconds = 1.0

    def full(self) -> bool:
        # pending, not running + waiting: a solve admitted a moment ago may not have reached its slot yet
        return self.pending >= self.concurrent + self.queue

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead drained at the recent solve time."""
        ahead = max(0, self.pending - self.concurrent)
        return max(1, min(600, math.ceil(self._mean_seconds * (ahead // self.concurrent + 1))))

    @asynccontextmanager
    async def slot(self):
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrent)
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        started = time.perf_counter()
        try:
            yield
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * (time.perf_counter() - started)
        finally:
            self.running -= 1
            self._slots.release()


async def _gone(request: Request) -> None:
    """Returns when the client has disconnected (the body is read by then: ASGI's next message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


class _Guard:
    """Plain ASGI middleware (it leaves the request's receive channel alone, so disconnects reach the
    handlers): the bearer key on every path but /health, and /v1 requests counted by status."""

    def __init__(self, app, *, key: str | None, metrics: _Metrics) -> None:
        self.app, self.metrics = app, metrics
        self.expected = None if key is None else f"Bearer {key}".encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.expected is not None and scope["path"] != "/health":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not secrets.compare_digest(given, self.expected):  # constant time; the key is never logged
                response = _error(401, "a valid API key is required: send `Authorization: Bearer KEY`",
                                  code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
                if scope["path"].startswith("/v1/"):
                    self.metrics.requests.labels("401").inc()
                return await response(scope, receive, send)
        if not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        status = _GONE

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            status = 500
            raise
        finally:
            self.metrics.requests.labels(str(status)).inc()


def create_app(config: SolverConfig, *, model_name: str = "minos", serve: ServeConfig | None = None):
    """A FastAPI app serving `config` as the OpenAI model `model_name`, guarded and bounded by `serve`."""
    serve = serve or ServeConfig()
    app = FastAPI(title="minos", description=__doc__)
    gate = app.state.gate = _Gate(serve.max_concurrent_solves, serve.max_queue)
    metrics = _Metrics(gate)
    app.add_middleware(_Guard, key=serve.serve_api_key, metrics=metrics)
    created = int(time.time())

    @app.exception_handler(_BadRequest)
    async def bad_request(_: Request, exc: _BadRequest) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.get("/health")
    async def health() -> Response:
        # the parts load before the port opens, so only a drain makes this server unready
        if gate.draining:
            return _error(503, "draining: finishing running solves before shutting down", kind="server_error")
        return Response(status_code=200)

    @app.get("/metrics")
    async def prometheus() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": created, "owned_by": "minos"}]}

    @app.get("/v1/models/{name}")
    async def model(name: str) -> dict:
        if name != model_name:
            raise _BadRequest(404, f"the model {name!r} does not exist", param="model", code="model_not_found")
        return {"id": model_name, "object": "model", "created": created, "owned_by": "minos"}

    async def solve(question: str, solve_config: SolverConfig) -> SolveResult:
        try:
            async with gate.slot():
                result = await asolve(question, solve_config)
        except asyncio.CancelledError:
            metrics.cancelled.inc()
            raise
        metrics.solved(result, solve_config.verifier is not None)
        return result

    def admit(question: str, solve_config: SolverConfig) -> asyncio.Task:
        """The solve as a task, or a 503 (draining) or 429 (full) before any work starts."""
        if gate.draining:
            metrics.rejected.labels("draining").inc()
            raise _BadRequest(503, "the server is shutting down; retry on another replica", kind="server_error",
                              headers={"Retry-After": "5"})
        if gate.full():
            metrics.rejected.labels("full").inc()
            raise _BadRequest(429, f"the server is at its limit ({gate.concurrent} solves running, {gate.queue} waiting); "
                              "retry later", kind="rate_limit_error", code="rate_limit_exceeded",
                              headers={"Retry-After": str(gate.retry_after())})
        gate.pending += 1
        task = asyncio.ensure_future(solve(question, solve_config))
        # counted down when the solve ends, however it ends: a stream that never starts cannot hold a drain
        task.add_done_callback(lambda _: setattr(gate, "pending", gate.pending - 1))
        return task

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _BadRequest(400, "the request body is not valid JSON") from None
        settings = _settings(body)
        question = _question(body, model_name)
        solve_config = _solve_config(settings, config)
        ident, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        head = {"id": ident, "created": now, "model": model_name}
        solving = admit(question, solve_config)
        gone = asyncio.ensure_future(_gone(request))
        if not settings.stream:
            try:
                done, _ = await asyncio.wait({solving, gone}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                gone.cancel()
                solving.cancel()  # a no-op once it has finished; else the client went away (or this handler was cancelled)
            if solving not in done:
                return Response(status_code=_GONE)
            result = _finished(solving)
            usage = {"prompt_tokens": result.usage.prompt_tokens, "completion_tokens": result.usage.completion_tokens,
                     "total_tokens": result.usage.total}
            content = await asyncio.to_thread(_reply, result, config.aggregation)  # grading: off the event loop
            return {**head, "object": "chat.completion", "usage": usage, "minos": _extra(result, config.aggregation), "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}

        async def events():
            def chunk(delta: dict, finish: str | None = None, **more) -> str:
                data = {**head, "object": "chat.completion.chunk", **more,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

            try:
                yield chunk({"role": "assistant", "content": ""})
                while not solving.done():
                    await asyncio.wait({solving, gone}, timeout=_KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                    if gone.done():
                        return
                    if not solving.done():
                        yield ": solving\n\n"
                try:
                    result = _finished(solving)
                except _BadRequest as exc:  # headers are sent: the error travels in the stream, as OpenAI does
                    yield f"data: {json.dumps(exc.body)}\n\n"
                    return
                yield chunk({"content": await asyncio.to_thread(_reply, result, config.aggregation)})
                yield chunk({}, "stop", minos=_extra(result, config.aggregation))
                yield "data: [DONE]\n\n"
            finally:
                gone.cancel()
                solving.cancel()

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def _finished(solving: asyncio.Task) -> SolveResult:
    try:
        return solving.result()
    except Exception as exc:  # the generator or verifier failed: a server error, said in one line
        raise _BadRequest(502, f"{type(exc).__name__}: {exc}", kind="server_error") from exc


def run(app, *, host: str, port: int) -> None:
    """Serve `app` (from `create_app`) with uvicorn until SIGINT, or SIGTERM and a drain: once SIGTERM
    arrives, /health and new solves answer 503 while the admitted solves finish; then the server stops and
    the process exits 0. A second signal stops it at once."""
    import uvicorn

    gate: _Gate = app.state.gate

    class Draining(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            if sig == signal.SIGTERM and not gate.draining:
                gate.draining = True  # not captured: a drained server exits 0 instead of re-raising SIGTERM
                return
            super().handle_exit(sig, frame)
            if gate.draining:  # a second signal: no more waiting for solves
                self.force_exit = True

        async def on_tick(self, counter: int) -> bool:
            if gate.draining and gate.pending == 0:
                self.should_exit = True
            return await super().on_tick(counter)

    Draining(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
