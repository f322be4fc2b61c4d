import asyncio

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from minos.solver import SolverConfig, as_tool, asolve, build_graph, solve
from typing_extensions import TypedDict

from tests.fakes import ScriptedGenerator, TableVerifier

RIGHT = "48 / 2 = 24.\n\nThe answer is 24."
WRONG = "48 / 2 = 26.\n\nThe answer is 26."
WRONG2 = "48 / 2 = 26.\n\n26 is it.\n\nThe answer is 26."
SCORES = {"48 / 2 = 24.": 0.9, "48 / 2 = 26.": 0.2, "The answer is 24.": 0.9, "The answer is 26.": 0.3}


def config(strategy, solutions, **kw):
    return SolverConfig(generator=ScriptedGenerator(solutions), verifier=TableVerifier(SCORES), strategy=strategy, **kw)


@pytest.mark.parametrize(
    ("strategy", "solutions", "answer"),
    [
        ("greedy", [WRONG, RIGHT], "26"),
        ("self_consistency", [WRONG, RIGHT, WRONG, RIGHT], "26"),  # tie 2-2: first seen
        ("self_consistency", [RIGHT, WRONG, WRONG, WRONG], "26"),
        ("best_of_n", [WRONG, WRONG, RIGHT, WRONG], "24"),
        # 3 x 0.2 = 0.6 for 26 against 0.9 for 24 (min aggregation): the verifier outweighs the majority
        ("weighted_vote", [WRONG, WRONG, RIGHT, WRONG], "24"),
        ("beam_search", [WRONG, RIGHT, WRONG, WRONG], "24"),
        ("dvts", [WRONG, RIGHT, WRONG, WRONG], "24"),
    ],
)
def test_strategies_end_to_end(strategy, solutions, answer):
    cfg = config(strategy, solutions, n=4, beam_width=2)
    result = solve("Natalia had 48 clips and sold half. How many?", cfg, reference="24")
    assert result.answer == answer
    assert result.correct is (answer == "24")
    assert result.strategy == strategy


def test_sample_budget_is_exact():
    cfg = config("self_consistency", [RIGHT, WRONG], n=7, rounds=3, temperature=0.5)
    result = solve("q", cfg)
    assert sum(p.n for _, p in cfg.generator.calls) == len(result.candidates) == 7


def test_early_stop_when_the_vote_is_settled():
    cfg = config("self_consistency", [RIGHT], n=8, rounds=4)
    result = solve("q", cfg)
    # after 6 identical votes the 2 remaining cannot change the winner
    assert len(result.candidates) == 6
    assert result.answer == "24" and result.support == 1.0


def test_token_budget_caps_generation():
    cfg = config("beam_search", [WRONG2, RIGHT], n=4, beam_width=2, token_budget=20)
    result = solve("q", cfg)
    assert result.usage.completion_tokens <= 20


def test_search_prunes_and_respects_max_steps():
    cfg = config("beam_search", [WRONG2, RIGHT], n=2, beam_width=1, max_steps=1)
    result = solve("q", cfg)
    assert all(len(c.steps) <= 1 for c in result.candidates)


def test_threshold_prunes_bad_branches():
    cfg = config("beam_search", [WRONG2, RIGHT, WRONG2, RIGHT], n=4, beam_width=2, threshold=0.5)
    result = solve("q", cfg)
    assert result.answer == "24"
    assert all(c.answer == "24" for c in result.candidates if c.finished)


def test_stream_events_and_checkpointer():
    cfg = config("weighted_vote", [RIGHT, WRONG], n=2)
    graph = build_graph(cfg, checkpointer=InMemorySaver())

    async def run():
        events = []
        async for chunk in graph.astream({"question": "q"}, {"configurable": {"thread_id": "t1"}}, stream_mode="custom"):
            events.append(chunk["event"])
        return events, graph.get_state({"configurable": {"thread_id": "t1"}})

    events, snapshot = asyncio.run(run())
    assert events == ["sampled", "scored", "voted", "finished"]
    assert snapshot.values["answer"] == "24"


