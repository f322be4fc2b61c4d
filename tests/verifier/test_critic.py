"""`critic:` verifiers against a loopback server that answers like an OpenAI-compatible one: a generator on
/completions and a critic model on /chat/completions that writes scripted critiques (right, wrong,
unparsable), slowly or not at all. The critic is then used as every command uses a verifier."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
from minos.cli.main import app
from minos.generators.openai_http import OpenAIGenerator
from minos.verifier import CriticVerifier, load_verifier
from typer.testing import CliRunner

from tests.servers import free_port, json_server

runner = CliRunner()
QUESTION = "Natalia sold 48 clips in April and half as many in May. How many clips did she sell in April and May?"
WRONG = "In May she sold 48 / 2 = 26 clips.\n\nAltogether she sold 48 + 26 = 74 clips.\n\nThe answer is 74."
RIGHT = "In May she sold 48 / 2 = 24 clips.\n\nAltogether she sold 48 + 24 = 72 clips.\n\nThe answer is 72."
REASON = "Paragraph {k} halves 48 as 26; 48 / 2 is 24, not 26, so every later total is off."
# What k critics write of a solution with an error at step k, sample by sample: 3 find it, 1 misses it,
# 1 gives no index; of a right solution: 4 find nothing, 1 blames step 0.
ON_WRONG = [REASON + " \\boxed{{{k}}}", REASON + " \\boxed{{{k}}}", "Paragraph {k} looks wrong to me.",
            "All paragraphs check out. \\boxed{{-1}}", REASON + " \\boxed{{{k}}}"]
ON_RIGHT = ["Each paragraph follows. \\boxed{-1}"] * 4 + ["Paragraph 0 miscounts. \\boxed{0}"]


def _paragraphs(prompt: str) -> list[str]:
    return re.findall(r"<paragraph_(\d+)>\n(.*?)\n</paragraph_\1>", prompt, re.S)


def critic_server(*, delay: float = 0.0, fail: bool = False, never: bool = False, inflight: list | None = None):
    """`respond` for json_server: GET /models, a generator on /completions (wrong and right solutions in
    turn), the scripted critic on /chat/completions. `inflight` records the largest number of critique
    requests being answered at once."""
    lock, busy = threading.Lock(), [0]

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "critic-model", "object": "model"}, {"id": "gen", "object": "model"}]}
        if fail:
            return 500, {"error": {"message": "internal error", "type": "server_error"}}
        n = body.get("n") or 1
        if "/chat/" not in path:
            choices = [{"index": i, "text": (WRONG, RIGHT)[(i + (body.get("seed") or 0)) % 2], "finish_reason": "stop"} for i in range(n)]
            return 200, {"id": "g", "object": "text_completion", "created": 0, "model": "gen", "choices": choices,
                         "usage": {"prompt_tokens": 50, "completion_tokens": 30 * n, "total_tokens": 50 + 30 * n}}
        with lock:
            busy[0] += 1
            if inflight is not None:
                inflight.append(busy[0])
        time.sleep(delay)
        steps = _paragraphs(body["messages"][-1]["content"])
        wrong = next((int(k) for k, text in steps if "= 26" in text), None)
        script = ["Every paragraph is right. \\boxed{-1}"] * 5 if never else ON_RIGHT if wrong is None else [s.format(k=wrong) for s in ON_WRONG]
        choices = [{"index": i, "message": {"role": "assistant", "content": script[i % len(script)]}, "finish_reason": "stop"}
                   for i in range(n)]
        with lock:
            busy[0] -= 1
        return 200, {"id": "c", "object": "chat.completion", "created": 0, "model": "critic-model", "choices": choices,
                     "usage": {"prompt_tokens": 120, "completion_tokens": 25 * n, "total_tokens": 120 + 25 * n}}

    return respond


def test_steps_score_the_share_of_critiques_that_find_no_error_up_to_them():
    wrong, right = WRONG.split("\n\n"), RIGHT.split("\n\n")
    with json_server(critic_server()) as url:
        critic = load_verifier(f"critic:{url}#critic-model", critic_samples=5)
        assessed = critic.assess_batch([(QUESTION, wrong), (QUESTION, right)])
    scores = [list(a.steps) for a in assessed]
    critiques = [a.critique for a in assessed]
    # wrong: 3 of the 4 readable critiques put the error at step 0, one finds none; the unparsable one abstains
    assert scores[0] == [0.25, 0.25, 0.25]
    assert scores[1] == [0.8, 0.8, 0.8]  # one critique blames step 0: every step is at or after it
    first = critiques[0]
    assert first.first_error == 0 and "48 / 2 is 24, not 26" in first.text
    assert first.votes == (0, 0, None, -1, 0)
    assert first.usage.prompt_tokens == 120 and first.usage.completion_tokens == 125
    assert critiques[1].first_error == -1 and critic.threshold == 0.5


def _solve(url: str, *args: str):
    return runner.invoke(app, ["solve", QUESTION, "--generator", url, "--model", "gen", "--verifier",
                               f"critic:{url}#critic-model", "--critic-samples", "5", "--n", "4", *args])


def test_solve_keeps_the_critique_of_every_candidate_and_counts_its_tokens():
    with json_server(critic_server()) as url:
        result = _solve(url, "--json", "--reference", "72")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answer"] == "72" and out["correct"] is True  # the critic outweighs the wrong half
    by_answer = {c["answer"]: c["critique"] for c in out["candidates"]}
    assert by_answer["74"]["first_error"] == 0 and "not 26" in by_answer["74"]["text"]
    assert by_answer["72"]["first_error"] == -1
    assert out["verifier_usage"] == {"prompt_tokens": 4 * 120, "completion_tokens": 4 * 125}


def test_solve_shows_the_critique_under_the_flagged_step():
    with json_server(critic_server()) as url:
        result = _solve(url, "--show", "all")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    flagged = next(i for i, line in enumerate(lines) if "48 / 2 = 26" in line)
    shown = " ".join(" ".join(lines[flagged + 1 : flagged + 4]).split())  # the terminal wraps long lines
    assert shown.startswith("critic (3 of 5 critiques): Paragraph 0 halves 48") and "24, not 26" in shown
    assert any("critic found no wrong step" in line for line in lines)


def test_batch_rows_carry_the_critiques(tmp_path):
    data, out = tmp_path / "problems.jsonl", tmp_path / "out.jsonl"
    data.write_text(json.dumps({"id": "p1", "question": QUESTION, "answer": "72"}) + "\n")
    with json_server(critic_server()) as url:
        result = runner.invoke(app, ["batch", str(data), "-o", str(out), "--generator", url, "--model", "gen",
                                     "--verifier", f"critic:{url}#critic-model", "--critic-samples", "5", "--n", "2"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(c["critique"]["first_error"] for c in row["candidates"]) == [-1, 0]
    assert row["verifier_usage"]["completion_tokens"] == 2 * 125


def test_serve_replies_carry_the_critique_of_the_picked_solution():
    import openai
    from minos.solver import SolverConfig

    from tests.fakes import ScriptedGenerator
    from tests.solver.test_server import serving

    with json_server(critic_server()) as url:
        critic = load_verifier(f"critic:{url}#critic-model", critic_samples=5)
        config = SolverConfig(generator=ScriptedGenerator([WRONG, RIGHT]), verifier=critic, n=2)
        with serving(config) as client:
            reply = client.chat.completions.create(model="minos", messages=[{"role": "user", "content": QUESTION}])
    assert isinstance(client, openai.OpenAI)
    extra = reply.model_extra["minos"]
    assert extra["answer"] == "72" and extra["critique"]["first_error"] == -1


def test_search_strategies_call_the_critic_on_partial_solutions():
    from minos.solver import SolverConfig, solve

    from tests.fakes import ScriptedGenerator

    with json_server(critic_server()) as url:
        critic = load_verifier(f"critic:{url}#critic-model", critic_samples=5)
        config = SolverConfig(generator=ScriptedGenerator([WRONG, RIGHT]), verifier=critic, strategy="beam_search",
                              n=2, beam_width=2, threshold=0.5)
        result = solve(QUESTION, config)
    assert result.answer == "72"
    # the branch that wrote "= 26" was scored on its first step and pruned there
    assert all(c.answer != "74" for c in result.candidates)
    assert result.verifier_usage.completion_tokens > 0


def test_critique_requests_run_at_once_within_the_generator_bound():
    inflight: list = []
    with json_server(critic_server(delay=0.2, inflight=inflight)) as url:
        critic = CriticVerifier(OpenAIGenerator(url, "critic-model", endpoint="chat", max_concurrency=3), samples=2)
        critic.score_batch([(QUESTION, RIGHT.split("\n\n"))] * 7)
    assert len(inflight) == 7 and max(inflight) == 3


def test_a_failing_critic_server_is_retried_then_fails_in_one_line():
    from minos.core.retry import RemoteError

    log: list = []
    with json_server(critic_server(fail=True), log=log) as url:
        critic = CriticVerifier(OpenAIGenerator(url, "critic-model", endpoint="chat", max_retries=2, backoff=0.01), samples=2)
        with pytest.raises(RemoteError, match="no answer after 3 tries"):
            critic.score(QUESTION, [RIGHT.split("\n\n")])
    assert sum(1 for method, path, _, _ in log if method == "POST") == 3


def test_a_dead_critic_server_ends_the_solve_with_one_line(monkeypatch):
    from minos.core.retry import RetryPolicy

    from tests.fakes import ScriptedGenerator  # noqa: F401  (the generator is never reached: the critic fails first)

    # every try is still made, without the back-off's 8 s of waiting between them
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt: 0.01)
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with json_server(critic_server()) as url:
        result = runner.invoke(app, ["solve", QUESTION, "--generator", url, "--model", "gen",
                                     "--verifier", f"critic:{dead}#critic-model", "--n", "1"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and dead in errors[0], result.stderr[-1000:]


def test_eval_processbench_reads_a_critic_like_a_prm():
    with json_server(critic_server(never=True)) as url:
        result = runner.invoke(app, ["eval", "processbench", "tests/fixtures/processbench_sample.json", "--verifier",
                                     f"critic:{url}#critic-model", "--critic-samples", "3", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    # a critic that never finds an error: every right solution passes, no wrong one is caught
    assert figures["correct_acc"] == 1.0 and figures["error_acc"] == 0.0


@pytest.mark.parametrize(
    "spec, message",
    [
        ("critic:http://127.0.0.1:9/v1", "needs the served model name"),
        ("critic:http://127.0.0.1:9/v1#m#sideways", "unknown option 'sideways'"),
        ("critic:/no/such/model", "neither a server URL"),
        ("critic:/no/such/model#minos#chat", "unknown option 'chat'"),  # an endpoint is for servers only
    ],
)
def test_bad_critic_specs_are_one_line_usage_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        load_verifier(spec)
