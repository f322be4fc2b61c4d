"""Verifiers: step scores and final-answer scores for candidate solutions.

`load_verifier(SPEC)` builds one from a spec string (see `minos.verifier.spec`; `critic:` specs: any language
model as a step critic, `minos.verifier.critic`); every verifier has
`score(question, solutions) -> per-step probabilities` (the `Verifier` protocol; subclass `BaseVerifier` to
write your own).
"""

from minos.core.votes import AGGREGATIONS, aggregate
from minos.verifier.base import BaseVerifier
from minos.verifier.critic import CriticVerifier
from minos.verifier.scheme import PRESETS, StepTagScheme
from minos.verifier.spec import Verifier, load_verifier, verifier_loader
from minos.verifier.symbolic import StepCheck, check_step

__all__ = [
    "AGGREGATIONS",
    "BaseVerifier",
    "CriticVerifier",
    "PRESETS",
    "StepCheck",
    "StepTagScheme",
    "Verifier",
    "aggregate",
    "check_step",
    "load_verifier",
    "verifier_loader",
]
