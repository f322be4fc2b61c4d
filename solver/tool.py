"""The solver as a LangChain tool, for agents that call tools."""

from __future__ import annotations

from langchain_core.tools import StructuredTool
from minos.generators.loop import wait_for
from minos.solver.config import SolverConfig
from minos.solver.graph import asolve


def as_tool(config: SolverConfig, *, name: str = "solve_math") -> StructuredTool:
    """A tool that takes a math problem and returns its verified final answer with its support."""

    async def run(problem: str) -> str:
        result = await asolve(problem, config)
        return f"{result.answer} (support {result.support:.2f}, {len(result.candidates)} candidates)"

    def run_sync(problem: str) -> str:
        return wait_for(run(problem))

    return StructuredTool.from_function(
        func=run_sync,
        coroutine=run,
        name=name,
        description="Solve a math word problem step by step with verifier-checked sampling; returns the final answer.",
    )
