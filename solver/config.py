"""Run settings of a solve, apart from the data it works on (that is `SolveState`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from minos.generators.prompts import ChatTemplate, FewShotTemplate

if TYPE_CHECKING:  # the CLI reads this module for its options: no verifier package (sympy) at `minos --help`
    from minos.generators.base import Generator
    from minos.verifier.base import Verifier


@dataclass(frozen=True)
class SolverConfig:
    generator: Generator = field(metadata={"help": "a Generator (see minos.generators.load_generator)"})
    verifier: Verifier | None = field(default=None, metadata={"help": "a Verifier (minos.verifier.load_verifier); None: no scores"})
    strategy: str = field(default="weighted_vote", metadata={
        "help": "greedy, self_consistency, best_of_n, weighted_vote, beam_search or dvts (minos.solver.strategies)"})
    n: int = field(default=4, metadata={"help": "solutions sampled (sample strategies) or branches kept alive (search)",
                                        "flags": ("--n", "-n"), "min": 1})
    beam_width: int = field(default=2, metadata={"help": "search: expansions per kept branch (DVTS: subtree size)", "min": 1})
    max_steps: int = field(default=10, metadata={"help": "search: most steps a branch may take", "min": 1})
    max_tokens: int = field(default=512, metadata={"help": "most new tokens of one whole solution", "min": 1})
    step_max_tokens: int = field(default=160, metadata={"help": "search: most new tokens of one step", "min": 1})
    token_budget: int | None = field(default=None, metadata={"help": "most completion tokens for the whole solve", "min": 1})
    threshold: float = field(default=0.0, metadata={"help": "search: a branch whose last step scores under it is pruned"})
    aggregation: str = field(default="auto", metadata={
        "help": "what a vote weighs a candidate by: auto (the verifier's own chance that the solution is right, where "
                "it gives one, as the default verifier does; else min), or its step scores' min, last, prod or mean"})
    temperature: float = field(default=0.8, metadata={"help": "sampling temperature (greedy always uses 0)", "min": 0.0})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling", "min": 0.0, "max": 1.0})
    seed: int | None = field(default=0, metadata={"help": "base seed; None for fresh randomness"})
    rounds: int = field(default=1, metadata={"help": "sample strategies: draw n in this many rounds and stop early "
                                                     "once the vote can no longer change", "min": 1})
    template: FewShotTemplate | ChatTemplate = field(default_factory=FewShotTemplate, metadata={"help": "prompt template (minos.generators.prompts)"})

    def flag_threshold(self) -> float:
        """The step score under which a step is shown flagged: the verifier's own threshold (chosen on dev data
        when it was trained), else the search's pruning threshold, else 0.5."""
        return (self.verifier.threshold if self.verifier else None) or self.threshold or 0.5

    def flag_rule(self) -> dict:
        """How a step is shown flagged, as a result row records it: the threshold, and the verifier's no-error
        bias where it names a likeliest first wrong step instead (`predict_first_error`)."""
        return {"threshold": self.flag_threshold(), "no_error_bias": getattr(self.verifier, "no_error_bias", None)}

    def __post_init__(self) -> None:
        from minos.generators.base import Generator
        from minos.verifier.base import Verifier

        check_settings({name: getattr(self, name) for name in SETTINGS})
        # a generator or verifier of one's own is checked here, not half-way through a solve
        if self.generator is not None and not isinstance(self.generator, Generator):
            raise TypeError(f"{type(self.generator).__name__} is not a Generator (complete, complete_many, aclose, name): "
                            "subclass minos.generators.BaseGenerator")
        if self.verifier is not None and not isinstance(self.verifier, Verifier):
            raise TypeError(f"{type(self.verifier).__name__} is not a Verifier (score, score_batch, assess_batch, confidence, name, "
                            "threshold): subclass minos.verifier.BaseVerifier")


PARTS = ("generator", "verifier", "template")  # the fields that hold built objects
SETTINGS = tuple(f.name for f in fields(SolverConfig) if f.name not in PARTS)  # the plain settings


def check_settings(settings: Mapping[str, object]) -> None:
    """SolverConfig's plain settings (any of them) checked without building one, so nothing needs loading
    first: a one-line ValueError naming the field."""
    from minos.core.options import check_bounds, check_types
    from minos.core.votes import VOTE_WEIGHTS
    from minos.solver.strategies import STRATEGIES

    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(SETTINGS)})")
    check_types(SolverConfig, settings)
    if "strategy" in settings and settings["strategy"] not in STRATEGIES:
        raise ValueError(f"unknown strategy {settings['strategy']!r}: use one of {', '.join(STRATEGIES)}")
    if "aggregation" in settings and settings["aggregation"] not in VOTE_WEIGHTS:
        raise ValueError(f"unknown aggregation {settings['aggregation']!r}: use one of {', '.join(VOTE_WEIGHTS)}")
    check_bounds(SolverConfig, settings)


@dataclass(frozen=True)
class ServeConfig:
    """What `minos serve` adds to a solve's settings: who may call it and how much work it takes on."""

    serve_api_key: str | None = field(default=None, metadata={
        "help": "clients must send `Authorization: Bearer KEY` on every endpoint but /health; unset "
                "(None): no authentication"})
    max_concurrent_solves: int = field(default=8, metadata={"help": "solves run at once (they share one generator and verifier)", "min": 1})
    max_queue: int = field(default=32, metadata={
        "help": "requests waiting for a solve slot; past running + waiting the server answers 429 with Retry-After", "min": 0})

    def __post_init__(self) -> None:
        from minos.core.options import check_bounds

        check_bounds(ServeConfig, vars(self))
        if self.serve_api_key is not None and not self.serve_api_key.strip():
            raise ValueError("serve_api_key is empty")
