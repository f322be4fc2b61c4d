"""Work spread over a Ray cluster: items through a pool of Ray Data actors, each of which builds its parts
(models, clients) once, with the results streamed back to the caller as they finish. Used by `minos batch
--ray` and `minos data sample|rollout --ray`; Ray (the `ray` extra) is imported only when called."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["ClusterError", "RayOptions", "ray_gather", "ray_map", "require_ray"]

INSTALL = "pip install 'minos[ray]'"


class ClusterError(RuntimeError):
    """Ray is missing, the cluster cannot be reached, or a worker failed to start or crashed."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a run goes on Ray."""

    address: str = field(default="", metadata={
        "help": "the Ray cluster: auto (the one this machine belongs to, as under `ray job submit`), "
                "ray://HOST:10001 (Ray Client), or local (start a Ray on this machine)"})
    workers: int = field(default=2, metadata={
        "help": "Ray actors, each building its own generator and verifier once and working on one problem at a time"})
    gpus_per_worker: float = field(default=0.0, metadata={
        "help": "GPUs each actor reserves: 1 when the generator or verifier runs in the actor (vllm:, hf:, prm:PATH)"})
    cpus_per_worker: float = field(default=1.0, metadata={
        "help": "CPUs each actor reserves; below 1 packs more actors on a node when the models are served over http://"})

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        if self.gpus_per_worker < 0:
            raise ValueError(f"gpus_per_worker must be 0 or more, not {self.gpus_per_worker}")
        if self.cpus_per_worker <= 0:
            raise ValueError(f"cpus_per_worker must be above 0, not {self.cpus_per_worker}")


def require_ray():
    """The `ray` module, with Ray Data; ClusterError saying how to install it when it is missing."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ClusterError(f"--ray needs Ray Data: {INSTALL}") from None
    return ray


def _first_line(exc: BaseException) -> str:
    """The line that says what went wrong: Ray wraps a worker's error in pages of traceback and colour codes,
    whose last `SomeError: message` line is the worker's own."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    said = re.findall(r"^\s*((?:\w+\.)*\w*(?:Error|Exception|Exit)\w*: .+)$", text, re.MULTILINE)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return said[-1].strip() if said else f"{type(exc).__name__}: {lines[0] if lines else ''}"


def connect(address: str) -> None:
    """Join the Ray cluster at `address` (`auto`, `ray://HOST:10001`, ...), or start one on this machine
    when it is empty or `local`; a Ray already started in this process (a test's, a notebook's) is used."""
    ray = require_ray()
    if ray.is_initialized():
        return
    local = address in ("", "local")
    try:
        # "local" always starts a new instance; ray.init() alone would join whatever `ray start` left running
        ray.init(address="local" if local else address, include_dashboard=False if local else None, configure_logging=False)
    except Exception as exc:  # ConnectionError, a bad address (ValueError), a version mismatch (RuntimeError)
        where = "a new local instance" if local else address
        raise ClusterError(f"cannot reach the Ray cluster at {where}: {_first_line(exc)}") from None


class _Actor:
    """One Ray Data actor: its parts are built once, `build(options)` (models load once per actor); each item
    then goes through `handle(item, parts)` on the actor's own event loop, which lives as long as the actor
    (async clients stay bound to it)."""

    def __init__(self, handle: Callable, build: Callable, options: dict) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.handle = handle
        self.parts = build(options)

    def __call__(self, batch: dict) -> dict:
        results = [self.loop.run_until_complete(self.handle(json.loads(item), self.parts)) for item in batch["item"]]
        return {"result": [json.dumps(r, ensure_ascii=False) for r in results]}


def ray_map(items: Iterable, handle: Callable, build: Callable, options: dict, cluster: RayOptions) -> Iterator:
    """`await handle(item, build(options))` for every JSON-able item, on `cluster.workers` actors that each build
    their parts once; yields the (JSON-able) results in the order they finish, so the caller can write each
    at once.

    `handle` and `build` must be importable by the workers (module-level functions, or partials of them).
    Each item is its own block and batch, so a result comes back as soon as its item is done, and a kill
    loses only the items in flight. Raises ClusterError (one line) when Ray is missing, the cluster cannot
    be reached or a worker fails to start.
    """
    work = [json.dumps(item, ensure_ascii=False) for item in items]
    if not work:
        return
    connect(cluster.address)
    ray = require_ray()
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the caller shows its own progress
    context.print_on_execution_start = False
    dataset = ray.data.from_items(work, override_num_blocks=len(work)).map_batches(
        _Actor, fn_constructor_args=(handle, build, options), batch_size=1,
        # one item in flight per actor: none waits behind a slow one while another actor is free
        compute=ray.data.ActorPoolStrategy(size=cluster.workers, max_tasks_in_flight_per_actor=1),
        num_cpus=cluster.cpus_per_worker, num_gpus=cluster.gpus_per_worker or None,
    )
    rows = iter(dataset.iter_rows())
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a worker that could not build its parts, or died: Ray's long traceback
            raise ClusterError(f"a Ray worker failed: {_first_line(exc)}") from exc
        yield json.loads(row["result"])


async def _at(item: dict, parts, handle: Callable):
    return {"at": item["at"], "result": await handle(item["item"], parts)}


def ray_gather(items: Iterable, handle: Callable, build: Callable, options: dict, cluster: RayOptions) -> list:
    """`ray_map`, with the results in the items' order: for commands that write their output at the end."""
    from functools import partial

    results: dict[int, object] = {}
    for done in ray_map(({"at": at, "item": item} for at, item in enumerate(items)), partial(_at, handle=handle),
                        build, options, cluster):
        results[done["at"]] = done["result"]
    return [results[at] for at in range(len(results))]
