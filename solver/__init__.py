"""The Minos solver: a LangGraph graph that samples, scores, prunes and votes.

    from minos.solver import build, solve

    config = build(generator="default", verifier="symbolic", n=4)  # every check first, then the models load once
    print(solve("What is 12 * 7?", config).answer)

`build` (and `build_configs` for several strategies at once) is the one way a run is put together: the command
line, `minos serve`, the benchmarks and the recipes use it too. Names load on first use, so `SolverConfig`
(which the CLI reads for its options) costs no LangGraph import.
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
    "build": "minos.solver.assemble",
    "build_configs": "minos.solver.assemble",
    "build_generator": "minos.solver.assemble",
    "build_verifier": "minos.solver.assemble",
    "asolve": "minos.solver.graph",
    "build_graph": "minos.solver.graph",
    "compile_graph": "minos.solver.graph",
    "solve": "minos.solver.graph",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
