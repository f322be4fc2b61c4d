"""Run settings of a solve, apart from the data it works on (that is `SolveState`)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    n: int = field(default=4, metadata={"help": "solutions sampled (sample strategies) or branches kept alive (search)"})
    beam_width: int = field(default=2, metadata={"help": "search: expansions per kept branch (DVTS: subtree size)"})
    max_steps: int = field(default=10, metadata={"help": "search: most steps a branch may take"})
    max_tokens: int = field(default=512, metadata={"help": "most new tokens of one whole solution"})
    step_max_tokens: int = field(default=160, metadata={"help": "search: most new tokens of one step"})
    token_budget: int | None = field(default=None, metadata={"help": "most completion tokens for the whole solve"})
    threshold: float = field(default=0.0, metadata={"help": "search: a branch whose last step scores under it is pruned"})
    aggregation: str = field(default="auto", metadata={
        "help": "what a vote weighs a candidate by: auto (the verifier's own chance that the solution is right, where "
                "it gives one, as the default verifier does; else min), or its step scores' min, last, prod or mean"})
    temperature: float = field(default=0.8, metadata={"help": "sampling temperature (greedy always uses 0)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling"})
    seed: int | None = field(default=0, metadata={"help": "base seed; None for fresh randomness"})
    rounds: int = field(default=1, metadata={"help": "sample strategies: draw n in this many rounds and stop early "
                                                     "once the vote can no longer change"})
    template: FewShotTemplate | ChatTemplate = field(default_factory=FewShotTemplate, metadata={"help": "prompt template (minos.generators.prompts)"})

    def flag_threshold(self) -> float:
        """The step score under which a step is shown flagged: the verifier's own threshold (chosen on dev data
        when it was trained), else the search's pruning threshold, else 0.5."""
        return (self.verifier.threshold if self.verifier else None) or self.threshold or 0.5

    def __post_init__(self) -> None:
        from minos.core.votes import VOTE_WEIGHTS
        from minos.generators.base import Generator
        from minos.solver.strategies import STRATEGIES
        from minos.verifier.base import Verifier

        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")
        if self.aggregation not in VOTE_WEIGHTS:
            raise ValueError(f"unknown aggregation {self.aggregation!r}: use one of {', '.join(VOTE_WEIGHTS)}")
        # a generator or verifier of one's own is checked here, not half-way through a solve
        if self.generator is not None and not isinstance(self.generator, Generator):
            raise TypeError(f"{type(self.generator).__name__} is not a Generator (complete, complete_many, aclose, name): "
                            "subclass minos.generators.BaseGenerator")
        if self.verifier is not None and not isinstance(self.verifier, Verifier):
            raise TypeError(f"{type(self.verifier).__name__} is not a Verifier (score, score_batch, assess_batch, confidence, name, "
                            "threshold): subclass minos.verifier.BaseVerifier")
        if self.n < 1 or self.beam_width < 1 or self.max_steps < 1 or self.rounds < 1:
            raise ValueError("n, beam_width, max_steps and rounds must be at least 1")


@dataclass(frozen=True)
class ServeConfig:
    """What `minos serve` adds to a solve's settings: who may call it and how much work it takes on."""

    serve_api_key: str | None = field(default=None, metadata={
        "help": "clients must send `Authorization: Bearer KEY` on every endpoint but /health; unset "
                "(None): no authentication"})
    max_concurrent_solves: int = field(default=8, metadata={"help": "solves run at once (they share one generator and verifier)"})
    max_queue: int = field(default=32, metadata={
        "help": "requests waiting for a solve slot; past running + waiting the server answers 429 with Retry-After"})

    def __post_init__(self) -> None:
        if self.max_concurrent_solves < 1:
            raise ValueError(f"max_concurrent_solves must be at least 1, not {self.max_concurrent_solves}")
        if self.max_queue < 0:
            raise ValueError(f"max_queue must be at least 0, not {self.max_queue}")
        if self.serve_api_key is not None and not self.serve_api_key.strip():
            raise ValueError("serve_api_key is empty")
