"""The solver graph: START -> draw | expand -> score -> (draw | prune -> resample -> expand) -> vote -> finish.

Sample strategies `draw` whole solutions (in one or more rounds, stopping early once the vote is settled)
and pick among them. Search strategies `expand` every live branch by one step, `score` it with the PRM,
`prune` the weak branches and `resample` the free slots from the survivors' prefixes, until every branch
has finished or a budget (steps, tokens) runs out; the candidates then go to the strategy's `vote`.
The strategy object (`minos.solver.strategies`) holds every rule; the nodes only apply them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableLambda
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime, get_runtime
from minos.core.answers import answer_classes, answers_equal, extract_answer
from minos.core.steps import STEP_SEPARATOR, split_steps
from minos.core.types import Candidate, Problem, SolveResult, Usage
from minos.core.votes import candidate_score
from minos.generators.base import SamplingParams
from minos.generators.loop import wait_for
from minos.generators.prompts import chat_messages
from minos.solver.config import SolverConfig
from minos.solver.state import SolveInput, SolveOutput, SolveState
from minos.solver.strategies import STRATEGIES, vote_on, voters


def _told(update: dict[str, Any], kind: str, **data: Any) -> dict[str, Any]:
    """A node's state update, once its progress event is streamed to `stream_mode="custom"` listeners (the
    CLI's progress, `on_event`); the events are not kept in the state, which nothing would read."""
    get_stream_writer()({"event": kind, "time": time.time(), **data})
    return update


def _used(state: SolveState) -> int:
    return state.get("usage", Usage()).completion_tokens


def _budget_left(config: SolverConfig, state: SolveState) -> float:
    return math.inf if config.token_budget is None else config.token_budget - _used(state)


def _score_of(config: SolverConfig, candidate: Candidate) -> float:
    return candidate_score(candidate.step_scores, config.aggregation, candidate.solution_score)


def shares_draw(a: SolverConfig, b: SolverConfig) -> bool:
    """Whether a solve under `b` would draw exactly the candidates a solve under `a` drew, so it can vote on
    them instead of drawing again: both draw whole solutions in one round, with every other setting equal."""
    sample = [STRATEGIES[c.strategy] for c in (a, b)]
    return (
        all(s.mode == "sample" and not s.single for s in sample)
        and a.rounds == b.rounds == 1  # with rounds, when drawing stops depends on the strategy's vote
        and dataclasses.replace(a, strategy=b.strategy) == b
    )


def revote(result: SolveResult, config: SolverConfig) -> SolveResult:
    """The answer `config`'s strategy picks from the candidates of a finished solve (scores included):
    the result a solve under `config` returns when it shares that solve's draw (`shares_draw`)."""
    pick = vote_on(voters(result.candidates), config.strategy, config.aggregation)
    correct = None if result.problem.reference is None else answers_equal(pick.answer, result.problem.reference)
    return dataclasses.replace(result, answer=pick.answer, support=pick.support, strategy=config.strategy, correct=correct,
                               confidence=_confidence(config, pick.support))


def _confidence(config: SolverConfig, support: float) -> float | None:
    """The calibrated chance that the pick is right, where the verifier has one for this strategy."""
    return None if config.verifier is None else config.verifier.confidence(support, config.strategy, config.aggregation)


def _both(action: Callable[..., Awaitable[dict[str, Any]]]) -> RunnableLambda:
    """An async node that also runs under a sync `invoke` / `stream` (on Minos's own loop, `wait_for`, which
    carries the caller's context, so the run's `Runtime` still reaches it)."""

    async def run(state: SolveState) -> dict[str, Any]:
        return await action(state, get_runtime(SolverConfig))

    return RunnableLambda(lambda state: wait_for(run(state)), afunc=run, name=action.__name__)


def _total(config: SolverConfig) -> int:
    """How many candidates a solve keeps in play: n, or 1 for greedy."""
    return 1 if STRATEGIES[config.strategy].single else config.n


# ---------------------------------------------------------------------------------------------- nodes
# Each node reads the run settings from `runtime.context` (the SolverConfig) and the data from the state.
# `live`: the candidates being worked on (a sample round until it is scored, the open search branches);
# `done`: those no node touches again (scored sample rounds, ended branches).


