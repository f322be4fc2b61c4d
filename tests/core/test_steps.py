import re

import pytest
from minos.core.steps import join_steps, separator_of, split_steps

GSM8K = (
    "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
    "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n"
    "#### 18"
)
PARAGRAPHS = "First, $2+2=4$.\n\nThen we double it: $8$.\n\nSo the answer is $\\boxed{8}$."
NUMBERED = "Step 1: Add 2 and 2 to get 4.\nStep 2: Double it to get 8.\nStep 3: The answer is 8."
LATEX_ALIGN = (
    "We expand.\n\n\\begin{align*}\na &= 1 \\\\\n\nb &= 2\n\\end{align*}\n\nTherefore $a+b=\\boxed{3}$."
)
DISPLAY = "We have\n$$x = 2$$\nand then\n$$\ny = 3\n$$\nso $x+y=5$."


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        (
            GSM8K,
            [
                "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.",
                "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18",
            ],
        ),
        (PARAGRAPHS, ["First, $2+2=4$.", "Then we double it: $8$.", "So the answer is $\\boxed{8}$."]),
        (NUMBERED, ["Step 1: Add 2 and 2 to get 4.", "Step 2: Double it to get 8.", "Step 3: The answer is 8."]),
        (
            "Let's solve.\n**Step 1.** Add.\nStill step one.\n**Step 2.** Done: 8.",
            ["Let's solve.", "**Step 1.** Add.\nStill step one.", "**Step 2.** Done: 8."],
        ),
        (
            LATEX_ALIGN,
            ["We expand.", "\\begin{align*}\na &= 1 \\\\\n\nb &= 2\n\\end{align*}", "Therefore $a+b=\\boxed{3}$."],
        ),
        (DISPLAY, ["We have", "$$x = 2$$", "and then", "$$\ny = 3\n$$", "so $x+y=5$."]),
        ("one line only", ["one line only"]),
        ("  \n\n ", []),
        ("a\r\n\r\nb", ["a", "b"]),
    ],
)
def test_split_steps(text, steps):
    assert split_steps(text) == steps


@pytest.mark.parametrize("text", [GSM8K, PARAGRAPHS, NUMBERED, LATEX_ALIGN, DISPLAY])
def test_split_then_join_gives_the_text_back(text):
    joined = join_steps(split_steps(text), separator_of(text))
    assert re.sub(r"\s+", " ", joined) == re.sub(r"\s+", " ", text.strip())
    assert split_steps(joined) == split_steps(text)


def test_split_is_reversible_on_real_gsm8k(shared_data):
    import json

    for line in (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[:300]:
        text = json.loads(line)["answer"]
        assert join_steps(split_steps(text), separator_of(text)) == "\n".join(x.strip() for x in text.strip().split("\n") if x.strip())
