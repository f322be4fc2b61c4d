"""`minos batch --ray`: the problems of a batch solved by Ray Data actors, the rows written here, by the
driver, as they come back, into the file a local run writes (the same `BatchOutput` and `solve_group`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from minos.core.cluster import RayOptions, ray_map
from minos.solver.batch import BatchOutput, solve_group

__all__ = ["run_batch_on_ray"]


async def _solve(task: dict, configs: dict) -> dict:
    """One problem's group of strategies, on a Ray actor whose configs `build(options)` made once: the same
    function and resolved options a local run builds from, so the parts are the same."""
    from minos.core.types import Problem

    rows, dead = await solve_group(task["index"], Problem.from_dict(task["problem"]), task["group"], configs)
    return {"rows": rows, "dead": dead}


def run_batch_on_ray(
    problems: Iterable, configs: dict, output: Path, *, build: Callable[[dict], dict], options: dict,
    cluster: RayOptions, resume: bool, console, shard: tuple[int, int] | None = None,
) -> None:
    """Solve problems x strategies on Ray, with OUTPUT written as `run_batch` writes it.

    `configs` are the run's SolverConfigs as the driver knows them (settings only: which strategies share a
    draw); each actor builds its own with `build(options)`, models included. The problems left to solve
    are sent to the cluster at the start; their rows are appended one whole line at a time as they finish.
    """
    out = BatchOutput(output, configs, resume=resume, console=console, shard=shard)
    tasks = [{"index": index, "problem": problem.to_dict(), "group": group} for index, problem, group in out.todo(problems)]
    with out:
        results = ray_map(tasks, _solve, build, options, cluster)
        for result in results:
            if out.record(result["rows"], result["dead"]):
                results.close()  # the problems still queued for the dead server are left for --resume
                break
    out.finish()
