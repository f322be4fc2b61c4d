"""Runs to build reports from: real `minos batch` outputs written through the CLI against a loopback server
(a scripted generator, and a scripted critic for critiques), and large synthetic runs made of the same rows."""

from __future__ import annotations

import json
import random
from pathlib import Path

from minos.cli.main import app
from typer.testing import CliRunner

from tests.servers import json_server
from tests.solver.test_critic import critic_server

QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"
# (id, question, reference): the scripted generator writes the same two solutions (72 and 74) for every
# question, so the reference decides which are right; "broken" makes the server refuse, a recorded error
PROBLEMS = [
    ("natalia", QUESTION, "72"),
    ("natalia-misprint", QUESTION + " (The book says 74.)", "74"),
    ("unlabelled", QUESTION + " Nobody wrote the answer down.", None),
    ("tex", QUESTION + r" Write it as $\frac{144}{2}$ if you like, or $x^2$ with $x = \sqrt{72}$.", "72"),
    ("money", QUESTION + " Each clip costs $5 and a box $10.", "72"),
    ("broken", "This one is broken on purpose.", "1"),
]


def _refusing(respond):
    """The scripted server, refusing (HTTP 400) any request about the problem that says it is broken."""

    def answer(method, path, body):
        if body is not None and "broken on purpose" in json.dumps(body):
            return 400, {"error": {"message": "this prompt is refused", "type": "invalid_request_error"}}
        return respond(method, path, body)

    return answer


def invoke(args: list[str]):
    """`minos ARGS` in-process, on a thread of its own: the command runs its own event loop, and a test that
    holds a Playwright browser has one running on the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(CliRunner().invoke, app, args).result()


def write_problems(folder: Path) -> Path:
    path = folder / "problems.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for pid, question, reference in PROBLEMS:
            handle.write(json.dumps({"id": pid, "question": question, **({"answer": reference} if reference else {})}) + "\n")
    return path


def batch_run(folder: Path, *, critic: bool = False, strategies: str = "self_consistency,weighted_vote,best_of_n",
              n: int = 4, name: str = "run.jsonl") -> Path:
    """A `minos batch` output for PROBLEMS: the symbolic checker as verifier (it proves 48 / 2 = 26 wrong), or
    with `critic` a scripted critic model (critiques under the step they blame)."""
    output = folder / name
    with json_server(_refusing(critic_server())) as url:
        verifier = f"critic:{url}#critic-model" if critic else "symbolic"
        result = invoke([
            "batch", str(write_problems(folder)), "-o", str(output), "--generator", url, "--model", "gen",
            "--verifier", verifier, "--critic-samples", "5", "--strategy", strategies, "--n", str(n), "--concurrency", "2",
        ])
    assert result.exit_code == 0, result.output
    return output


def solve_html(folder: Path) -> tuple[Path, str]:
    """`minos solve --html` against the scripted server: (the page, the command's output)."""
    output = folder / "solve.html"
    with json_server(critic_server()) as url:
        result = invoke([
            "solve", QUESTION, "--reference", "72", "--generator", url, "--model", "gen", "--verifier", "symbolic",
            "--n", "4", "--show", "none", "--html", str(output),
        ])
    assert result.exit_code == 0, result.output
    return output, result.output


STEP = ("She sold {a} / {b} = {c} clips in May, since half of {a} is what the question asks for here.",
        "Altogether she sold {a} + {c} = {d} clips in April and May, counting both months together.",
        "So the number of clips Natalia sold in the two months is {d}.",
        "The answer is {d}.")


def synthetic_rows(problems: int, candidates: int = 16, seed: int = 0) -> list[dict]:
    """`minos batch` rows of a large run (self-consistency drew; weighted vote and best-of-n voted on the same
    candidates), with GSM8K-like text and full-precision step scores, as a verifier writes them."""
    from minos.core.types import Candidate, Problem, SolveResult, Usage
    from minos.core.votes import best_of_n, candidate_score, majority_vote, weighted_vote

    rng = random.Random(seed)
    rows = []
    for p in range(problems):
        a = rng.randint(10, 99) * 2
        right = a + a // 2
        problem = Problem(f"gsm8k-{p}", QUESTION.replace("48", str(a)), str(right), "gsm8k")
        cands = []
        for _ in range(candidates):
            c = a // 2 + rng.choice((0, 0, 0, 1, -2, 3))
            d = a + c
            steps = tuple(s.format(a=a, b=2, c=c, d=d) for s in STEP)
            scores = tuple(rng.random() if c != a // 2 else 0.5 + rng.random() / 2 for _ in steps)
            cands.append(Candidate(steps, str(d), step_scores=scores, usage=Usage(120, rng.randint(60, 90))))
        answers = [c.answer for c in cands]
        classes = [sorted(set(answers), key=answers.index).index(x) for x in answers]
        weights = [candidate_score(c.step_scores) for c in cands]
        usage = sum((c.usage for c in cands), Usage())
        seconds = rng.uniform(2, 9)
        for strategy, pick in (("self_consistency", majority_vote(answers, classes)),
                               ("weighted_vote", weighted_vote(answers, weights, classes)),
                               ("best_of_n", best_of_n(answers, weights))):
            result = SolveResult(problem, pick.answer, pick.support, strategy, tuple(cands), pick.answer == str(right), usage, seconds)
            extra = {"index": p, "threshold": 0.5} | ({} if strategy == "self_consistency" else {"drawn_by": "self_consistency"})
            rows.append(result.to_dict() | extra)
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path
