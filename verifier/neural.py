"""In-process neural PRM / ORM on transformers.

All the steps of a candidate are scored in ONE forward pass: the input carries a tag after every step
and the score of step i is read at the i-th tag. Candidates are sorted by length and padded in batches of like
lengths (`length_batches`).
An input longer than `max_length` is cut, with a warning, and the steps whose tags were cut get NaN
(never a neighbour's score).
"""

from __future__ import annotations

import inspect
import math
import threading
import warnings
from dataclasses import replace
from pathlib import Path

from minos.verifier.base import BaseVerifier
from minos.verifier.calibration import Calibration
from minos.verifier.probe import StepProbe
from minos.verifier.scheme import PRESETS, StepTagScheme


def accepts_logits_to_keep(model) -> bool:
    """Whether the model (or, under a peft wrapper, its base) can run its LM head at chosen columns only."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def _float32_head(head):
    """`head` (an LM head) run in float32 under autocast, weights shared (torch is imported lazily here)."""
    import torch

    class Float32Head(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner, self.weight = inner, inner.weight

        def forward(self, hidden):
            with torch.autocast("cpu", enabled=False):
                return torch.nn.functional.linear(hidden.float(), self.inner.weight.float(), self.inner.bias)

    return Float32Head(head)


def _bfloat16_linears(model) -> None:
    """Stores the weights of the body's linear layers in bfloat16, the LM head and embeddings left as they
    are. Autocast casts those weights to bfloat16 at every forward pass anyway (a copy of the 100M weights
    each time): stored so, the products are the same and the copies are gone."""
    import torch

    keep = {id(m.weight) for m in (model.get_input_embeddings(), model.get_output_embeddings()) if m is not None}
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and id(module.weight) not in keep:
            module.to(torch.bfloat16)


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (oneDNN's own check); elsewhere bfloat16 is emulated,
    slower than float32."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class NeuralVerifier(BaseVerifier):
    """Scores steps with a PRM (or only the final step with an ORM) read at the step tags."""

    def __init__(
        self,
        path: str | Path,
        *,
        scheme: StepTagScheme | str | None = None,
        mode: str | None = None,
        max_length: int = 4096,
        batch_size: int = 8,
        max_batch_tokens: int | None = None,
        device: str | None = None,
        model=None,
        tokenizer=None,
        precision: str = "auto",
        calibrated: bool = True,
        probe: bool = True,
    ) -> None:
        import torch
        from minos.core.models import base_of, load_tokenizer, merged_adapter
        from transformers import AutoModelForCausalLM

        if isinstance(scheme, str):
            scheme = PRESETS[scheme]
        scheme = scheme or StepTagScheme.load(path) or PRESETS["minos"]
        if mode is not None:
            scheme = replace(scheme, mode=mode)
        self.scheme = scheme
        self.threshold = scheme.threshold
        self.path = Path(path)
        # a checkpoint calibrated on selection data (`minos_calibration.json`) scores probabilities that a step
        # is right; its stored thresholds are on that scale. The ORM reading keeps the raw final-tag score.
        self.calibration = Calibration.load(path) if calibrated and scheme.mode == "prm" else None
        # the likeliest-first-error rule reads scores as chances: only a calibrated reading has it
        self.no_error_bias = scheme.no_error_bias if self.calibration is not None else None
        self.name = f"{scheme.mode}:{path}"
        self.max_length, self.batch_size = max_length, batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        # on a CPU a padded token costs as much as a real one, and the attention of a row grows with the
        # square of its batch's longest row: batches of like lengths, at most 1,024 padded tokens each, scored
        # 1.4-2x the tokens a second of 8 rows padded to the longest on real solutions (flat from 512 to 1,536)
        self.max_batch_tokens = max_batch_tokens or (None if self.device.startswith("cuda") else 1024)
        self.tokenizer = tokenizer or load_tokenizer(path)
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        if model is None:
            if base_of(path) is not None:  # a LoRA adapter (the shipped default is one)
                model = AutoModelForCausalLM.from_pretrained(merged_adapter(path), dtype=dtype)
            else:
                model = _load_checkpoint(path, scheme.head, dtype)
        self.model = model.to(self.device).eval()
        # float32 weights, matrix products in bfloat16 where the CPU does them natively (AVX-512 BF16 / AMX:
        # about 2x the tokens a second here, step scores within 0.02 of float32); on a GPU the weights are
        # bfloat16 already
        if precision not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"precision must be auto, float32 or bfloat16, not {precision!r}")
        self.autocast = self.device == "cpu" and (precision == "bfloat16" or (precision == "auto" and cpu_has_bf16()))
        if self.autocast and scheme.head == "lm" and self.model.get_output_embeddings() is not None:
            # the body in bfloat16, the head (run only at the tags) in float32: the two label logits are a
            # difference of two large dot products, where bfloat16 inputs cost most of the precision
            # (largest step-score gap to float32 on real solutions: 0.021 all bfloat16, 0.008 this way)
            self.model.set_output_embeddings(_float32_head(self.model.get_output_embeddings()))
        if self.autocast:
            _bfloat16_linears(self.model)
        self.tag_id, self.good_id, self.bad_id = scheme.token_ids(self.tokenizer)
        # a step probe stored beside the checkpoint reads a middle layer too (minos.verifier.probe)
        # (`probe=False` reads the head alone, for comparisons; its scores then do not match the calibration)
        self.probe = StepProbe.load(path) if probe and scheme.mode == "prm" and scheme.head == "lm" else None
        self._head_at_tags = scheme.head == "lm" and accepts_logits_to_keep(self.model)
        self._lock = threading.Lock()

    def encode(self, question: str, steps: list[str] | tuple[str, ...]) -> tuple[list[int], list[int]]:
        """Token ids and the positions where the step scores are read (`StepTagScheme.encode`)."""
        return self.scheme.encode(question, steps, self.tokenizer)

    def score_batch(self, items: list[tuple[str, list[str] | tuple[str, ...]]]) -> list[list[float]]:
        """`score` over (question, steps) pairs of many problems at once: evaluation batches across
        problems, sorted by length, instead of one forward pass per problem. Calibrated where the checkpoint
        carries a calibration."""
        raw = self.raw_batch(items)
        if self.calibration is None:
            return raw
        return [[self.calibration.prm(s) for s in row] for row in raw]

    def confidence(self, support: float, strategy: str, aggregation: str) -> float | None:
        return self.calibration.vote_confidence(support, strategy, aggregation) if self.calibration else None

    def raw_batch(self, items: list[tuple[str, list[str] | tuple[str, ...]]]) -> list[list[float]]:
        """The model's own p(good) at each tag, or its step probe's chance that the step is right where the
        checkpoint has one; before any calibration."""
        import torch

        pairs = [self.encode(question, steps) for question, steps in items]
        encoded, reads = [ids for ids, _ in pairs], [at for _, at in pairs]
        expected = [len(steps) if self.scheme.mode == "prm" else 1 for _, steps in items]
        for at, want in zip(reads, expected, strict=True):
            found = len(at)
            if found != want:
                raise ValueError(
                    f"step tag {self.scheme.tag!r} appears {found} times for {want} steps: it merges with the text "
                    "around it under this tokenizer; pick a tag that stays one token"
                )
        results: list[list[float]] = [[] for _ in items]
        pad = self.tokenizer.pad_token_id
        lengths = [min(len(ids), self.max_length) for ids in encoded]
        for batch in length_batches(lengths, self.batch_size, self.max_batch_tokens):
            rows, positions = [], []
            for i in batch:
                ids = encoded[i]
                positions.append([p for p in reads[i] if p < self.max_length])
                if len(ids) > self.max_length:
                    lost = len(reads[i]) - len(positions[-1])
                    warnings.warn(
                        f"verifier input of {len(ids)} tokens cut to {self.max_length}: "
                        f"the last {lost} step(s) get no score (NaN)",
                        stacklevel=2,
                    )
                    ids = ids[: self.max_length]
                rows.append(ids)
            width = max(len(r) for r in rows)
            input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device)
            mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=self.device)
            kwargs, column = {}, {p: p for p in range(width)}
            if self._head_at_tags and any(positions):
                # the LM head only where a tag is: with a 256k vocabulary it would cost more than the body
                keep = sorted({p for ps in positions for p in ps})
                kwargs["logits_to_keep"] = torch.tensor(keep, device=self.device)
                column = {p: j for j, p in enumerate(keep)}
            with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.autocast):
                # only the probe's layers are kept (transformers >= 5 selects by index; older versions keep all)
                layers = list(self.probe.layers) if self.probe is not None else False
                out = self.model(input_ids=input_ids, attention_mask=mask, output_hidden_states=layers, **kwargs)
            logits = out.logits.float()
            if self.scheme.head == "token_classification":
                probs = logits.softmax(-1)[..., 1]
            else:
                pair = logits[..., [self.good_id, self.bad_id]]
                probs = pair.softmax(-1)[..., 0]
            for row, i in enumerate(batch):
                at = [column[p] for p in positions[row]]
                if self.probe is not None and at:
                    head = probs[row, at].clamp(1e-6, 1 - 1e-6)
                    read = self.probe.read(out.hidden_states, row, positions[row], (head / (1 - head)).log())
                    scores = [float(v) for v in read]
                else:
                    scores = [float(probs[row, j]) for j in at]
                results[i] = scores + [math.nan] * (expected[i] - len(scores))
        return results


def length_batches(lengths: list[int], max_rows: int, max_tokens: int | None = None) -> list[list[int]]:
    """Indices grouped into batches, shortest first: at most `max_rows` rows each, and at most `max_tokens`
    tokens once padded to the batch's longest row (a row longer than that goes alone)."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        batch = batches[-1] if batches else None
        # sorted, so the newcomer is the longest: the batch would pad every row to its length
        if batch and len(batch) < max_rows and (max_tokens is None or (len(batch) + 1) * lengths[i] <= max_tokens):
            batch.append(i)
        else:
            batches.append([i])
    return batches


def _load_checkpoint(path, head: str, dtype):
    """The model class the checkpoint names, with every weight it needs.

    A checkpoint that ships its own code (`auto_map`, as Qwen2.5-Math-PRM does) is built from that code, as
    its model card does: a stock class would leave its head (`score.0`, `score.2`) unused and random, so
    the scores would change on every load. Missing weights are refused for the same reason.
    """
    import json

    import transformers

    config_file = Path(path, "config.json")
    auto_map = json.loads(config_file.read_text()).get("auto_map", {}) if config_file.exists() else {}
    kind = "AutoModelForCausalLM"
    if head == "token_classification":
        kind = next((k for k in ("AutoModelForTokenClassification", "AutoModel") if k in auto_map), "AutoModelForTokenClassification")
    model, info = getattr(transformers, kind).from_pretrained(path, dtype=dtype, trust_remote_code=kind in auto_map, output_loading_info=True)
    missing = sorted(info.get("missing_keys", []))
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise ValueError(f"{path}: the checkpoint lacks weights the model needs ({shown}); they would be random")
    return model
