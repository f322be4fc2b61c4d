"""Generators: one async interface (`Generator.complete`), three back ends, chosen by a spec string.

    default               the offline default (Gemma 3 270M GGUF, in-process llama.cpp; transformers when
                          llama-cpp-python is not installed)
    llamacpp:PATH.gguf    any GGUF model, in-process llama.cpp
    hf:PATH               any local causal LM directory, in-process transformers (batched)
    http://HOST:PORT/v1   an OpenAI-compatible server (pass the served model name too)
    vllm:MODEL            in-process vLLM (`pip install minos[vllm]`)
"""

from __future__ import annotations

from minos.solver.generators.base import BaseGenerator, Completion, Generator, GeneratorError, SamplingParams
from minos.solver.generators.prompts import ChatTemplate, FewShotTemplate, template_for

__all__ = [
    "BaseGenerator",
    "ChatTemplate",
    "Completion",
    "FewShotTemplate",
    "Generator",
    "GeneratorError",
    "SamplingParams",
    "load_generator",
    "template_for",
]


def load_generator(spec: str = "default", *, model: str | None = None, api_key: str | None = None, **kwargs) -> Generator:
    """Build the generator a spec string names (see the module doc)."""
    if spec.startswith(("http://", "https://")):
        import os

        from minos.solver.generators.openai_http import OpenAIGenerator

        if not model:
            raise ValueError(f"generator {spec} needs a model name (--model)")
        return OpenAIGenerator(spec, model, api_key=api_key or os.environ.get("OPENAI_API_KEY", "EMPTY"), **kwargs)
    if spec == "default" or spec.startswith("llamacpp:"):
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is not None:
            from minos.solver.generators.llamacpp_local import LlamaCppGenerator

            return LlamaCppGenerator(None if spec == "default" else spec.removeprefix("llamacpp:"), **kwargs)
        if spec != "default":
            raise ValueError("generator 'llamacpp:' needs llama-cpp-python: pip install 'minos[llamacpp]'")
    if spec == "default" or spec.startswith("hf:"):
        from minos.solver.generators.transformers_local import TransformersGenerator

        return TransformersGenerator(None if spec == "default" else spec.removeprefix("hf:"), **kwargs)
    if spec.startswith("vllm:"):
        import importlib.util

        # vllm is imported inside VLLMGenerator; ask for it first so a missing extra is a usage error
        if importlib.util.find_spec("vllm") is None:
            raise ValueError("generator 'vllm:' needs vLLM: pip install 'minos[vllm]'")
        from minos.solver.generators.vllm_local import VLLMGenerator

        return VLLMGenerator(spec.removeprefix("vllm:"), **kwargs)
    raise ValueError(
        f"unknown generator {spec!r}: use 'default', 'llamacpp:PATH.gguf', 'hf:PATH', 'http://HOST:PORT/v1' or 'vllm:MODEL'"
    )
