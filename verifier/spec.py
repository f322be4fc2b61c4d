"""Verifier SPEC strings, the same on every command:

    default              the shipped Math-Minos verifier: a LoRA PRM on the offline default Gemma 3 270M, read
                         with the symbolic checker's verdicts and calibrated (= hybrid:default; prm:default alone)
    none                 no verifier (every step scores 1)
    symbolic             the sympy arithmetic checker
    prm:PATH[#PRESET]    a PRM checkpoint (our own, or PRESET = math-shepherd | qwen-prm | rlhflow)
    orm:PATH[#PRESET]    the same model read as an ORM (final tag only)
    hybrid:PATH[#PRESET] PRM scores combined with the symbolic checker's verdicts: by the checkpoint's fitted
                         calibration (minos_calibration.json), else zeroed where a step is proved wrong
    http://HOST:PORT/v1#MODEL[#PRESET]   a PRM served by vLLM's pooling API
    critic:...           any language model that critiques the steps (see `minos.verifier.critic`)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from minos.verifier.base import NullVerifier, Verifier

__all__ = ["DEFAULT_VERIFIER", "Verifier", "load_verifier", "verifier_loader"]

# The shipped verifier's weights (package data): the adapter, and minos_verifier.json with its dev threshold.
DEFAULT_VERIFIER = Path(__file__).with_name("weights")


def load_verifier(spec: str, *, api_key: str | None = None, critic_samples: int = 8, **kwargs) -> Verifier:
    """Build the verifier a SPEC string names (see the module doc). `api_key` (else $OPENAI_API_KEY) and
    `critic_samples` are for `critic:` specs; other kwargs go to the verifier's class."""
    return verifier_loader(spec, api_key=api_key, critic_samples=critic_samples, **kwargs)()


def verifier_loader(spec: str, *, api_key: str | None = None, critic_samples: int = 8, **kwargs) -> Callable[[], Verifier]:
    """Check a SPEC string and return what builds its verifier (the arguments as `load_verifier`'s): a bad
    spec is a ValueError here, before any model loads or any heavy import."""
    if spec == "default":  # the shipped PRM as it was calibrated and chosen: with the symbolic checker's verdicts
        spec = "hybrid:default"
    if spec in ("none", ""):
        return NullVerifier
    if spec == "symbolic":
        def symbolic():
            from minos.verifier.symbolic import SymbolicVerifier

            return SymbolicVerifier()

        return symbolic
    if spec.startswith(("http://", "https://")):
        url, _, rest = spec.partition("#")
        model, _, preset = rest.partition("#")
        if not model:
            raise ValueError(f"verifier {spec!r} needs the served model name: {url}#MODEL")

        def remote():
            from minos.verifier.remote import RemoteVerifier

            return RemoteVerifier(url, model, scheme=preset or "minos", **kwargs)

        return remote
    if spec.startswith("critic:"):
        from minos.verifier.critic import critic_loader

        return critic_loader(spec, api_key=api_key, samples=critic_samples, **kwargs)
    kind, sep, target = spec.partition(":")
    if sep and kind in ("prm", "orm", "hybrid"):
        path, _, preset = target.partition("#")
        path = str(DEFAULT_VERIFIER) if path == "default" else path

        def neural():
            from minos.verifier.neural import NeuralVerifier

            verifier = NeuralVerifier(path, scheme=preset or None, mode="orm" if kind == "orm" else None, **kwargs)
            if kind == "hybrid":
                from minos.verifier.symbolic import HybridVerifier

                return HybridVerifier(verifier)
            return verifier

        return neural
    raise ValueError(
        f"unknown verifier {spec!r}: use default, none, symbolic, prm:PATH, orm:PATH, hybrid:PATH, "
        "http://HOST:PORT/v1#MODEL or critic:..."
    )