def test_embedded_as_a_subgraph_and_as_a_tool():
    cfg = config("weighted_vote", [RIGHT, WRONG, RIGHT], n=3)

    class Parent(TypedDict, total=False):
        question: str
        answer: str | None
        report: str

    def report(state: Parent) -> dict:
        return {"report": f"solved: {state['answer']}"}

    parent = StateGraph(Parent)
    parent.add_node("solve", build_graph(cfg))
    parent.add_node("report", report)
    parent.add_edge(START, "solve")
    parent.add_edge("solve", "report")
    parent.add_edge("report", END)
    out = asyncio.run(parent.compile().ainvoke({"question": "Natalia had 48 clips..."}))
    assert out["report"] == "solved: 24"

    tool = as_tool(config("weighted_vote", [RIGHT], n=1))
    assert asyncio.run(tool.ainvoke({"problem": "q"})).startswith("24 (support 1.00")


def test_verifier_needed():
    with pytest.raises(ValueError, match="needs a verifier"):
        build_graph(SolverConfig(generator=ScriptedGenerator([RIGHT]), strategy="best_of_n"))


def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match="unknown strategy"):
        SolverConfig(generator=None, strategy="nope")


def test_tiny_in_process_model_end_to_end(tiny_lm):
    from minos.generators.transformers_local import TransformersGenerator
    from minos.verifier.neural import NeuralVerifier

    cfg = SolverConfig(
        generator=TransformersGenerator(tiny_lm), verifier=NeuralVerifier(tiny_lm), strategy="beam_search",
        n=2, beam_width=1, max_steps=2, step_max_tokens=8,
    )
    result = asyncio.run(asolve("What is 2+2?", cfg, reference="4"))
    assert len(result.candidates) >= 1
    assert all(len(c.step_scores) == len(c.steps) for c in result.candidates)
    assert result.usage.completion_tokens > 0


def test_one_compiled_graph_serves_every_config():
    from minos.solver.graph import _graph

    first, second = config("weighted_vote", [RIGHT], n=1), config("beam_search", [RIGHT], n=2)
    assert build_graph(first).bound is build_graph(second).bound is _graph()
    assert solve("q", first).answer == solve("q", second).answer == "24"


def test_nodes_are_functions_of_the_state_and_the_run_settings():
    """A node is importable and runs alone: state in, update out, the settings from `runtime.context`."""
    from langgraph.runtime import Runtime
    from minos.solver.graph import after_score, draw, score

    cfg = config("weighted_vote", [RIGHT, WRONG], n=2)
    drawn = asyncio.run(_run_node(draw, {"question": "q"}, Runtime(context=cfg)))
    assert [c.answer for c in drawn["live"]] == ["24", "26"] and drawn["rounds"] == 1
    scored = asyncio.run(_run_node(score, {"question": "q", **drawn}, Runtime(context=cfg)))
    assert scored["live"] == [] and [c.step_scores[0] for c in scored["done"]] == [SCORES["48 / 2 = 24."], SCORES["48 / 2 = 26."]]
    assert after_score({"question": "q", **drawn, **scored}, Runtime(context=cfg)) == "vote"


async def _run_node(node, state, runtime):
    """Outside a graph there is no stream writer: events go nowhere."""
    from unittest.mock import patch

    with patch("minos.solver.graph.get_stream_writer", return_value=lambda event: None):
        return await node(state, runtime)


def _parent(solver) -> StateGraph:
    class Parent(TypedDict, total=False):
        question: str
        answer: str | None
        report: str

    parent = StateGraph(Parent)
    parent.add_node("math", solver)
    parent.add_node("report", lambda state: {"report": f"solved: {state['answer']}"})
    parent.add_edge(START, "math")
    parent.add_edge("math", "report")
    parent.add_edge("report", END)
    return parent


async def _acollect(stream) -> list:
    return [chunk async for chunk in stream]


@pytest.mark.parametrize("call", ["invoke", "stream", "ainvoke", "astream"])
@pytest.mark.parametrize("where", ["alone", "subgraph", "subgraph+checkpointer"])
def test_runs_sync_and_async_alone_and_as_a_subgraph(call, where):
    graph = build_graph(config("beam_search", [WRONG, RIGHT, WRONG, WRONG], n=4, beam_width=2))
    if where != "alone":
        graph = _parent(graph).compile(checkpointer=InMemorySaver() if "checkpointer" in where else None)
    run = {"configurable": {"thread_id": f"{call}-{where}"}}
    question = {"question": "Natalia had 48 clips and sold half. How many?"}
    if call in ("invoke", "ainvoke"):
        out = graph.invoke(question, run) if call == "invoke" else asyncio.run(graph.ainvoke(question, run))
        assert out["answer"] == "24"
    else:
        modes = ["custom", "values"]
        chunks = (
            list(graph.stream(question, run, stream_mode=modes, subgraphs=True)) if call == "stream"
            else asyncio.run(_acollect(graph.astream(question, run, stream_mode=modes, subgraphs=True)))
        )
        events = [data["event"] for _, mode, data in chunks if mode == "custom"]
        assert events[0] == "stepped" and events[-2:] == ["voted", "finished"] and "pruned" in events
        assert [data for ns, mode, data in chunks if mode == "values" and not ns][-1]["answer"] == "24"
    if "checkpointer" in where:
        assert graph.get_state(run).values["report"] == "solved: 24"


