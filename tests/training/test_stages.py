"""Both Math-Minos stages end to end on a tiny in-process model (CPU, offline, about a minute)."""

from __future__ import annotations

import json

import pytest
from minos.core.answers import extract_answer
from minos.core.types import Problem
from minos.training.inject import inject_dataset

pytestmark = pytest.mark.slow


def _weights(path):
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


def _losses(trainer):
    return [e["loss"] for e in trainer.state.log_history if "loss" in e]


def _falls(losses):
    k = max(1, len(losses) // 4)
    return sum(losses[-k:]) / k < sum(losses[:k]) / k


@pytest.fixture(scope="module")
def injected():
    from tests.conftest import FIXTURES

    pairs = []
    for number, line in enumerate((FIXTURES / "gsm8k_sample.jsonl").open(encoding="utf-8"), 1):
        row = json.loads(line)
        pairs.append((Problem(f"p{number}", row["question"], extract_answer(row["answer"])), row["answer"]))
    rows = list(inject_dataset(pairs, seed=0))
    assert len(rows) >= 12
    return rows


@pytest.fixture(scope="module")
def stage1(tiny_lm, injected, tmp_path_factory):
    from minos.training.sft import CritiqueSFTConfig, train_sft

    out = tmp_path_factory.mktemp("sft")
    settings = CritiqueSFTConfig(
        model_name_or_path=str(tiny_lm), output_dir=str(out), num_train_epochs=4, learning_rate=3e-3,
        per_device_train_batch_size=4, max_length=2048, save_steps=10_000,
    )
    trainer = train_sft(injected, settings)
    return out, trainer


def test_stage1_sft_learns_the_critiques(tiny_lm, stage1):
    out, trainer = stage1
    losses = _losses(trainer)
    assert len(losses) >= 8 and _falls(losses), losses
    before, after = _weights(tiny_lm), _weights(out)
    changed = [k for k in before if not (before[k] == after[k]).all()]
    assert len(changed) >= len(before) // 2


def test_stage1_loss_is_on_the_critique_only(tiny_lm, injected, tmp_path):
    """The collator masks the prompt: only completion tokens carry labels."""
    from datasets import Dataset
    from minos.training.sft import critique_prompt
    from trl import SFTConfig, SFTTrainer

    row = injected[0]
    dataset = Dataset.from_list([{"prompt": critique_prompt(row), "completion": row.critique}])
    trainer = SFTTrainer(
        model=str(tiny_lm), train_dataset=dataset,
        args=SFTConfig(
            output_dir=str(tmp_path), max_length=2048, completion_only_loss=True, report_to=[], bf16=False
        ),
    )
    batch = trainer.data_collator([trainer.train_dataset[0]])
    tokenizer = trainer.processing_class
    labelled = batch["labels"][0][batch["labels"][0] != -100]
    assert tokenizer.decode(labelled).strip().startswith(row.critique.strip()[:20])
    prompt_len = len(tokenizer(critique_prompt(row)).input_ids)
    assert (batch["labels"][0][: prompt_len - 1] == -100).all()


@pytest.fixture(scope="module")
def stage2(stage1, injected, tmp_path_factory):
    from minos.training.reward import RewardConfig, train_reward

    out = tmp_path_factory.mktemp("prm")
    settings = RewardConfig(
        model_name_or_path=str(stage1[0]), output_dir=str(out), mode="prm", num_train_epochs=6, learning_rate=3e-3,
        per_device_train_batch_size=4, max_length=2048, eval_fraction=0.2, save_steps=10,
    )
    trainer, metrics = train_reward(injected, settings)
    return out, trainer, metrics


def test_stage2_prm_learns_step_labels(stage1, stage2):
    out, trainer, metrics = stage2
    losses = _losses(trainer)
    assert len(losses) >= 10 and _falls(losses), losses
    before, after = _weights(stage1[0]), _weights(out)
    assert any(not (before[k] == after[k]).all() for k in before)
    assert set(metrics) == {"step_f1", "outcome_acc"} and 0.0 <= metrics["step_f1"] <= 1.0
    # metrics were logged during training too, at each save
    assert any("eval_step_f1" in e for e in trainer.state.log_history)


def test_stage2_checkpoint_loads_as_a_verifier_with_no_arguments(stage2, injected):
    from minos.verifier import load_verifier

    out = stage2[0]
    verifier = load_verifier(f"prm:{out}")
    row = injected[0]
    (scores,) = verifier.score(row.problem.question, [list(row.steps)])
    assert len(scores) == len(row.steps) and all(0.0 <= s <= 1.0 for s in scores)
    # ORM reading of the same checkpoint: one score
    (orm,) = load_verifier(f"orm:{out}").score(row.problem.question, [list(row.steps)])
    assert len(orm) == 1


def test_stage2_learned_something_on_training_rows(stage2, injected):
    """After a few epochs the tiny PRM separates right from wrong steps on the rows it saw."""
    from minos.verifier import load_verifier

    verifier = load_verifier(f"prm:{stage2[0]}")
    good, bad = [], []
    for row in injected:
        (scores,) = verifier.score(row.problem.question, [list(row.steps)])
        for score, label in zip(scores, row.labels, strict=True):
            (good if label >= 0.5 else bad).append(score)
    assert sum(good) / len(good) > sum(bad) / len(bad)


def test_meta_curve_reads_every_checkpoint(stage2, injected):
    from minos.training.meta import checkpoints, meta_curve

    out = stage2[0]
    found = checkpoints(out)
    assert len(found) >= 2 and found[-1] == out
    curve = meta_curve(out, injected[:6])
    # every checkpoint once; the final model only where no checkpoint holds the same step
    assert [p["checkpoint"] for p in curve] == [str(p) for p in found][: len(curve)]
    assert len(curve) >= len(found) - 1
    assert all(0.0 <= p["accuracy"] <= 1.0 for p in curve)
    steps = [p["step"] for p in curve]
    assert steps == sorted(steps) and steps[0] > 0


def test_lora_stages_ship_one_adapter_that_loads_as_a_verifier(tiny_lm, injected, tmp_path):
    """Stage 1 with LoRA saves an adapter; stage 2 given that folder trains the same adapter on (it starts
    from the stage-1 weights) and the result loads with `prm:DIR`, merged into its base."""
    from minos.training.reward import RewardConfig, train_reward
    from minos.training.sft import CritiqueSFTConfig, train_sft
    from minos.verifier import load_verifier
    from safetensors.torch import load_file

    s1, s2 = tmp_path / "s1", tmp_path / "s2"
    train_sft(injected, CritiqueSFTConfig(model_name_or_path=str(tiny_lm), output_dir=str(s1), num_train_epochs=1,
                                          learning_rate=3e-3, per_device_train_batch_size=4, max_length=2048,
                                          save_steps=10_000, lora_rank=4))
    assert (s1 / "adapter_config.json").exists() and not (s1 / "model.safetensors").exists()
    train_reward(injected, RewardConfig(model_name_or_path=str(s1), output_dir=str(s2), num_train_epochs=2,
                                        learning_rate=3e-3, per_device_train_batch_size=4, max_length=2048,
                                        save_steps=10_000))
    before, after = load_file(str(s1 / "adapter_model.safetensors")), load_file(str(s2 / "adapter_model.safetensors"))
    assert before.keys() == after.keys() and any(not (before[k] == after[k]).all() for k in before)
    row = injected[0]
    (scores,) = load_verifier(f"prm:{s2}").score(row.problem.question, [list(row.steps)])
    assert len(scores) == len(row.steps) and all(0.0 <= s <= 1.0 for s in scores)
    # merged into one plain checkpoint (what vLLM serves), it scores the same
    from minos.cli.main import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["train", "merge", str(s2), "-o", str(tmp_path / "merged")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "merged" / "adapter_config.json").exists()
    (merged,) = load_verifier(f"prm:{tmp_path / 'merged'}").score(row.problem.question, [list(row.steps)])
    assert merged == pytest.approx(scores, abs=1e-5)


_RESUMABLE = """
import sys
import transformers
from minos.core.data import load_labelled
run = []  # optimizer steps taken in THIS process
original = transformers.Trainer.training_step
def counted(self, *args, **kwargs):
    run.append(1)
    return original(self, *args, **kwargs)
transformers.Trainer.training_step = counted
from minos.training.reward import RewardConfig, train_reward
rows = load_labelled(sys.argv[1])
settings = RewardConfig(model_name_or_path=sys.argv[2], output_dir=sys.argv[3], num_train_epochs=8, learning_rate=1e-3,
                        per_device_train_batch_size=2, max_length=2048, save_steps=2, eval_fraction=0.2, lora_rank=4,
                        resume=True)
trainer, _ = train_reward(rows, settings)
print("GLOBAL_STEP", trainer.state.global_step, "RUN_HERE", len(run))
"""


def test_training_killed_mid_run_resumes_from_its_last_checkpoint(tiny_lm, injected, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from minos.core.data import write_jsonl_atomic

    data, out = tmp_path / "rows.jsonl", tmp_path / "run"
    write_jsonl_atomic(data, [r.to_dict() for r in injected])
    command = [sys.executable, "-c", _RESUMABLE, str(data), str(tiny_lm), str(out)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("checkpoint-4")) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    assert first.poll() is None, "the run ended before it could be killed"
    os.killpg(first.pid, signal.SIGKILL)  # as a crash or a pulled plug would: no clean-up runs
    first.wait()
    done = sorted(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    assert done and not (out / "adapter_model.safetensors").exists()
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    line = next(x for x in second.stdout.splitlines() if x.startswith("GLOBAL_STEP"))
    _, total, _, run_here = line.split()
    # the second run finished the schedule, starting from a complete checkpoint (the newest may be torn
    # by the kill), not from step 1
    assert int(total) > done[-1] and done[-1] >= 4
    assert int(total) - done[-1] <= int(run_here) <= int(total) - done[-1] + 2 < int(total)
    assert (out / "adapter_model.safetensors").exists()


def test_dev_threshold_is_written_beside_the_checkpoint_and_used(stage2, injected, tmp_path):
    from minos.cli.main import app
    from minos.core.data import write_jsonl_atomic
    from minos.verifier import load_verifier
    from minos.verifier.evaluate import evaluate_processbench, sweep_thresholds
    from typer.testing import CliRunner

    out = stage2[0]
    dev = tmp_path / "dev.jsonl"
    write_jsonl_atomic(dev, [r.to_dict() for r in injected])
    stored = json.loads((out / "minos_verifier.json").read_text())
    (out / "minos_verifier.json").write_text(json.dumps(stored | {"no_error_bias": -1.0}))
    result = CliRunner().invoke(app, ["eval", "threshold", str(dev), "--verifier", f"prm:{out}", "--write", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    # the threshold chosen is the rule from now on: a stored likeliest-first-error bias is cleared
    assert json.loads((out / "minos_verifier.json").read_text())["no_error_bias"] is None
    verifier = load_verifier(f"prm:{out}")
    assert verifier.threshold == figures["threshold"] == json.loads((out / "minos_verifier.json").read_text())["threshold"]
    scores = verifier.score_batch([(r.problem.question, list(r.steps)) for r in injected])
    assert figures["f1"] == sweep_thresholds(injected, scores)["f1"]
    # processbench with no --threshold reads the stored one
    assert evaluate_processbench(dev, verifier)["threshold"] == figures["threshold"]


@pytest.mark.parametrize(("layers", "trained"), [(0, {"model.norm.weight"}), (1, {"model.norm.weight", "model.layers.1."})])
def test_partial_unfreezing_trains_only_the_top_blocks_and_the_final_norm(tiny_lm, injected, tmp_path, layers, trained):
    """--train-layers N: the top N blocks and the final norm move, nothing else (embeddings and the tied or
    untied LM head included); 0 is a linear head on frozen features. The checkpoint loads as a verifier."""
    from minos.training.reward import RewardConfig, train_reward
    from minos.verifier import load_verifier

    out = tmp_path / "partial"
    train_reward(injected, RewardConfig(model_name_or_path=str(tiny_lm), output_dir=str(out), num_train_epochs=1,
                                        learning_rate=1e-2, per_device_train_batch_size=4, max_length=2048,
                                        save_steps=10_000, train_layers=layers))
    before, after = _weights(tiny_lm), _weights(out)
    moved = {k for k in before if not (before[k] == after[k]).all()}
    assert moved and all(any(k.startswith(t) for t in trained) for k in moved), moved
    assert any(k.startswith("model.norm") for k in moved)
    row = injected[0]
    (scores,) = load_verifier(f"prm:{out}").score(row.problem.question, [list(row.steps)])
    assert len(scores) == len(row.steps)


@pytest.mark.parametrize(("fields", "message"), [
    ({"lora_rank": 4, "train_layers": 1}, "give one"),
    ({"train_layers": 3}, "has 2 blocks"),
])
def test_training_method_options_are_checked(tiny_lm, injected, tmp_path, fields, message):
    from minos.training.reward import RewardConfig, train_reward

    settings = RewardConfig(model_name_or_path=str(tiny_lm), output_dir=str(tmp_path), **fields)
    with pytest.raises(ValueError, match=message):
        train_reward(injected, settings)


def test_local_models_are_critic_verifiers_a_stage1_adapter_in_its_own_format(tiny_lm, injected, tmp_path, monkeypatch):
    """`critic:PATH`: a transformers folder reads the ProcessBench protocol; a `minos train sft` LoRA adapter
    is merged once and read in the stage-1 format it learnt. A tiny random model writes nonsense: the path
    must still give one score a step and a critique with one verdict per sample (mostly abstentions)."""
    from minos.training.sft import CritiqueSFTConfig, train_sft
    from minos.verifier import load_verifier

    monkeypatch.setenv("MINOS_CACHE", str(tmp_path / "cache"))  # the merged adapter is cached here
    out = tmp_path / "stage1-lora"
    train_sft(injected[:8], CritiqueSFTConfig(model_name_or_path=str(tiny_lm), output_dir=str(out), lora_rank=4,
                                              max_steps=2, per_device_train_batch_size=4, max_length=2048, save_steps=10_000))
    row = injected[0]
    for spec, style in ((f"critic:{tiny_lm}", "processbench"), (f"critic:{out}", "minos"), (f"critic:{out}#processbench", "processbench")):
        critic = load_verifier(spec, critic_samples=2, max_tokens=12)
        assert critic.style == style
        (assessed,) = critic.assess_batch([(row.problem.question, list(row.steps))])
        scores, critique = assessed.steps, assessed.critique
        assert len(scores) == len(row.steps) and all(0.0 <= s <= 1.0 for s in scores)
        assert len(critique.votes) == 2 and critique.usage.completion_tokens > 0
