"""The shipped verifier (`--verifier default`): trained weights, loaded offline, that do their job.

The check is paired, so it cannot pass by accident: each injected wrong step is compared with the SAME step
of the untouched reference solution (same problem, same position), and the trained PRM must score the
wrong one lower. Untrained Gemma 3 270M read the same way gets 4 of 10 (a position effect, not a judge),
and the test shows that too.
"""

from __future__ import annotations

import json

import pytest
from minos.core.answers import extract_answer
from minos.core.types import Problem
from minos.training.inject import inject_dataset

pytestmark = [pytest.mark.gguf, pytest.mark.slow]


def _paired_wins(verifier, fixtures) -> tuple[int, int]:
    pairs = []
    for number, line in enumerate((fixtures / "gsm8k_sample.jsonl").open(encoding="utf-8"), 1):
        row = json.loads(line)
        pairs.append((Problem(f"p{number}", row["question"], extract_answer(row["answer"])), row["answer"]))
    rows = list(inject_dataset(pairs, ("calculation", "logical"), seed=0))
    references = {r.problem.id: r for r in rows if r.meta["injected"] == "none"}
    injected = [r for r in rows if r.meta["injected"] != "none"]
    assert len(injected) == 10  # a fixed handful: the fixture and the seed pin them
    scores = verifier.score_batch([(r.problem.question, list(r.steps)) for r in [*injected, *references.values()]])
    right = dict(zip(references, scores[len(injected) :], strict=True))
    wins = sum(s[r.first_error] < right[r.problem.id][r.first_error] for r, s in zip(injected, scores[: len(injected)], strict=True))
    return wins, len(injected)


def test_default_verifier_is_shipped_and_loads_offline(monkeypatch):
    from minos.verifier import load_verifier
    from minos.verifier.spec import DEFAULT_VERIFIER

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    files = {p.name for p in DEFAULT_VERIFIER.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "minos_verifier.json"} <= files
    assert sum(p.stat().st_size for p in DEFAULT_VERIFIER.iterdir()) < 20e6
    verifier = load_verifier("default")
    assert verifier.threshold is not None and 0.0 < verifier.threshold < 1.0  # chosen on the dev split
    # its first-error rule as chosen on the selection sets (the two styles alike): the likeliest first wrong
    # step beat the first step under the threshold there (mean F1 0.449 vs 0.432), so its no-error bias is stored
    assert verifier.no_error_bias is not None and verifier.neural.probe is not None
    (scores,) = verifier.score("What is 2 + 3?", [["2 + 3 = 5", "The answer is 5."]])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)


def test_trained_weights_score_the_wrong_step_below_the_same_step_written_right(fixtures):
    from minos.core.models import default_model_path
    from minos.verifier import load_verifier

    # 8 of 10: the adapter is trained mostly on real solutions now (the previous one, trained on injected
    # errors alone, found 9 or more of these injected ones, and 16 of 24 real GSM8K first errors below)
    wins, total = _paired_wins(load_verifier("default"), fixtures)
    assert wins >= 8, f"trained: {wins}/{total}"
    # the same check on the base weights, untrained as a PRM, fails: the test measures the training
    untrained, _ = _paired_wins(load_verifier(f"prm:{default_model_path()}"), fixtures)
    assert untrained <= 7, f"untrained: {untrained}/{total}"


def _real_rows(fixtures, name: str = "real_first_errors.jsonl"):
    from minos.core.data import load_labelled

    # real model-written solutions with a labelled first error at step 2 or later, from the report half of
    # ../shared/data/steps/dev.jsonl (never trained on, nor tuned on): real_first_errors.jsonl holds 24
    # GSM8K-style ones (12 mr-gsm8k, 12 parc-gsm8k, human labels), real_first_errors_math.jsonl 24
    # MATH-style ones (7 parc-math with human labels, 17 prmbench with GPT-4o's)
    return load_labelled(fixtures / name)


def _below(verifier, rows) -> int:
    """Rows whose first wrong step scores below every step before it."""
    scores = verifier.score_batch([(r.problem.question, list(r.steps)) for r in rows])
    return sum(s[r.first_error] < min(s[: r.first_error]) for r, s in zip(rows, scores, strict=True))


