"""`minos serve` on a network: a real uvicorn process (`tests.serve_paced`: the app and runner `minos serve`
uses, with a generator whose solves take the `[sleep S]` a question asks for) driven over HTTP on loopback.
Authentication on and off, /health and /metrics, a bounded burst at 2x and 10x the limits (every request
200 or 429, none lost, none 5xx), fuzzed bodies (4xx, never a 500 or a hang), a client that goes away
cancelling its solve, and SIGTERM during load (running solves finish, new work 503, exit 0)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import free_port, start_paced

pytestmark = pytest.mark.server

KEY = "sk-test-4c1f"
LIMITS = ("--max-concurrent-solves", "2", "--max-queue", "3")  # 5 requests held at most


class Paced:
    def __init__(self, url: str, process: subprocess.Popen, log: Path, headers: dict[str, str]) -> None:
        self.url, self.process, self.log, self.headers = url, process, log, headers

    def metrics(self) -> dict[str, float]:
        """The /metrics samples, by name with labels (`minos_requests_total{status="200"}`)."""
        text = httpx.get(f"{self.url}/metrics", headers=self.headers, timeout=5).text
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}

    def chat(self, question: str = "What is 48 / 2?", **more) -> dict:
        return {"model": "minos", "messages": [{"role": "user", "content": question}], **more}

    def wait_for(self, condition, seconds: float = 15.0) -> dict[str, float]:
        deadline = time.time() + seconds
        while True:
            seen = self.metrics()
            if condition(seen) or time.time() > deadline:
                return seen
            time.sleep(0.05)


@contextmanager
def paced(tmp_path_factory, *options: str, key: str | None = None):
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with open(log, "w") as out:
        process = start_paced(port, *options, *(["--serve-api-key", key] if key else []), log=out)
    try:
        yield Paced(f"http://127.0.0.1:{port}", process, log, {"Authorization": f"Bearer {key}"} if key else {})
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    with paced(tmp_path_factory, *LIMITS, key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    with paced(tmp_path_factory, *LIMITS) as server:
        yield server


BEARER = {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/health", {}, 200),
        ("GET", "/v1/models", {}, 401),
        ("GET", "/v1/models", {"Authorization": "Bearer sk-wrong"}, 401),
        ("GET", "/v1/models", {"Authorization": KEY}, 401),  # the key without its scheme
        ("GET", "/v1/models", {"Authorization": f"Bearer {KEY}x"}, 401),
        ("GET", "/v1/models", BEARER, 200),
        ("GET", "/metrics", {}, 401),
        ("GET", "/metrics", BEARER, 200),
        ("GET", "/openapi.json", {}, 401),
        ("POST", "/v1/chat/completions", {}, 401),
        ("POST", "/v1/chat/completions", BEARER, 200),
    ],
)
def test_a_key_guards_every_endpoint_but_health(keyed, method, path, headers, status):
    body = keyed.chat() if method == "POST" else None
    response = httpx.request(method, f"{keyed.url}{path}", headers=headers, json=body, timeout=10)
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert response.json()["error"]["type"] == "invalid_request_error"
        assert response.headers["www-authenticate"] == "Bearer"
    assert KEY not in keyed.log.read_text()  # never logged


def test_without_a_key_anyone_is_served(open_server):
    assert httpx.get(f"{open_server.url}/v1/models", timeout=5).json()["data"][0]["id"] == "minos"
    reply = httpx.post(f"{open_server.url}/v1/chat/completions", json=open_server.chat(), timeout=10).json()
    assert reply["minos"]["answer"] == "24" and reply["choices"][0]["message"]["content"].endswith("24.")
    seen = open_server.metrics()
    for name in ("minos_solves_in_flight", "minos_queue_depth", "minos_solve_seconds_count", "minos_tokens_generated_total",
                 "minos_tokens_scored_total", "minos_solves_cancelled_total"):
        assert name in seen, name
    assert seen["minos_tokens_generated_total"] > 0 and seen["minos_tokens_scored_total"] > 0
    assert seen['minos_requests_total{status="200"}'] >= 1


@pytest.mark.parametrize(
    ("settings", "status", "param"),
    [
        ({"max_tokens": -1}, 400, "max_tokens"),
        ({"max_tokens": 0}, 400, "max_tokens"),
        ({"max_tokens": 1.5}, 400, "max_tokens"),
        ({"max_tokens": 65}, 400, "max_tokens"),  # past the server's own --max-tokens (64)
        ({"max_completion_tokens": "8"}, 400, "max_completion_tokens"),
        ({"temperature": 2.5}, 400, "temperature"),
        ({"temperature": True}, 400, "temperature"),
        ({"top_p": 0}, 400, "top_p"),
        ({"n": 2}, 400, "n"),
        ({"seed": "x"}, 400, "seed"),
        ({"seed": -1}, 400, "seed"),
        ({"stream": "yes"}, 400, "stream"),
        ({"stop": [1]}, 400, "stop"),
        ({"logprobs": True}, 400, "logprobs"),
        ({"model": "gpt-4"}, 404, "model"),
        ({"messages": []}, 400, "messages"),
        ({"max_tokens": 64, "temperature": 0, "top_p": 0.5, "seed": 7, "n": 1, "stop": None, "user": "u", "tools": []}, 200, None),
    ],
)
def test_request_settings_are_checked_by_name(open_server, settings, status, param):
    response = httpx.post(f"{open_server.url}/v1/chat/completions", json=open_server.chat() | settings, timeout=10)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["error"]["param"] == param


def test_max_tokens_reaches_the_solve(open_server):
    # the scripted generator spends a "token" a word: 3 samples cut at 2 tokens each
    reply = httpx.post(f"{open_server.url}/v1/chat/completions", json=open_server.chat(max_tokens=2), timeout=10).json()
    assert reply["usage"]["completion_tokens"] == 3 * 2


async def _burst(url: str, clients: int, question: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=20, limits=limits) as client:
        body = {"model": "minos", "messages": [{"role": "user", "content": question}]}
        return await asyncio.gather(*(client.post(f"{url}/v1/chat/completions", json=body) for _ in range(clients)))


@pytest.mark.parametrize("clients", [10, 50])  # 2x and 10x the 5 requests the server holds
def test_a_burst_past_the_limits_is_answered_200_or_429(open_server, clients):
    before = open_server.metrics()
    peaks = {"minos_solves_in_flight": 0.0, "minos_queue_depth": 0.0}
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen = open_server.metrics()
            for name in peaks:
                peaks[name] = max(peaks[name], seen[name])

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        replies = asyncio.run(_burst(open_server.url, clients, "What is 48 / 2? [sleep 0.4]"))
    finally:
        done.set()
        watcher.join()
    statuses = [r.status_code for r in replies]
    assert len(statuses) == clients and set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 5 and statuses.count(429) >= clients - 5 - 5
    for reply in replies:
        if reply.status_code == 429:
            assert int(reply.headers["retry-after"]) >= 1 and reply.json()["error"]["code"] == "rate_limit_exceeded"
        else:
            assert reply.json()["minos"]["answer"] == "24"
    assert peaks["minos_solves_in_flight"] <= 2 and peaks["minos_queue_depth"] <= 3
    after = open_server.wait_for(lambda m: m["minos_solves_in_flight"] == 0)
    for status in (200, 429):  # the server counted every request the clients saw
        key = f'minos_requests_total{{status="{status}"}}'
        assert after.get(key, 0) - before.get(key, 0) == statuses.count(status)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
_messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "assistant", 3]),
                                            "content": st.text(max_size=20) | _json}), max_size=3)
_bodies = st.fixed_dictionaries({}, optional={
    "model": st.just("minos") | _json,
    "messages": _messages | _json,
    **{name: st.integers(-3, 100) | _json for name in ("max_tokens", "max_completion_tokens", "n", "seed")},
    **{name: st.floats(-1, 3) | _json for name in ("temperature", "top_p", "presence_penalty")},
    **{name: st.booleans() | _json for name in ("stream", "logprobs")},
    "stop": _json,
}) | _json


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=_bodies.map(lambda b: json.dumps(b).encode()) | st.binary(max_size=40))
def test_fuzzed_bodies_get_4xx_never_a_500_or_a_hang(open_server, body):
    response = httpx.post(f"{open_server.url}/v1/chat/completions", content=body,
                          headers={"content-type": "application/json"}, timeout=10)
    assert response.status_code == 200 or 400 <= response.status_code < 500, (response.status_code, response.text)
    if response.status_code != 200:
        assert response.json()["error"]["message"]
    elif response.headers["content-type"].startswith("text/event-stream"):
        assert response.text.rstrip().endswith("data: [DONE]")


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_goes_away_cancels_its_solve(open_server, stream):
    before = open_server.wait_for(lambda m: m["minos_solves_in_flight"] == 0)
    body = open_server.chat("What is 48 / 2? [sleep 20]", stream=stream)
    with httpx.Client(timeout=httpx.Timeout(10, read=1.0)) as client:
        if stream:
            with client.stream("POST", f"{open_server.url}/v1/chat/completions", json=body) as response:
                lines = response.iter_lines()  # held: a dropped line iterator closes the connection
                assert next(lines).startswith("data: ")  # the stream has begun
                assert open_server.wait_for(lambda m: m["minos_solves_in_flight"] == 1)["minos_solves_in_flight"] == 1
        else:
            with pytest.raises(httpx.ReadTimeout):
                client.post(f"{open_server.url}/v1/chat/completions", json=body)
    started = time.time()
    after = open_server.wait_for(lambda m: m["minos_solves_cancelled_total"] > before["minos_solves_cancelled_total"])
    assert after["minos_solves_cancelled_total"] == before["minos_solves_cancelled_total"] + 1
    assert time.time() - started < 10  # well before the 20 s solve would have ended
    assert open_server.wait_for(lambda m: m["minos_solves_in_flight"] == 0)["minos_solves_in_flight"] == 0
    assert after.get('minos_requests_total{status="499"}', 0) >= 1 or stream  # a stream's 200 was sent before it went


def test_sigterm_drains_running_solves_and_refuses_new_work(tmp_path_factory):
    with paced(tmp_path_factory, "--max-concurrent-solves", "2", "--max-queue", "2") as server:
        results: list[httpx.Response] = []

        def ask():
            # 5 s solves: time for the checks below while they run, even on a busy machine
            results.append(httpx.post(f"{server.url}/v1/chat/completions", json=server.chat("What is 48 / 2? [sleep 5]"),
                                      timeout=30))

        askers = [threading.Thread(target=ask) for _ in range(3)]  # two run, one waits in the queue
        for asker in askers:
            asker.start()
        seen = server.wait_for(lambda m: m["minos_solves_in_flight"] == 2 and m["minos_queue_depth"] == 1)
        assert (seen["minos_solves_in_flight"], seen["minos_queue_depth"]) == (2, 1)
        server.process.send_signal(signal.SIGTERM)
        deadline = time.time() + 4
        while httpx.get(f"{server.url}/health", timeout=5).status_code != 503 and time.time() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 503
        refused = httpx.post(f"{server.url}/v1/chat/completions", json=server.chat(), timeout=5)
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert httpx.get(f"{server.url}/metrics", timeout=5).status_code == 200  # still observable while draining
        for asker in askers:
            asker.join(30)
        assert [r.status_code for r in results] == [200, 200, 200]  # the queued one too: it was admitted
        assert server.process.wait(30) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/health", timeout=2)
        assert not re.search(r"Traceback|ERROR", server.log.read_text()), server.log.read_text()


def test_a_second_sigterm_stops_at_once(tmp_path_factory):
    with paced(tmp_path_factory) as server:
        failed: list[Exception] = []

        def ask():
            try:
                httpx.post(f"{server.url}/v1/chat/completions", json=server.chat("What is 48 / 2? [sleep 30]"), timeout=40)
            except httpx.TransportError as exc:
                failed.append(exc)

        asker = threading.Thread(target=ask)
        asker.start()
        server.wait_for(lambda m: m["minos_solves_in_flight"] == 1)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        started = time.time()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(30) == -signal.SIGTERM  # forced: killed by the signal, not drained
        assert time.time() - started < 10  # not the 30 s solve
        asker.join(10)
        assert failed  # the solve it dropped: the client saw the connection go
