"""Reading critiques back: the earliest wrong step a critique names, the step scores k critiques give, the
majority verdict. Each row is a critique as models write them; each bug found becomes a row."""

from __future__ import annotations

import pytest
from minos.core.types import Usage
from minos.verifier.critiques import (
    critic_scores,
    first_error_of,
    processbench_prompt,
    stage1_prompt,
    summarize,
)


@pytest.mark.parametrize(
    "text, n_steps, want",
    [
        ("Paragraph 1 computes 48/2 as 26; it is 24.\n\n\\boxed{1}", 3, 1),
        ("Every paragraph is right.\n\n\\boxed{-1}", 3, -1),
        ("The earliest error is in paragraph 0: \\boxed{ 0 }", 2, 0),
        # the last box is the verdict: an earlier one quotes the solution's own answer
        ("The solution ends with \\boxed{72}, but paragraph 2 is wrong. \\boxed{2}", 4, 2),
        ("I think paragraph 1 is wrong.", 3, None),  # no index: abstains
        ("\\boxed{7}", 3, None),  # not a step of this solution: abstains
        ("\\boxed{-2}", 3, None),
        ("\\boxed{}", 3, None),
        ("\\boxed{1.5}", 3, None),
        ("", 3, None),
    ],
)
def test_processbench_verdicts(text, n_steps, want):
    assert first_error_of(text, n_steps, "processbench") == want


@pytest.mark.parametrize(
    "text, n_steps, want",
    [
        ("Step 1: correct.\nStep 2: incorrect (calculation): 48/2 is 24.\nVerdict: the solution is incorrect; "
         "the first error is in step 2.", 3, 1),
        ("Step 1: correct.\nStep 2: correct.\nVerdict: the solution is correct.", 2, -1),
        # a critique cut off before its verdict line still names its first wrong step
        ("Step 1: correct.\nStep 2: correct.\nStep 3: incorrect (logical): the total is", 4, 2),
        ("**Step 1:** Correct\n**Step 2:** Incorrect", 2, 1),
        ("Step 1: correct.\nStep 2: correct.", 2, None),  # no verdict, no wrong step: nothing said of the rest
        ("Verdict: the solution is incorrect; the first error is in step 9.", 3, None),
    ],
)
def test_stage1_verdicts(text, n_steps, want):
    assert first_error_of(text, n_steps, "minos") == want


@pytest.mark.parametrize(
    "votes, n_steps, want",
    [
        ([-1, -1], 2, [1.0, 1.0]),
        ([0, 0, -1, -1], 2, [0.5, 0.5]),
        ([1, 1, 1, -1], 3, [1.0, 0.25, 0.25]),
        ([1, None, None, -1], 3, [1.0, 0.5, 0.5]),  # abstentions do not count as "no error"
        ([None, None], 2, [0.5, 0.5]),  # nothing known
        ([2, 0], 3, [0.5, 0.5, 0.0]),
    ],
)
def test_critic_scores(votes, n_steps, want):
    assert critic_scores(votes, n_steps) == want


def test_summary_takes_the_majority_and_a_critique_that_gives_it():
    texts = ["fine \\boxed{-1}", "step 1 is off: 48/2 is 24 \\boxed{1}", "?", "also 1 \\boxed{1}"]
    critique = summarize([-1, 1, None, 1], texts, Usage(100, 40))
    assert critique.first_error == 1 and critique.text.startswith("step 1 is off")
    assert critique.votes == (-1, 1, None, 1) and critique.usage == Usage(100, 40)
    # a tie goes to the earliest wrong step; none found only when nothing else is said as often
    assert summarize([-1, 2, 0], ["a", "b", "c"]).first_error == 0
    assert summarize([-1, 2], ["a", "b"]).first_error == 2
    assert summarize([None, None], ["x", "y"]).first_error is None


def test_prompts_number_the_steps_as_each_protocol_does():
    steps = ["48 / 2 = 24.", "The answer is 72."]
    bench = processbench_prompt("How many clips?", steps)
    assert "<paragraph_0>\n48 / 2 = 24.\n</paragraph_0>\n\n<paragraph_1>" in bench and "\\boxed{}" in bench
    assert "Step 1: 48 / 2 = 24.\nStep 2: The answer is 72." in stage1_prompt("How many clips?", steps)