@pytest.mark.parametrize("name", ["real_first_errors.jsonl", "real_first_errors_math.jsonl"])
def test_on_real_solutions_the_first_wrong_step_scores_below_the_steps_before_it(fixtures, name):
    """The shipped verifier's job on real mistakes: in at least 18 of 24 real solutions of each style its
    first wrong step scores below every step before it (it does in 21 GSM8K-style, 20 MATH-style). The
    adapter trained on injected errors only did in 16 and 9, so this test fails on it; so does the first
    adapter trained on real rows (15 GSM8K-style), before its stage 2 went on with the GSM8K-like rows."""
    from minos.verifier import load_verifier

    below = _below(load_verifier("default"), _real_rows(fixtures, name))
    assert below >= 18, f"{below}/24"


def test_bfloat16_scores_stay_within_002_of_float32(fixtures):
    """The default CPU path (bfloat16 autocast where the CPU does it natively, float32 head, batches of like
    length) against the path before it (float32, 8 rows padded to the longest), on 8 real solutions (all 24
    took 2.4 min on one core beside a build; `python -m benchmarks.run verifier` measures all 24: gap 0.007)."""
    from minos.verifier import load_verifier

    items = [(r.problem.question, list(r.steps)) for r in _real_rows(fixtures)[:8]]
    exact = load_verifier("default", precision="float32", max_batch_tokens=10**9).score_batch(items)
    fast = load_verifier("default", precision="bfloat16").score_batch(items)
    gap = max(abs(a - b) for x, y in zip(exact, fast, strict=True) for a, b in zip(x, y, strict=True))
    assert gap <= 0.02, gap


def test_default_step_scores_are_calibrated_on_natural_solutions(fixtures):
    """Scores that mean something: on the 24 natural GSM8K-style fixture rows (report half, never fitted on;
    all wrong solutions, so harder than the selection mix) a step's score is the chance that it is right: the
    labelled steps' calibration error stays under 0.25 here (0.06 on the natural GSM8K-style selection rows), and the
    stored threshold is a probability (0.74). The adapter before the calibration scored steps near 0 or 1
    (ECE 0.70 on those selection rows) with a threshold of 0.0002, so this test fails on it."""
    from minos.verifier import load_verifier
    from minos.verifier.calibration import expected_calibration_error
    from minos.verifier.evaluate import labelled_steps

    verifier = load_verifier("default")
    rows = _real_rows(fixtures)
    pairs = labelled_steps(rows, verifier.score_batch([(r.problem.question, list(r.steps)) for r in rows]))
    assert 0.2 < verifier.threshold < 0.8, verifier.threshold
    ece = expected_calibration_error([s for s, _ in pairs], [y for _, y in pairs])
    assert ece < 0.25, ece


def test_in_the_loop_the_default_beats_majority_on_recorded_gsm8k_solutions(fixtures):
    """The point of the app: 30 GSM8K test problems of the rerank report half (never fitted or chosen on)
    whose 4 recorded GPT-3 solutions disagree. Weighted voting with the shipped verifier at the default
    aggregation picks the right answer more often than a plain majority vote; before the calibration it
    picked it less often (sharp scores made the weighted vote a best-of-4)."""
    import dataclasses

    from minos.solver.config import SolverConfig
    from minos.solver.rerank import evaluate_rerank
    from minos.verifier import load_verifier

    aggregation = next(f.default for f in dataclasses.fields(SolverConfig) if f.name == "aggregation")
    figures = evaluate_rerank(fixtures / "rerank_gpt3_sample.jsonl", load_verifier("default"))
    assert figures[f"weighted_vote_{aggregation}"] > figures["self_consistency"], figures


def test_on_held_out_olympiad_solutions_the_step_probe_ranks_steps_better_than_the_head(fixtures):
    """The shipped verifier reads each step through a probe of a middle layer (`minos_probe.json`). On 16
    natural ProcessBench Omni-MATH solutions held out of every choice (the first 16, in file order, of the
    held-out rows with a first wrong step after step 1 and under 2,500 characters), the probe ranks first wrong
    steps under right ones at step AUROC 0.78 against 0.69 for the same adapter's head alone (on all 350
    held-out rows: 0.76 against 0.67); the verifier without the probe fails this test."""
    from minos.verifier import load_verifier
    from minos.verifier.evaluate import step_auroc
    from minos.verifier.neural import NeuralVerifier
    from minos.verifier.spec import DEFAULT_VERIFIER

    rows = _real_rows(fixtures, "real_first_errors_omni.jsonl")
    items = [(r.problem.question, list(r.steps)) for r in rows]
    probed = step_auroc(rows, load_verifier("prm:default").score_batch(items))
    head = step_auroc(rows, NeuralVerifier(DEFAULT_VERIFIER, probe=False, calibrated=False).score_batch(items))
    assert probed >= 0.75 and probed > head + 0.05, (probed, head)
