"""Concurrent, resumable critique generation (behind `minos data critique`)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from pathlib import Path

from minos.core.data import read_jsonl, write_jsonl_atomic
from minos.core.types import LabelledSolution
from minos.training.critique import agrees, critique_one


def _key(row: LabelledSolution) -> str:
    # stable across processes (str hash() is salted per process), so --resume recognises finished rows
    digest = hashlib.sha1("\x00".join(row.steps).encode("utf-8")).hexdigest()[:16]
    return f"{row.problem.id}|{digest}"


async def run_critiques(rows, output: Path, base_url: str, model: str, api_key: str | None, concurrency: int, resume: bool):
    """Returns (kept, asked, failures). Rows already in OUTPUT are skipped with --resume; each kept row is
    appended as one flushed line, so an interrupted run keeps what it finished. The critic is reached through
    the HTTP generator (its concurrency bound, retries and key handling); a request that still fails after
    them is reported and the others go on."""
    from minos.generators import GeneratorError, load_generator

    kept_rows = list(read_jsonl(output)) if resume and output.exists() else []
    done = {r["meta"].get("critique_key") for r in kept_rows}
    write_jsonl_atomic(output, kept_rows)
    critic = load_generator(base_url, model=model, api_key=api_key, endpoint="chat", max_concurrency=concurrency)
    stats = {"kept": 0, "asked": 0}
    failures: list[str] = []
    with output.open("a", encoding="utf-8") as sink:

        async def one(row: LabelledSolution) -> None:
            try:
                text = await critique_one(critic, row)
            except GeneratorError as exc:
                failures.append(f"{row.problem.id}: {str(exc).splitlines()[0]}")
                return
            stats["asked"] += 1
            if agrees(text, row):
                stats["kept"] += 1
                out = dataclasses.replace(row, critique=text, meta={**row.meta, "critique_key": _key(row)})
                sink.write(json.dumps(out.to_dict(), ensure_ascii=False) + "\n")
                sink.flush()

        try:
            await asyncio.gather(*(one(r) for r in rows if _key(r) not in done))
        finally:
            await critic.aclose()
    return stats["kept"], stats["asked"], failures
