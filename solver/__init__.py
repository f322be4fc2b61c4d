"""The Minos solver: a LangGraph graph that samples, scores, prunes and votes.

    from minos.solver import SolverConfig, build_graph, solve
    from minos.generators import load_generator
    from minos.verifier import load_verifier

    config = SolverConfig(generator=load_generator("default"), verifier=load_verifier("symbolic"))
    print(solve("What is 12 * 7?", config).answer)

Names load on first use, so `SolverConfig` (which the CLI reads for its options) costs no LangGraph import.
"""

from minos.core.lazy import lazy_exports

_WHERE = {
    "Candidate": "minos.core.types",
    "Problem": "minos.core.types",
    "SolveResult": "minos.core.types",
    "Usage": "minos.core.types",
    "ServeConfig": "minos.solver.config",
    "SolverConfig": "minos.solver.config",
    "SolveState": "minos.solver.state",
    "as_tool": "minos.solver.tool",
    "asolve": "minos.solver.graph",
    "build_graph": "minos.solver.graph",
    "compile_graph": "minos.solver.graph",
    "solve": "minos.solver.graph",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
