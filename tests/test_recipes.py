"""The recipes the README's figures come from run end to end (on a tiny model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_heldout_figures_recipe(tiny_lm, fixtures, tmp_path):
    """Threshold from the dev file, figures per error type, rerank of recorded samples; run as a script,
    so the symbolic checker's spawned worker must not rerun it (it did, doubling the work, before the
    main guard)."""
    from minos.cli.main import app
    from minos.core.types import Candidate, Problem, SolveResult, Usage
    from typer.testing import CliRunner

    injected = tmp_path / "injected.jsonl"
    assert CliRunner().invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)]).exit_code == 0
    result = SolveResult(
        problem=Problem("p1", "What is 48 / 2?", "24"), answer="24", support=1.0, strategy="self_consistency",
        candidates=(Candidate(("48 / 2 = 24.", "The answer is 24."), "24"), Candidate(("48 / 2 = 26.", "The answer is 26."), "26")),
        usage=Usage(10, 20),
    )
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps(result.to_dict()) + "\n")
    out = tmp_path / "figures.jsonl"
    run = subprocess.run(
        [sys.executable, "recipes/heldout_figures.py", f"prm:{tiny_lm}", str(injected), "--dev", str(injected),
         "--out", str(out), "--rerank", str(samples)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (chosen,) = [json.loads(line) for line in run.stdout.splitlines() if '"thresholds"' in line]
    assert set(chosen["thresholds"]) == {"prm", "hybrid"} and chosen["source"].startswith("best mean F1 on"), run.stdout
    reranked = [json.loads(line) for line in run.stdout.splitlines() if '"reading"' in line]
    assert [r["reading"] for r in reranked] == ["prm", "hybrid"] and all(r["problems"] == 1 for r in reranked)
    # the hybrid reading zeroes the step sympy proves wrong (48 / 2 = 26): the right answer wins
    assert next(r for r in reranked if r["reading"] == "hybrid")["best_of_n_min"] == 1.0
    (figures,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert figures["threshold_source"].startswith("best mean F1 on") and figures["rows"] > 0
    assert set(figures["by_type"]) <= {"irrelevant", "calculation", "logical", "none"} and "none" in figures["by_type"]
    assert figures["symbolic"]["all"]["correct_acc"] == 1.0  # untouched references: nothing flagged
    assert {"auroc", "f1"} <= set(figures["prm"]["all"])


@pytest.mark.slow
def test_heldout_figures_read_the_stored_first_error_rule(tiny_lm, fixtures, tmp_path):
    """At the stored thresholds the recipe names first errors as the verifier does: by its stored no-error bias
    where one is stored for the question's style (it read the threshold alone before). A threshold of 1.0 flags
    every row's first step; a large bias on word problems names no error in any of them instead."""
    import shutil
    from dataclasses import replace

    from minos.cli.main import app
    from minos.verifier.scheme import StepTagScheme
    from typer.testing import CliRunner

    injected = tmp_path / "injected.jsonl"
    assert CliRunner().invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)]).exit_code == 0
    model = shutil.copytree(tiny_lm, tmp_path / "model")
    scheme = StepTagScheme.load(model) or StepTagScheme()
    replace(scheme, threshold=1.0, hybrid_threshold=1.0, no_error_bias={"gsm8k": 50.0}).save(model)
    out = tmp_path / "figures.jsonl"
    run = subprocess.run([sys.executable, "recipes/heldout_figures.py", f"prm:{model}", str(injected), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    (chosen,) = [json.loads(line) for line in run.stdout.splitlines() if '"thresholds"' in line]
    assert chosen["source"] == "stored" and chosen["no_error_bias"] == {"prm": {"gsm8k": 50.0}, "hybrid": None}
    (figures,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert figures["prm"]["all"]["correct_acc"] == 1.0 and figures["prm"]["all"]["error_acc"] == 0.0  # the bias: no error named
    assert figures["hybrid"]["all"]["correct_acc"] == 0.0  # no bias stored for the hybrid reading: threshold 1.0 flags step 1
