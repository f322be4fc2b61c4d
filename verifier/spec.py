"""Verifier SPEC strings, the same on every command:

    default              the shipped Math-Minos PRM: a LoRA adapter on the offline default Gemma 3 270M
    none                 no verifier (every step scores 1)
    symbolic             the sympy arithmetic checker
    prm:PATH[#PRESET]    a PRM checkpoint (our own, or PRESET = math-shepherd | qwen-prm | rlhflow)
    orm:PATH[#PRESET]    the same model read as an ORM (final tag only)
    hybrid:PATH[#PRESET] PRM scores, zeroed where the symbolic checker proves a step wrong
    http://HOST:PORT/v1#MODEL[#PRESET]   a PRM served by vLLM's pooling API

`critic:...` verifiers (a chat model that critiques the steps) sample from a generator, so the solver
builds them: `minos.solver.load_critic`.
"""

from __future__ import annotations

from pathlib import Path

from minos.verifier.base import NullVerifier, Verifier

__all__ = ["DEFAULT_VERIFIER", "Verifier", "load_verifier"]

# The shipped verifier's weights (package data): the adapter, and minos_verifier.json with its dev threshold.
DEFAULT_VERIFIER = Path(__file__).with_name("weights")


def load_verifier(spec: str, **kwargs) -> Verifier:
    """Build the verifier a SPEC string names (see the module doc)."""
    if spec == "default":
        spec = "prm:default"
    if spec in ("none", ""):
        return NullVerifier()
    if spec == "symbolic":
        from minos.verifier.symbolic import SymbolicVerifier

        return SymbolicVerifier()
    if spec.startswith(("http://", "https://")):
        from minos.verifier.remote import RemoteVerifier

        url, _, rest = spec.partition("#")
        model, _, preset = rest.partition("#")
        if not model:
            raise ValueError(f"verifier {spec!r} needs the served model name: {url}#MODEL")
        return RemoteVerifier(url, model, scheme=preset or "minos", **kwargs)
    if spec.startswith("critic:"):
        raise ValueError(f"verifier {spec!r}: critic verifiers sample from a generator; build them with minos.solver.load_critic")
    kind, sep, target = spec.partition(":")
    if sep and kind in ("prm", "orm", "hybrid"):
        from minos.verifier.neural import NeuralVerifier

        path, _, preset = target.partition("#")
        path = str(DEFAULT_VERIFIER) if path == "default" else path
        neural = NeuralVerifier(path, scheme=preset or None, mode="orm" if kind == "orm" else None, **kwargs)
        if kind == "hybrid":
            from minos.verifier.symbolic import HybridVerifier

            return HybridVerifier(neural)
        return neural
    raise ValueError(
        f"unknown verifier {spec!r}: use default, none, symbolic, prm:PATH, orm:PATH, hybrid:PATH or http://HOST:PORT/v1#MODEL"
    )
