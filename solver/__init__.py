"""The Minos solver: a LangGraph graph that samples, scores, prunes and votes.

    from minos.solver import SolverConfig, build_graph, solve
    from minos.solver.generators import load_generator
    from minos.verifier import load_verifier

    config = SolverConfig(generator=load_generator("default"), verifier=load_verifier("symbolic"))
    print(solve("What is 12 * 7?", config).answer)
"""

from minos.core.types import Candidate, Problem, SolveResult, Usage
from minos.solver.config import SolverConfig
from minos.solver.graph import asolve, build_graph, solve
from minos.solver.state import SolveState
from minos.solver.tool import as_tool

__all__ = [
    "Candidate",
    "Problem",
    "SolveResult",
    "SolveState",
    "SolverConfig",
    "Usage",
    "as_tool",
    "asolve",
    "build_graph",
    "solve",
]