async def draw(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    """Sample a round of whole solutions."""
    config = runtime.context
    strategy, template, total = STRATEGIES[config.strategy], config.template, _total(config)
    question, done, rounds = state["question"], state.get("done", []), state.get("rounds", 0)
    size = min(total - len(done), math.ceil(total / config.rounds))
    max_tokens = int(min(config.max_tokens, _budget_left(config, state) // max(size, 1)))
    params = SamplingParams(
        n=size,
        temperature=0.0 if strategy.single else config.temperature,
        top_p=config.top_p,
        max_tokens=max(max_tokens, 1),
        seed=None if config.seed is None else config.seed + 1000 * rounds,
        stop=template.stop,
    )
    started = time.perf_counter()
    completions = await config.generator.complete(template.render(question), params, messages=chat_messages(question))
    seconds = time.perf_counter() - started
    drawn = [
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
    return _told({"live": drawn, "usage": usage, "rounds": rounds + 1},
                 "sampled", round=rounds + 1, candidates=[c.to_dict() for c in drawn], generator_seconds=seconds)


async def expand(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    """Grow every live branch by one step; branches sharing a prefix share one request."""
    config = runtime.context
    question, template = state["question"], config.template
    live = state.get("live") or [Candidate(steps=(), finished=False)] * _total(config)
    subtree = state.get("subtree") or [i // config.beam_width for i in range(len(live))]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, branch in enumerate(live):
        groups.setdefault(branch.steps, []).append(i)
    max_tokens = int(min(config.step_max_tokens, _budget_left(config, state) // max(len(live), 1)))
    step_no = state.get("steps", 0)

    requests = [
        (
            template.render(question, prefix),
            SamplingParams(
                n=len(members),
                temperature=config.temperature,
                top_p=config.top_p,
                max_tokens=max_tokens,
                seed=None if config.seed is None else config.seed + 1000 * step_no + g,
                stop=(STEP_SEPARATOR, *template.stop),
            ),
            chat_messages(question, prefix),
        )
        for g, (prefix, members) in enumerate(groups.items())
    ]
    started = time.perf_counter()
    results = zip(groups.values(), await config.generator.complete_many(requests), strict=True)  # one batch where it can
    seconds = time.perf_counter() - started
    grown: list[Candidate] = list(live)
    usage = state.get("usage", Usage())
    for members, completions in results:
        for i, completion in zip(members, completions, strict=True):
            text = completion.text.strip()
            answer = extract_answer(text) if text else None
            steps = live[i].steps + ((text,) if text else ())
            grown[i] = dataclasses.replace(
                live[i],
                steps=steps,
                answer=answer or extract_answer("\n".join(steps[-1:])),
                finished=answer is not None or not text,
                finish_reason=completion.finish_reason,
                usage=live[i].usage + completion.usage,
            )
            usage = usage + completion.usage
    return _told({"live": grown, "subtree": subtree, "usage": usage, "steps": step_no + 1},
                 "stepped", step=step_no + 1, branches=[c.to_dict() for c in grown], generator_seconds=seconds)


async def score(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    """Score every step of the live candidates (one verifier call for all of them); a scored sample round
    is done."""
    config = runtime.context
    live, seconds, spent = state["live"], 0.0, state.get("verifier_usage", Usage())
    if config.verifier is not None and live:
        started = time.perf_counter()
        items = [(state["question"], list(c.steps) or [""]) for c in live]
        assessed = await asyncio.to_thread(config.verifier.assess_batch, items)
        seconds = time.perf_counter() - started
        live = [dataclasses.replace(c, step_scores=tuple(a.steps), solution_score=a.solution, critique=a.critique)
                for c, a in zip(live, assessed, strict=True)]
        spent = sum((c.critique.usage for c in live if c.critique is not None), spent)
    update: dict[str, Any] = {"live": live, "verifier_usage": spent}
    if STRATEGIES[config.strategy].mode == "sample":
        update = {"live": [], "done": state.get("done", []) + live, "verifier_usage": spent}
    return _told(update, "scored", scores=[list(c.step_scores) for c in live], solution_scores=[c.solution_score for c in live],
                 verifier_seconds=seconds, first_errors=[None if c.critique is None else c.critique.first_error for c in live])


def prune(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    """Ended branches are done; of the open ones, the strategy's survivors stay."""
    config = runtime.context
    live, subtree = state["live"], state["subtree"]
    done = state.get("done", []) + [c for c in live if c.finished]
    open_ids = [i for i, c in enumerate(live) if not c.finished]
    last = [live[i].step_scores[-1] if live[i].step_scores else 1.0 for i in open_ids]
    chosen = STRATEGIES[config.strategy].survivors(last, [subtree[i] for i in open_ids], config.n, config.beam_width, config.threshold)
    kept = [open_ids[k] for k in chosen]
    update = {"live": [live[i] for i in kept], "done": done, "subtree": [subtree[i] for i in kept]}
    return _told(update, "pruned", kept=kept, pruned=[i for i in open_ids if i not in kept], finished=len(done))


def resample(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    """Fill the free slots from the survivors' prefixes, as the strategy says."""
    config = runtime.context
    live = state["live"]
    slots = max(_total(config) - len(state.get("done", [])), 0)
    order, subtree = STRATEGIES[config.strategy].refill(len(live), state["subtree"], slots, config.beam_width)
    return _told({"live": [live[k] for k in order], "subtree": subtree}, "resampled", branches=len(order))


async def vote(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    pool = voters(state.get("done", []) + state.get("live", []))
    classes = await asyncio.to_thread(answer_classes, [c.answer for c in pool])
    pick = vote_on(pool, runtime.context.strategy, runtime.context.aggregation, classes)
    return _told({"answer": pick.answer, "support": pick.support},
                 "voted", answer=pick.answer, support=pick.support, voters=len(pool))


async def finish(state: SolveState, runtime: Runtime[SolverConfig]) -> dict[str, Any]:
    reference = state.get("reference")
    correct = None
    if reference is not None:
        correct = await asyncio.to_thread(answers_equal, state.get("answer"), reference)
    result = SolveResult(
        problem=Problem(state.get("problem_id", ""), state["question"], reference),
        answer=state.get("answer"),
        support=state.get("support", 0.0),
        strategy=runtime.context.strategy,
        candidates=tuple(state.get("done", [])) + tuple(state.get("live", [])),
        correct=correct,
        usage=state.get("usage", Usage()),
        verifier_usage=state.get("verifier_usage", Usage()),
        confidence=_confidence(runtime.context, state.get("support", 0.0)) if state.get("answer") is not None else None,
    )
    return _told({"result": result}, "finished", answer=result.answer, correct=correct)


# -------------------------------------------------------------------------------------------- routers


def begin(state: SolveState, runtime: Runtime[SolverConfig]) -> Literal["draw", "expand"]:
    return "draw" if STRATEGIES[runtime.context.strategy].mode == "sample" else "expand"


def after_score(state: SolveState, runtime: Runtime[SolverConfig]) -> Literal["prune", "draw", "vote"]:
    config = runtime.context
    strategy = STRATEGIES[config.strategy]
    if strategy.mode == "search":
        return "prune"
    drawn = state.get("done", [])
    remaining = _total(config) - len(drawn)
    if remaining <= 0 or _budget_left(config, state) <= 0:
        return "vote"
    if strategy.settled is not None:
        classes = answer_classes([c.answer for c in drawn])
        if strategy.settled([_score_of(config, c) for c in drawn], classes, remaining):
            return "vote"
    return "draw"


def after_prune(state: SolveState, runtime: Runtime[SolverConfig]) -> Literal["resample", "vote"]:
    config = runtime.context
    if not state["live"] or state.get("steps", 0) >= config.max_steps or _budget_left(config, state) < 1:
        return "vote"
    return "resample"


def compile_graph(*, checkpointer=None) -> CompiledStateGraph:
    """The solver graph, compiled: run it with `context=SolverConfig(...)`; one compiled graph serves every
    config and any number of concurrent solves."""
    graph = StateGraph(SolveState, context_schema=SolverConfig, input_schema=SolveInput, output_schema=SolveOutput)
    for node in (draw, expand, score, vote, finish):
        graph.add_node(node.__name__, _both(node))
    for node in (prune, resample):
        graph.add_node(node.__name__, node)
    graph.add_conditional_edges(START, begin)
    graph.add_edge("draw", "score")
    graph.add_edge("expand", "score")
    graph.add_conditional_edges("score", after_score)
    graph.add_conditional_edges("prune", after_prune)
    graph.add_edge("resample", "expand")
    graph.add_edge("vote", "finish")
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer, name="minos")


@functools.cache
def _graph() -> CompiledStateGraph:
    return compile_graph()


def _check(config: SolverConfig) -> None:
    if STRATEGIES[config.strategy].needs_verifier and config.verifier is None:
        raise ValueError(f"strategy {config.strategy!r} needs a verifier")


def build_graph(config: SolverConfig, *, checkpointer=None):
    """The compiled graph with `config` bound as its run context: it solves `{"question": ...}` into
    `{"answer", "support", "result"}` under `invoke`, `stream`, `ainvoke` and `astream`, alone or as a node
    of a parent graph (shared keys `question` / `answer`), and takes a checkpointer."""
    _check(config)
    return (_graph() if checkpointer is None else compile_graph(checkpointer=checkpointer)).bind(context=config)


async def asolve(
    question: str,
    config: SolverConfig,
    *,
    reference: str | None = None,
    problem_id: str = "",
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> SolveResult:
    """Solve one problem; returns the full result (answer, support, candidates, usage, time).

    `on_event` receives each progress event as it happens (sampled, stepped, scored, pruned, resampled,
    voted, finished): what `minos solve` shows live.
    """
    started = time.perf_counter()
    _check(config)
    graph = _graph()
    inputs = {"question": question, "reference": reference, "problem_id": problem_id}
    run = {"recursion_limit": 8 * (config.max_steps + config.rounds) + 20}
    if on_event is None:
        result: SolveResult = (await graph.ainvoke(inputs, run, context=config))["result"]
    else:
        async for mode, chunk in graph.astream(inputs, run, context=config, stream_mode=["custom", "values"]):
            if mode == "custom":
                on_event(chunk)
            elif "result" in chunk:
                result = chunk["result"]
    return dataclasses.replace(result, seconds=time.perf_counter() - started)


def solve(question: str, config: SolverConfig, *, reference: str | None = None, problem_id: str = "") -> SolveResult:
    """Synchronous `asolve`, for scripts and notebooks (a running loop in this thread is fine)."""
    return wait_for(asolve(question, config, reference=reference, problem_id=problem_id))
