"""The Minos solver: a LangGraph graph that samples, scores, prunes and votes.

    from minos.solver import SolverConfig, build_graph, solve
    from minos.solver.generators import load_generator
    from minos.verifier import load_verifier

    config = SolverConfig(generator=load_generator("default"), verifier=load_verifier("symbolic"))
    print(solve("What is 12 * 7?", config).answer)

Names load on first use, so `SolverConfig` (which the CLI reads for its options) costs no LangGraph import.
"""

import importlib

_WHERE = {
    "Candidate": "minos.core.types",
    "Problem": "minos.core.types",
    "SolveResult": "minos.core.types",
    "Usage": "minos.core.types",
    "SolverConfig": "minos.solver.config",
    "SolveState": "minos.solver.state",
    "as_tool": "minos.solver.tool",
    "asolve": "minos.solver.graph",
    "build_graph": "minos.solver.graph",
    "solve": "minos.solver.graph",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'minos.solver' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
