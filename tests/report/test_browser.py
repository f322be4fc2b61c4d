"""Reports opened in a real browser (headless Chromium): no console errors; cards, step colours, flags and
critiques drawn; filters hide what they should; a large run opens within its budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minos.report import run_report
from minos.report.build import read_runs

from tests.report.browser import browser, open_report
from tests.report.runs import batch_run, invoke, solve_html, synthetic_rows, write_rows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    symbolic = batch_run(folder, name="symbolic.jsonl")
    # written once by `minos batch` with a scripted critic as verifier (`batch_run(folder, critic=True)`)
    critic = Path(__file__).parents[1] / "fixtures" / "report_run.jsonl"
    return {"symbolic": symbolic, "critic": critic, "folder": folder}


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _report(runs, *names):
    output = runs["folder"] / ("-".join(names) + ".html")
    run_report(read_runs([runs[n] for n in names]), output)
    return output


def test_a_small_run_opens_with_every_problem_its_votes_and_its_steps_drawn(chromium, runs):
    rows = _rows(runs["symbolic"])
    opened = open_report(chromium, _report(runs, "symbolic"))
    page = opened.page
    assert opened.errors == []
    problems = {r["id"] for r in rows}
    assert page.locator("details.problem[open] .card").count() == len(problems)  # no click needed
    # every candidate that did not fail, with every step, coloured on the fixed scale by its score
    drawn = sum(len(c["steps"]) for r in rows if not r.get("drawn_by") for c in r.get("candidates") or ())
    steps = page.locator("li.step")
    assert steps.count() == drawn
    colours = {s["score"]: s["colour"] for s in steps.evaluate_all(
        "els => els.map(e => ({score: e.dataset.score, colour: getComputedStyle(e).backgroundColor}))")}
    assert colours["0"] == "rgb(246, 193, 193)" and colours["1"] == "rgb(193, 246, 193)"  # hsl(0|120, 75%, 86%)
    # 48 / 2 = 26 is proved wrong: scored 0, under the threshold, flagged
    flagged = page.locator("li.step.flagged")
    assert flagged.count() > 0 and all("= 26" in t for t in flagged.locator(".text").all_inner_texts())
    # the chosen candidate of each strategy that answered is marked, and reached that strategy's answer
    for card in page.locator("details.problem[open]").all():
        pid = card.get_attribute("data-id")
        for row in (r for r in rows if r["id"] == pid and r["answer"] is not None):
            tag = card.locator(f".candidate.chosen:has(.tag:text('{row['strategy']}'))")
            assert tag.count() == 1 and f"answer: {row['answer']}" in tag.inner_text()
    # the vote: each distinct answer with its support; the failed problem shows its error
    assert "this prompt is refused" in page.locator("details[data-id='broken']").inner_text()
    votes = page.locator("details[data-id='natalia'] .votes tr")
    assert votes.count() == 3  # header, 72, 74
    # maths rendered by KaTeX where the text is TeX, and money left alone
    assert page.locator("details[data-id='tex'] .question .katex").count() == 3
    assert page.locator("details[data-id='money'] .question .katex").count() == 0
    # the summary: a row per strategy, the accuracy chart, the overrule table
    assert page.locator("#summary table").first.locator("tbody tr").count() == 3
    assert page.locator("#accuracy-chart svg polyline").count() == 3
    assert page.locator("#overrule tbody tr").count() == 2  # weighted vote, best-of-n


def test_critiques_are_drawn_under_the_step_they_blame(chromium, runs):
    opened = open_report(chromium, _report(runs, "critic"))
    assert opened.errors == []
    notes = opened.page.locator("li.critique")
    assert notes.count() > 0
    after = notes.evaluate_all("els => els.map(e => [e.previousElementSibling && e.previousElementSibling.innerText, e.innerText])")
    blamed = [(step, note) for step, note in after if note.startswith("critic, step")]
    assert blamed and all("= 26" in step and "48 / 2 is 24, not 26" in note for step, note in blamed)
    assert any(note.startswith("critic found no wrong step") for _, note in after)


@pytest.mark.parametrize(("box", "expected"), [
    ("wrong", lambda rows: {r["id"] for r in rows if r.get("correct") is False}),
    ("error", lambda rows: {r["id"] for r in rows if r.get("error")}),
])
def test_a_filter_shows_exactly_the_problems_it_names(chromium, runs, box, expected):
    rows = _rows(runs["symbolic"])
    page = open_report(chromium, _report(runs, "symbolic")).page
    page.check(f"input[data-filter='{box}']")
    shown = set(page.locator("details.problem").evaluate_all("els => els.map(e => e.dataset.id)"))
    assert shown == expected(rows) and shown
    page.uncheck(f"input[data-filter='{box}']")
    assert page.locator("details.problem").count() == len({r["id"] for r in rows})


def test_search_and_the_overruled_filter(chromium, runs):
    page = open_report(chromium, _report(runs, "symbolic", "critic")).page
    page.fill("#search", "misprint")
    assert page.locator("details.problem").evaluate_all("els => els.map(e => e.dataset.id)") == ["natalia-misprint"]
    page.fill("#search", "")
    page.check("input[data-filter='overruled']")
    shown = page.locator("details.problem")
    assert 0 < shown.count() < 6
    assert all("overruled" in t for t in shown.locator("summary").all_inner_texts())


def test_solve_html_is_the_same_problem_view(chromium, tmp_path):
    page_path, output = solve_html(tmp_path)
    opened = open_report(chromium, page_path)
    assert opened.errors == []
    assert opened.page.locator(".card").count() == 1
    assert opened.page.locator(".candidate").count() == 4
    assert opened.page.locator(".candidate.chosen").count() == 1
    assert opened.page.locator("li.step.flagged").count() > 0


def test_processbench_html_shows_first_flags_against_labels(chromium, tmp_path):
    page_path = tmp_path / "pb.html"
    result = invoke(["eval", "processbench", "tests/fixtures/processbench_sample.json", "--verifier", "symbolic",
                                      "--json", "--html", str(page_path)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    opened = open_report(chromium, page_path)
    page = opened.page
    assert opened.errors == []
    total = figures["erroneous"] + figures["correct"]
    assert page.locator("details.problem").count() == total
    assert page.locator("#distributions svg rect").count() > 0 and page.locator("#calibration svg polyline").count() == 2
    page.check("input[data-filter='never']")
    never = page.locator("details.problem")
    assert all("never" in t for t in never.locator("summary").all_inner_texts())
    assert never.count() < total


@pytest.mark.parametrize(("bias", "shown"), [
    (-0.75, "-0.750"),
    ({"gsm8k": -0.75}, "gsm8k-style -0.750; other styles: first step under the threshold"),
])
def test_processbench_html_shows_the_first_error_rule_it_was_given(chromium, tmp_path, bias, shown):
    from minos.core.types import LabelledSolution, Problem
    from minos.report import processbench_report

    samples = [LabelledSolution(Problem(id="a", question="q"), ("s1", "s2"), (1.0, 0.0))]
    processbench_report(samples, [[0.7, 0.05]], 0.75, tmp_path / "pb.html", no_error_bias=bias)
    opened = open_report(chromium, tmp_path / "pb.html")
    assert opened.errors == []
    row = opened.page.locator("tr", has_text="no-error bias")
    assert row.locator("td").last.inner_text() == shown


def test_a_large_run_opens_within_its_budget_and_pages(chromium, tmp_path):
    rows = synthetic_rows(2000, candidates=16)
    path = write_rows(tmp_path / "large.jsonl", rows)
    output = tmp_path / "large.html"
    sizes = run_report(read_runs([path]), output)
    assert sizes["bytes"] < 2000 * 3_000  # the candidates of a shared draw compress to almost nothing
    opened = open_report(chromium, output)
    page = opened.page
    assert opened.errors == []
    assert opened.seconds < 5.0, opened.seconds
    assert page.locator("details.problem").count() == 25 and page.locator(".card").count() == 0  # nothing drawn yet
    page.click("text=next")
    first = page.locator("details.problem").first
    assert first.get_attribute("data-id") == "gsm8k-25"
    first.locator("summary").click()
    page.wait_for_selector("details[data-id='gsm8k-25'] .card")
    assert page.locator("details[data-id='gsm8k-25'] .candidate").count() == 16
    assert opened.errors == []