def test_sync_solve_and_tool_inside_a_running_event_loop():
    # a notebook cell runs inside an event loop: the sync entry points must still work there
    cfg = config("weighted_vote", [RIGHT], n=1)

    async def cell():
        return solve("q", cfg).answer, as_tool(cfg).invoke({"problem": "q"})

    answer, said = asyncio.run(cell())
    assert answer == "24" and said.startswith("24 (support")


def test_a_generator_or_verifier_lacking_part_of_its_interface_is_refused_before_any_solve():
    from minos.solver import SolverConfig
    from minos.verifier import BaseVerifier

    from tests.fakes import ScriptedGenerator

    class ScoreOnly:  # the old duck-typed verifier: no score_batch, critiques or threshold
        name = "score-only"

        def score(self, question, solutions):
            return [[1.0] * len(s) for s in solutions]

    class CompleteOnly:
        name = "complete-only"

        async def complete(self, prompt, params, *, messages=None):
            return []

    with pytest.raises(TypeError, match="ScoreOnly is not a Verifier .*subclass minos.verifier.BaseVerifier"):
        SolverConfig(generator=ScriptedGenerator(["x"]), verifier=ScoreOnly())
    with pytest.raises(TypeError, match="CompleteOnly is not a Generator .*BaseGenerator"):
        SolverConfig(generator=CompleteOnly())
    with pytest.raises(TypeError, match="must define score or score_batch"):
        type("Empty", (BaseVerifier,), {})


def test_the_unbound_graph_runs_with_any_config_as_its_context():
    from minos.solver import compile_graph

    graph = compile_graph()
    right = graph.invoke({"question": "q"}, context=config("weighted_vote", [RIGHT, WRONG, RIGHT], n=3))
    wrong = graph.invoke({"question": "q"}, context=config("greedy", [WRONG], n=1))
    assert (right["answer"], wrong["answer"]) == ("24", "26")


def test_the_verifiers_solution_score_weighs_the_vote_under_auto_and_travels_with_the_candidate():
    """A verifier that reads whole solutions (as the shipped one does) returns, in one call, step scores, a
    solution score and no critique: under `auto` the solution score is the vote weight, under `min` the steps
    are; batch rows carry the solution score, so a re-vote from them agrees."""
    from minos.core.types import SolveResult
    from minos.solver.batch import accuracy_at_k
    from minos.verifier import BaseVerifier
    from minos.verifier.base import Assessment

    class Reader(BaseVerifier):
        name = "reader"

        def score(self, question, solutions):
            return [[0.9] if "26" in steps[-1] else [0.2] for steps in solutions]

        def assess_batch(self, items):
            # the steps say 26 is right; the whole-solution reading says 24 is
            return [Assessment(tuple(row), 0.1 if "26" in steps[-1] else 0.95)
                    for (_, steps), row in zip(items, self.score_batch(items), strict=True)]

    solutions = ["The answer is 26.", "The answer is 26.", "The answer is 24."]
    by_solution = solve("q", SolverConfig(generator=ScriptedGenerator(solutions), verifier=Reader(), n=3), reference="24")
    by_steps = solve("q", SolverConfig(generator=ScriptedGenerator(solutions), verifier=Reader(), n=3, aggregation="min"))
    assert by_solution.answer == "24" and by_steps.answer == "26"
    assert sorted(c.solution_score for c in by_solution.candidates) == [0.1, 0.1, 0.95]
    row = SolveResult.from_dict(by_solution.to_dict()).to_dict() | {"strategy": "weighted_vote"}
    assert accuracy_at_k([row], {"weighted_vote": [3]}, "auto") == {("weighted_vote", 3): 1.0}
    assert accuracy_at_k([row], {"weighted_vote": [3]}, "min") == {("weighted_vote", 3): 0.0}
