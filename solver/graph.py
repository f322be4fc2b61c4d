"""The solver graph: sample -> score -> (prune -> resample -> sample ...) -> vote -> finish.

Sample strategies draw whole solutions (in one or more rounds, stopping early once the vote is settled)
and pick among them. Search strategies grow every live branch by one step, score it with the PRM, prune
the weak branches and refill the free slots from the survivors' prefixes, until every branch has finished
or a budget (steps, tokens) runs out; the finished branches then go to a verifier-weighted vote.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableLambda
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from minos.core.answers import answer_classes, answers_equal, extract_answer
from minos.core.steps import split_steps
from minos.core.types import Candidate, Problem, SolveResult, Usage
from minos.solver import strategies as S
from minos.solver.config import SolverConfig
from minos.solver.generators.base import SamplingParams
from minos.solver.generators.prompts import STEP_DELIMITER, chat_messages
from minos.solver.state import SolveInput, SolveOutput, SolveState
from minos.verifier.aggregate import aggregate


def _event(kind: str, **data: Any) -> dict[str, list[dict[str, Any]]]:
    """A progress event: streamed to `stream_mode="custom"` listeners and kept in the trace."""
    event = {"event": kind, "time": time.time(), **data}
    get_stream_writer()(event)
    return {"trace": [event]}


def _used(state: SolveState) -> int:
    return state.get("usage", Usage()).completion_tokens


def _budget_left(config: SolverConfig, state: SolveState) -> float:
    return math.inf if config.token_budget is None else config.token_budget - _used(state)


def _score_of(config: SolverConfig, candidate: Candidate) -> float:
    return aggregate(candidate.step_scores, config.aggregation) if candidate.step_scores else 1.0


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def wait_for(coroutine: Awaitable) -> Any:
    """Run a coroutine on Minos's own event loop (a daemon thread) and wait for it.

    Sync callers (`graph.invoke`, `graph.stream`, `solve`, a sync parent graph, a notebook whose loop is
    already running) all come here. One long-lived loop, not `asyncio.run` per call: the generators'
    HTTP clients belong to the loop that made them. The caller's context (LangGraph's config and stream
    writer) goes with the coroutine, so custom events still reach a sync `stream`.
    """
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="minos-loop", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(coroutine, _LOOP).result()


def _node(action: Callable[[SolveState], Awaitable[dict[str, Any]]]) -> RunnableLambda:
    """An async node that also runs under `invoke` / `stream` (on the background loop)."""
    return RunnableLambda(lambda state: wait_for(action(state)), afunc=action, name=action.__name__)


def build_graph(config: SolverConfig, *, checkpointer=None):
    """A compiled LangGraph graph that solves `{"question": ...}` into `{"answer", "support", "result"}`.

    It runs under `invoke`, `stream`, `ainvoke` and `astream`, alone or as a node of a parent graph
    (shared keys `question` / `answer`), and takes a checkpointer.
    """
    mode, needs_verifier = S.STRATEGIES[config.strategy]
    if needs_verifier and config.verifier is None:
        raise ValueError(f"strategy {config.strategy!r} needs a verifier")
    generator, template = config.generator, config.template
    greedy = config.strategy == "greedy"
    total = 1 if greedy else config.n

    # ------------------------------------------------------------------------------------ nodes

    async def sample(state: SolveState) -> dict[str, Any]:
        question = state["question"]
        if mode == "sample":
            done = state.get("rounds", 0)
            drawn = len(state.get("finished", []))
            size = min(total - drawn, math.ceil(total / config.rounds))
            max_tokens = int(min(config.max_tokens, _budget_left(config, state) // max(size, 1)))
            params = SamplingParams(
                n=size,
                temperature=0.0 if greedy else config.temperature,
                top_p=config.top_p,
                max_tokens=max(max_tokens, 1),
                seed=None if config.seed is None else config.seed + 1000 * done,
                stop=template.stop,
            )
            started = time.perf_counter()
            completions = await generator.complete(template.render(question), params, messages=chat_messages(question))
            seconds = time.perf_counter() - started
            live = [
                Candidate(
                    steps=tuple(split_steps(c.text)),
                    answer=extract_answer(c.text),
                    finished=c.finish_reason != "length" or extract_answer(c.text) is not None,
                    finish_reason=c.finish_reason,
                    usage=c.usage,
                )
                for c in completions
            ]
            usage = sum((c.usage for c in completions), state.get("usage", Usage()))
            return {"live": live, "usage": usage, "rounds": done + 1} | _event(
                "sampled", round=done + 1, candidates=[c.to_dict() for c in live], generator_seconds=seconds
            )

        # search: grow every live branch by one step; branches sharing a prefix share one request
        live = state.get("live") or [Candidate(steps=(), finished=False)] * total
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, branch in enumerate(live):
            groups.setdefault(branch.steps, []).append(i)
        per_branch = _budget_left(config, state) // max(len(live), 1)
        max_tokens = int(min(config.step_max_tokens, per_branch))
        step_no = state.get("steps", 0)

        async def grow(g: int, prefix: tuple[str, ...], members: list[int]):
            params = SamplingParams(
                n=len(members),
                temperature=config.temperature,
                top_p=config.top_p,
                max_tokens=max_tokens,
                seed=None if config.seed is None else config.seed + 1000 * step_no + g,
                stop=(STEP_DELIMITER, *template.stop),
            )
            return members, await generator.complete(
                template.render(question, prefix), params, messages=chat_messages(question, prefix)
            )

        started = time.perf_counter()
        results = await asyncio.gather(*(grow(g, p, m) for g, (p, m) in enumerate(groups.items())))
        seconds = time.perf_counter() - started
        grown: list[Candidate] = list(live)
        usage = state.get("usage", Usage())
        for members, completions in results:
            for i, completion in zip(members, completions, strict=True):
                text = completion.text.strip()
                answer = extract_answer(text) if text else None
                steps = live[i].steps + ((text,) if text else ())
                grown[i] = Candidate(
                    steps=steps,
                    answer=answer or extract_answer("\n".join(steps[-1:])),
                    finished=answer is not None or not text,
                    finish_reason=completion.finish_reason,
                    step_scores=live[i].step_scores,
                    usage=live[i].usage + completion.usage,
                )
                usage = usage + completion.usage
        return {"live": grown, "usage": usage, "steps": step_no + 1} | _event(
            "stepped", step=step_no + 1, branches=[c.to_dict() for c in grown], generator_seconds=seconds
        )

    async def score(state: SolveState) -> dict[str, Any]:
        live = state["live"]
        if config.verifier is None or not live or (mode == "sample" and not needs_verifier and config.verifier is None):
            scored = live
            seconds = 0.0
        else:
            started = time.perf_counter()
            rows = await asyncio.to_thread(config.verifier.score, state["question"], [list(c.steps) or [""] for c in live])
            seconds = time.perf_counter() - started
            scored = [Candidate(**{**c.__dict__, "step_scores": tuple(r)}) for c, r in zip(live, rows, strict=True)]
        update: dict[str, Any] = {"live": scored}
        if mode == "sample":
            update = {"live": [], "finished": state.get("finished", []) + scored}
        return update | _event("scored", scores=[list(c.step_scores) for c in scored], verifier_seconds=seconds)

    def prune(state: SolveState) -> dict[str, Any]:
        live, finished = state["live"], list(state.get("finished", []))
        finished += [c for c in live if c.finished]
        open_ids = [i for i, c in enumerate(live) if not c.finished]
        last = [live[i].step_scores[-1] if live[i].step_scores else 1.0 for i in open_ids]
        if config.strategy == "dvts":
            subtree = state.get("subtree") or [i // config.beam_width for i in range(len(live))]
            kept_local = S.select_per_subtree([subtree[i] for i in open_ids], last, config.threshold)
        else:
            keep = max(1, config.n // config.beam_width)
            kept_local = S.select_beams(last, keep, config.threshold)
        kept = [open_ids[k] for k in kept_local]
        pruned = [i for i in open_ids if i not in kept]
        update = {
            "live": [live[i] for i in kept],
            "finished": finished,
            "subtree": [(state.get("subtree") or [i // config.beam_width for i in range(len(live))])[i] for i in kept],
        }
        return update | _event("pruned", kept=kept, pruned=pruned, finished=len(finished))

    def resample(state: SolveState) -> dict[str, Any]:
        live, finished = state["live"], state.get("finished", [])
        if config.strategy == "dvts":
            # every surviving subtree expands its best branch `beam_width` ways
            order = [k for k in range(len(live)) for _ in range(config.beam_width)]
            subtree = [state["subtree"][k] for k in order]
        else:
            order = S.beam_search.refill(list(range(len(live))), max(total - len(finished), 0))
            subtree = [0] * len(order)
        return {"live": [live[k] for k in order], "subtree": subtree} | _event("resampled", branches=len(order))

    async def vote(state: SolveState) -> dict[str, Any]:
        pool = state.get("finished", []) + [c for c in state.get("live", []) if mode == "search"]
        voters = [c for c in pool if c.finished] or pool
        answers = [c.answer for c in voters]
        scores = [_score_of(config, c) for c in voters]
        classes = await asyncio.to_thread(answer_classes, answers)
        if config.strategy == "greedy":
            pick = S.first(answers)
        elif config.strategy == "self_consistency":
            pick = S.majority_vote(answers, classes)
        elif config.strategy == "best_of_n":
            pick = S.best_of_n(answers, scores)
        else:
            pick = S.weighted_vote(answers, scores, classes)
        return {"answer": pick.answer, "support": pick.support} | _event(
            "voted", answer=pick.answer, support=pick.support, voters=len(voters)
        )

    async def finish(state: SolveState) -> dict[str, Any]:
        reference = state.get("reference")
        correct = None
        if reference is not None:
            correct = await asyncio.to_thread(answers_equal, state.get("answer"), reference)
        candidates = tuple(state.get("finished", [])) + tuple(c for c in state.get("live", []) if mode == "search")
        problem = Problem(state.get("problem_id", ""), state["question"], reference)
        result = SolveResult(
            problem=problem,
            answer=state.get("answer"),
            support=state.get("support", 0.0),
            strategy=config.strategy,
            candidates=candidates,
            correct=correct,
            usage=state.get("usage", Usage()),
        )
        return {"result": result} | _event("finished", answer=result.answer, correct=correct)

    # ---------------------------------------------------------------------------------- routers

    def after_score(state: SolveState) -> Literal["prune", "sample", "vote"]:
        if mode == "search":
            return "prune"
        finished = state.get("finished", [])
        remaining = total - len(finished)
        if remaining <= 0 or _budget_left(config, state) <= 0:
            return "vote"
        # stop early when even `remaining` perfect votes for the runner-up could not change the winner
        answers = [c.answer for c in finished]
        classes = answer_classes(answers)
        weights: dict[int, float] = {}
        for cls, cand in zip(classes, finished, strict=True):
            if cls >= 0:
                weights[cls] = weights.get(cls, 0.0) + (1.0 if config.strategy == "self_consistency" else _score_of(config, cand))
        ranked = sorted(weights.values(), reverse=True) + [0.0, 0.0]
        if config.strategy in ("self_consistency", "weighted_vote") and ranked[0] > ranked[1] + remaining:
            return "vote"
        return "sample"

    def after_prune(state: SolveState) -> Literal["resample", "vote"]:
        if not state["live"] or state.get("steps", 0) >= config.max_steps or _budget_left(config, state) < 1:
            return "vote"
        return "resample"

    graph = StateGraph(SolveState, input_schema=SolveInput, output_schema=SolveOutput)
    for node in (sample, score, vote, finish):
        graph.add_node(node.__name__, _node(node))
    for node in (prune, resample):
        graph.add_node(node.__name__, node)
    graph.add_edge(START, "sample")
    graph.add_edge("sample", "score")
    graph.add_conditional_edges("score", after_score)
    graph.add_conditional_edges("prune", after_prune)
    graph.add_edge("resample", "sample")
    graph.add_edge("vote", "finish")
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer, name=f"minos-{config.strategy}")


_GRAPHS: dict[int, tuple[weakref.ref, CompiledStateGraph]] = {}


def _compiled(config: SolverConfig) -> CompiledStateGraph:
    """One compiled graph per config: compiling costs more than the rest of a solve's orchestration, and a
    compiled graph without a checkpointer serves concurrent solves."""
    entry = _GRAPHS.get(id(config))
    if entry is None or entry[0]() is not config:
        for key in [k for k, (ref, _) in _GRAPHS.items() if ref() is None]:
            del _GRAPHS[key]
        entry = (weakref.ref(config), build_graph(config))
        _GRAPHS[id(config)] = entry
    return entry[1]


async def asolve(question: str, config: SolverConfig, *, reference: str | None = None, problem_id: str = "") -> SolveResult:
    """Solve one problem; returns the full result (answer, support, candidates, usage, time)."""
    started = time.perf_counter()
    graph = _compiled(config)
    steps_cap = 8 * (config.max_steps + config.rounds) + 20
    out = await graph.ainvoke(
        {"question": question, "reference": reference, "problem_id": problem_id}, {"recursion_limit": steps_cap}
    )
    result: SolveResult = out["result"]
    return SolveResult(**{**result.__dict__, "seconds": time.perf_counter() - started})


def solve(question: str, config: SolverConfig, *, reference: str | None = None, problem_id: str = "") -> SolveResult:
    """Synchronous `asolve`, for scripts and notebooks (a running loop in this thread is fine)."""
    return wait_for(asolve(question, config, reference=reference, problem_id=problem_id))
