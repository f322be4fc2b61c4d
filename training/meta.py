"""Meta-evaluation (the Math-Minos convergence curve) and error-type analysis."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from minos.core.types import LabelledSolution
from minos.training.inject import ERROR_TYPES
from minos.training.settings import saved_checkpoints


def checkpoints(run_dir: str | Path) -> list[Path]:
    """`checkpoint-N` folders in step order, then the final model in the run folder itself."""
    run_dir = Path(run_dir)
    found = saved_checkpoints(run_dir)
    if (run_dir / "config.json").exists() or (run_dir / "adapter_config.json").exists():  # a model or a LoRA adapter
        found.append(run_dir)
    return found


def _step_of(path: Path) -> int:
    """The optimizer step a checkpoint was saved at; the final model counts as the run's last step."""
    if path.name.startswith("checkpoint-"):
        return int(path.name.split("-", 1)[1])
    states = sorted(path.glob("checkpoint-*/trainer_state.json"))
    if states:
        return max(json.loads(state.read_text()).get("max_steps", 0) for state in states)
    return -1


def meta_curve(run_dir: str | Path, rows: list[LabelledSolution], *, mode: str = "prm") -> list[dict]:
    """Meta-accuracy of every checkpoint of a run, in step order (the Math-Minos convergence curve)."""
    from minos.verifier.evaluate import outcome_accuracy
    from minos.verifier.neural import NeuralVerifier

    curve = []
    for path in checkpoints(run_dir):
        step = _step_of(path)
        if curve and curve[-1]["step"] == step:
            continue  # the final model is the checkpoint the trainer saved at its last step
        verifier = NeuralVerifier(path, mode=mode)
        scores = verifier.score_batch([(row.problem.question, list(row.steps)) for row in rows])
        curve.append({"checkpoint": str(path), "step": step, "accuracy": outcome_accuracy(rows, scores)})
    return curve


def error_type_counts(rows: list[LabelledSolution]) -> dict[str, int]:
    """How many wrong steps of each of the five types (unlabelled wrong steps count as `other`)."""
    counts = Counter()
    for row in rows:
        types = row.error_types or ("",) * len(row.steps)
        for label, kind in zip(row.labels, types, strict=False):
            if label < 0.5:
                counts[kind if kind in ERROR_TYPES else "other"] += 1
    return {kind: counts.get(kind, 0) for kind in ERROR_TYPES}


def save_curves(curves: dict[str, list[dict]], path: str | Path) -> None:
    """Meta-accuracy against training step, one line per run (e.g. with and without stage 1)."""
    from minos.core.plots import save_lines

    series = {name: ([p["step"] for p in curve], [p["accuracy"] for p in curve]) for name, curve in curves.items()}
    save_lines(series, path, title="meta-evaluation", xlabel="training step", ylabel="final-answer judgement accuracy")
