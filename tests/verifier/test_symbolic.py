import pytest
from minos.verifier import check_step
from minos.verifier.symbolic import HybridVerifier, SymbolicVerifier


@pytest.mark.parametrize(
    ("step", "status", "reason"),
    [
        # GSM8K annotations (real lines from gsm8k/test.jsonl)
        ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.", "ok", ""),
        ("She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.", "ok", ""),
        ("It takes 2/2=<<2/2=1>>1 bolt of white fiber", "ok", ""),
        ("It takes 2/2=<<2/2=2>>2 bolt of white fiber", "wrong", "2/2 = 1, not 2"),
        ("So the total cost is 80,000+50,000=$<<80000+50000=130000>>130,000", "ok", ""),
        # inline arithmetic
        ("In May she sold 48 / 2 = 26 clips.", "wrong", "48 / 2 = 24, not 26"),
        ("Total 1,200 + 300 = 1,500 dollars", "ok", ""),
        ("He has 3 x 4 = 12 boxes", "ok", ""),
        ("it costs $5 * 3 = $15", "ok", ""),
        ("20% * 50 = 10", "ok", ""),
        ("So 10/3 = 3.33 each", "ok", ""),  # rounded to the precision written
        ("So 10/3 = 3.5 each", "wrong", "10/3 = 3.33333, not 3.5"),
        ("so 5 + 3 = 8 and 8 * 2 = 17", "wrong", "8 * 2 = 16, not 17"),
        # LaTeX
        ("We get $\\frac{48}{2} = 26$", "wrong", "\\frac{48}{2} = 24, not 26"),
        ("$2 \\times 3 = 6$", "ok", ""),
        ("\\(7 - 2 = 5\\)", "ok", ""),
        # conservative: unknown, never wrong
        ("x - 3 = 5 so x = 8", "unknown", ""),
        ("$x - 3 = 5$", "unknown", ""),
        ("Then 2x + 3 = 11", "unknown", ""),
        ("The answer is 72.", "unknown", ""),
        ("Step 2 = 5 apples", "unknown", ""),
        ("$\\sqrt{16} = 4$", "unknown", ""),
    ],
)
def test_check_step(step, status, reason):
    check = check_step(step)
    assert check.status == status
    assert check.reason == reason


def test_symbolic_and_hybrid_scores():
    steps = ["48 / 2 = 26.", "The answer is 26."]
    assert SymbolicVerifier().score("q", [steps]) == [[0.0, 0.5]]

    class Constant:
        name = "c"

        def score(self, question, solutions):
            return [[0.8] * len(s) for s in solutions]

    assert HybridVerifier(Constant()).score("q", [steps, ["2 + 2 = 4"]]) == [[0.0, 0.8], [0.8]]
