"""Servers with no completions endpoint (hosted chat models): `--endpoint auto` falls back to chat, sampling
strategies work there, step-level search continues the final assistant message where the server allows
it (vLLM) and fails in one line where it does not (OpenAI). Loopback servers that answer like the real ones."""

from __future__ import annotations

import json
import re

import pytest
from minos.cli.main import app
from typer.testing import CliRunner

from tests.servers import json_server

runner = CliRunner()
QUESTION = "Tom has 48 clips and sells half of them. How many clips are left?"


def _answer(last: str) -> str:
    """Two steps: '48 / 2 = 24.' then 'The answer is 24.'; given the first step, only the second."""
    return "The answer is 24." if "48 / 2 = 24." in last else "48 / 2 = 24.\n\nThe answer is 24."


def chat_only(*, continues: bool):
    """OpenAI-like (`continues=False`: 404 on /completions, 400 on vLLM's extra parameters) or vLLM-like
    chat-only (`continues=True`: the final assistant message is continued)."""

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "chat-model", "object": "model"}]}
        if path.endswith("/completions") and "/chat/" not in path:
            return 404, {"error": {"message": "This is a chat model and not supported in the v1/completions endpoint. "
                                   "Did you mean to use v1/chat/completions?", "type": "invalid_request_error"}}
        if "continue_final_message" in body and not continues:
            return 400, {"error": {"message": "Unrecognized request argument supplied: continue_final_message",
                                   "type": "invalid_request_error"}}
        messages = body["messages"]
        prefix = messages[-1]["content"] if messages[-1]["role"] == "assistant" else ""
        text = _answer(prefix)
        if body.get("stop") and "\n\n" in body["stop"]:
            text = text.split("\n\n")[0]
        choices = [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                   for i in range(body.get("n") or 1)]
        return 200, {"id": "c", "object": "chat.completion", "created": 0, "model": "chat-model", "choices": choices,
                     "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}}

    return respond


def _solve(url: str, *args: str):
    return runner.invoke(app, ["solve", QUESTION, "--generator", url, "--model", "chat-model", "--verifier", "symbolic",
                               "--json", "--reference", "24", *args])


@pytest.mark.parametrize("strategy", ["greedy", "self_consistency", "weighted_vote"])
def test_sampling_strategies_fall_back_to_chat_with_the_api_key(strategy):
    log: list = []
    with json_server(chat_only(continues=False), log=log) as url:
        result = _solve(url, "--strategy", strategy, "--n", "3", "--api-key", "sk-test")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answer"] == "24" and out["correct"] is True
    posts = [(path, headers, body) for method, path, headers, body in log if method == "POST"]
    assert posts[0][0].endswith("/v1/completions")  # auto: tried first, then chat
    assert all(path.endswith("/chat/completions") for path, _, _ in posts[1:])
    assert all(headers["authorization"] == "Bearer sk-test" for _, headers, _ in posts)
    assert posts[-1][2]["messages"][0]["role"] == "user" and QUESTION in posts[-1][2]["messages"][0]["content"]


def test_search_continues_the_assistant_message_on_a_vllm_like_chat_server():
    log: list = []
    with json_server(chat_only(continues=True), log=log) as url:
        result = _solve(url, "--strategy", "beam_search", "--n", "2", "--beam-width", "1", "--max-steps", "4")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"] == "24"
    continued = [body for method, path, _, body in log if method == "POST" and body.get("continue_final_message")]
    assert continued and all(b["add_generation_prompt"] is False for b in continued)
    assert continued[0]["messages"][-1] == {"role": "assistant", "content": "48 / 2 = 24.\n\n"}


def test_search_on_an_openai_like_chat_server_fails_in_one_line():
    with json_server(chat_only(continues=False)) as url:
        result = _solve(url, "--strategy", "beam_search", "--n", "2", "--beam-width", "1")
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error:") and "step-level search (beam_search, dvts)" in line and "weighted_vote" in line


def test_forced_completions_on_a_chat_only_server_is_a_clear_404():
    with json_server(chat_only(continues=False)) as url:
        result = _solve(url, "--endpoint", "completions")
    assert result.exit_code == 1
    assert re.search(r"error: .*not found .*chat model", result.output)


def test_endpoint_is_checked_before_anything_loads():
    result = runner.invoke(app, ["solve", QUESTION, "--endpoint", "chat"])  # the offline default is not http
    assert result.exit_code == 2 and "--endpoint chat is for http:// generators" in result.output
    result = runner.invoke(app, ["solve", QUESTION, "--generator", "http://127.0.0.1:9/v1", "--model", "m", "--endpoint", "nope"])
    assert result.exit_code == 2 and "unknown endpoint 'nope'" in result.output
