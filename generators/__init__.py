"""Generators: the LLM back ends behind one async interface (`Generator.complete`), chosen by a spec string.
The solver samples solutions from them, a critic verifier critiques with them, training writes data with them.

    default               the offline default (Gemma 3 270M GGUF, in-process llama.cpp; transformers when
                          llama-cpp-python is not installed)
    llamacpp:PATH.gguf    any GGUF model, in-process llama.cpp
    hf:PATH               any local causal LM directory, in-process transformers (batched)
    http://HOST:PORT/v1   an OpenAI-compatible server (pass the served model name too)
    vllm:MODEL            in-process vLLM (`pip install minos[vllm]`)

Also here: the prompt templates (`minos.generators.prompts`) and Minos's own event loop for sync callers
(`minos.generators.loop.wait_for`).
"""

from __future__ import annotations

from collections.abc import Callable

from minos.generators.base import BaseGenerator, Completion, Generator, GeneratorError, SamplingParams
from minos.generators.prompts import ChatTemplate, FewShotTemplate, template_for

__all__ = [
    "BaseGenerator",
    "ChatTemplate",
    "Completion",
    "FewShotTemplate",
    "Generator",
    "GeneratorError",
    "SamplingParams",
    "generator_loader",
    "load_generator",
    "template_for",
]


def load_generator(spec: str = "default", *, model: str | None = None, api_key: str | None = None, endpoint: str = "auto",
                   **kwargs) -> Generator:
    """Build the generator a spec string names (see the module doc)."""
    return generator_loader(spec, model=model, api_key=api_key, endpoint=endpoint, **kwargs)()


def generator_loader(spec: str = "default", *, model: str | None = None, api_key: str | None = None, endpoint: str = "auto",
                     **kwargs) -> Callable[[], Generator]:
    """Check a spec string and return what builds its generator: a bad spec (or a missing extra) is a
    ValueError here, before any model loads or any heavy import. `model`, `api_key` (else $OPENAI_API_KEY,
    read here and nowhere else) and `endpoint` (auto, completions or chat) are an http:// server's."""
    import importlib.util

    def built_by(module: str, name: str, *args, **more) -> Callable[[], Generator]:
        return lambda: getattr(importlib.import_module(f"minos.generators.{module}"), name)(*args, **more, **kwargs)

    if endpoint not in ("auto", "completions", "chat"):
        raise ValueError(f"unknown endpoint {endpoint!r}: use auto, completions or chat")
    if spec.startswith(("http://", "https://")):
        import os

        if not model:
            raise ValueError(f"generator {spec} needs a model name (--model)")
        return built_by("openai_http", "OpenAIGenerator", spec, model, endpoint=endpoint,
                        api_key=api_key or os.environ.get("OPENAI_API_KEY", "EMPTY"))
    if endpoint != "auto":
        raise ValueError(f"endpoint {endpoint} is for http:// generators, not {spec!r}")
    if spec == "default" or spec.startswith("llamacpp:"):
        if importlib.util.find_spec("llama_cpp") is not None:
            return built_by("llamacpp_local", "LlamaCppGenerator", None if spec == "default" else spec.removeprefix("llamacpp:"))
        if spec != "default":
            raise ValueError("generator 'llamacpp:' needs llama-cpp-python: pip install 'minos[llamacpp]'")
    if spec == "default" or spec.startswith("hf:"):
        return built_by("transformers_local", "TransformersGenerator", None if spec == "default" else spec.removeprefix("hf:"))
    if spec.startswith("vllm:"):
        # vllm is imported inside VLLMGenerator; ask for it first so a missing extra is a usage error
        if importlib.util.find_spec("vllm") is None:
            raise ValueError("generator 'vllm:' needs vLLM: pip install 'minos[vllm]'")
        return built_by("vllm_local", "VLLMGenerator", spec.removeprefix("vllm:"))
    raise ValueError(
        f"unknown generator {spec!r}: use 'default', 'llamacpp:PATH.gguf', 'hf:PATH', 'http://HOST:PORT/v1' or 'vllm:MODEL'"
    )
