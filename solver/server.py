"""Minos as a model: an OpenAI-compatible server whose answers come from the verifier-in-the-loop solver.

`/v1/models` lists one model; `/v1/chat/completions` (streaming too) solves the last user message with
the configured strategy and answers with the picked solution. Any OpenAI client, agent framework or chat
UI can use it with only a base URL. Concurrent requests share one generator and one verifier. Needs the
`serve` extra (FastAPI, uvicorn).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request  # FastAPI reads the handlers' annotations: these must be module names
from fastapi.responses import JSONResponse, StreamingResponse
from minos.core.steps import join_steps
from minos.core.types import SolveResult
from minos.core.votes import chosen_candidate
from minos.solver.config import SolverConfig
from minos.solver.graph import asolve

# a solve takes seconds to minutes: an SSE comment every few seconds keeps proxies from closing the stream
_KEEPALIVE_SECONDS = 5.0


class _BadRequest(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.body = status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _question(body: Any, model_name: str) -> str:
    """The problem: the last user message (a string, or the text parts of a content list)."""
    if not isinstance(body, dict):
        raise _BadRequest(400, "the request body must be a JSON object")
    if body.get("model") not in (None, model_name):
        raise _BadRequest(404, f"the model {body.get('model')!r} does not exist; this server serves {model_name!r}",
                          param="model", code="model_not_found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest(400, "'messages' must be a non-empty list", param="messages")
    if body.get("n", 1) != 1:
        raise _BadRequest(400, "only n=1 is supported (the solver samples and votes internally)", param="n")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
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


def create_app(config: SolverConfig, *, model_name: str = "minos"):
    """A FastAPI app serving `config` as the OpenAI model `model_name`."""
    app = FastAPI(title="minos", description=__doc__)
    created = int(time.time())

    @app.exception_handler(_BadRequest)
    async def bad_request(_: Request, exc: _BadRequest) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": created, "owned_by": "minos"}]}

    @app.get("/v1/models/{name}")
    async def model(name: str) -> dict:
        if name != model_name:
            raise _BadRequest(404, f"the model {name!r} does not exist", param="model", code="model_not_found")
        return {"id": model_name, "object": "model", "created": created, "owned_by": "minos"}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise _BadRequest(400, "the request body is not valid JSON") from None
        question = _question(body, model_name)
        ident, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        head = {"id": ident, "created": now, "model": model_name}
        solving = asyncio.ensure_future(asolve(question, config))
        if not body.get("stream"):
            result = await _finished(solving)
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

            yield chunk({"role": "assistant", "content": ""})
            while not solving.done():
                done, _ = await asyncio.wait({solving}, timeout=_KEEPALIVE_SECONDS)
                if not done:
                    yield ": solving\n\n"
            try:
                result = solving.result()
            except Exception as exc:  # headers are sent: the error travels in the stream, as OpenAI does
                yield f"data: {json.dumps({'error': {'message': f'{type(exc).__name__}: {exc}', 'type': 'server_error'}})}\n\n"
                return
            yield chunk({"content": await asyncio.to_thread(_reply, result, config.aggregation)})
            yield chunk({}, "stop", minos=_extra(result, config.aggregation))
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


async def _finished(solving) -> SolveResult:
    try:
        return await solving
    except Exception as exc:  # the generator or verifier failed: a server error, said in one line
        raise _BadRequest(502, f"{type(exc).__name__}: {exc}", kind="server_error") from exc
