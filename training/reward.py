"""Stage 2: train the verifier as a PRM (loss at every step tag) or an ORM (loss at the final tag).

The loss is a cross-entropy over the two label tokens of the LM head at each tag position, with soft
labels allowed (Math-Shepherd soft estimation). Tag and label tokens are strings resolved through the
tokenizer (`StepTagScheme.token_ids`), and every example is checked so that each label lands on a tag
token that survived truncation. The saved checkpoint carries `minos_verifier.json`, so
`minos.verifier.load_verifier("prm:DIR")` loads it with no extra arguments, and vLLM can serve it with
STEP pooling on the same tag (README).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from minos.core.models import load_tokenizer
from minos.core.types import LabelledSolution
from minos.training.real import until_first_error
from minos.training.settings import RewardArguments, last_checkpoint, load_trainable
from minos.verifier.neural import accepts_logits_to_keep
from minos.verifier.scheme import PRESETS, StepTagScheme
from transformers import EvalPrediction, Trainer, TrainingArguments


@dataclass
class RewardConfig(RewardArguments, TrainingArguments):
    """transformers' TrainingArguments with the Math-Minos stage-2 defaults (global batch 512 in the paper)."""

    eval_strategy: str = field(default="steps", metadata={"help": "held-out metrics at every save (the meta-eval curve)"})
    logging_steps: float = field(default=1, metadata={"help": "log the loss every N steps"})
    report_to: None | str | list[str] = field(default="none", metadata={"help": "wandb, tensorboard, ... or none"})
    remove_unused_columns: bool = field(default=False, metadata={"help": "the tag targets are not a model input"})

    def __post_init__(self) -> None:
        if self.eval_steps is None:
            self.eval_steps = self.save_steps
        super().__post_init__()


def encode_example(row: LabelledSolution, tokenizer, scheme: StepTagScheme, max_length: int) -> dict | None:
    """input_ids with the tag after each step; `tag_positions` and `tag_labels` aligned to them.

    Returns None (with the reason in `dropped`) when truncation cut every tag; raises when the tag does
    not stay one token, since then labels would land on the wrong tokens.
    """
    ids, positions = scheme.encode(row.problem.question, row.steps, tokenizer)  # as the verifier reads it
    labels = list(row.labels) if scheme.mode == "prm" else [float(row.outcome)]
    if len(positions) != len(labels):
        raise ValueError(
            f"problem {row.problem.id}: {len(positions)} tag tokens for {len(labels)} labels; "
            f"the tag {scheme.tag!r} does not stay one token in context"
        )
    kept = [(p, y) for p, y in zip(positions, labels, strict=True) if p < max_length]
    if not kept:
        return None
    return {"input_ids": ids[:max_length], "tag_positions": [p for p, _ in kept], "tag_labels": [y for _, y in kept]}


def _collate(pad_id: int):
    def collate(batch: list[dict]) -> dict:
        import torch

        width = max(len(b["input_ids"]) for b in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        # tag targets as a dense (batch, width) tensor; -1 marks "no tag here"
        targets = torch.full((len(batch), width), -1.0)
        for i, b in enumerate(batch):
            input_ids[i, : len(b["input_ids"])] = torch.tensor(b["input_ids"])
            mask[i, : len(b["input_ids"])] = 1
            targets[i, b["tag_positions"]] = torch.tensor(b["tag_labels"], dtype=torch.float)
        return {"input_ids": input_ids, "attention_mask": mask, "tag_targets": targets}

    return collate


def tag_logits(model, batch: dict, good_id: int, bad_id: int):
    """([good, bad] logits at every labelled tag, in float32; their soft labels). The LM head runs only at
    the tag columns where the model allows it: with Gemma's 262k vocabulary the head over every position
    costs more than the body."""

    targets = batch["tag_targets"]
    inputs = {k: v for k, v in batch.items() if k != "tag_targets"}
    if accepts_logits_to_keep(model):
        keep = (targets >= 0).any(0).nonzero().flatten()
        inputs["logits_to_keep"] = keep.to(targets.device)
        targets = targets[:, keep]
    logits = model(**inputs).logits
    picked = targets >= 0
    return logits[picked][:, [good_id, bad_id]].float(), targets[picked].to(logits.device)


def tag_loss(pair, y, bad_weight: float = 1.0):
    """Soft-label cross-entropy over [good, bad] at the tag positions only; a tag's loss weighs
    `y + bad_weight * (1 - y)` (a weighted mean), so the rare wrong steps can count as much as the many right ones."""
    if not y.numel():
        return pair.sum() * 0.0
    pair = pair.log_softmax(-1)
    weight = y + bad_weight * (1 - y)
    return -(weight * (y * pair[:, 0] + (1 - y) * pair[:, 1])).sum() / weight.sum()


def step_metrics(probs: list[float], labels: list[float], outcomes: list[tuple[float, bool]]) -> dict:
    """Step-level F1 (positive class: wrong step) and outcome accuracy (min step score >= 0.5)."""
    tp = sum(p < 0.5 and y < 0.5 for p, y in zip(probs, labels, strict=True))
    fp = sum(p < 0.5 and y >= 0.5 for p, y in zip(probs, labels, strict=True))
    fn = sum(p >= 0.5 and y < 0.5 for p, y in zip(probs, labels, strict=True))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    outcome = sum((score >= 0.5) == ok for score, ok in outcomes) / len(outcomes) if outcomes else 0.0
    return {"step_f1": f1, "outcome_acc": outcome}


def reward_metrics(prediction: EvalPrediction) -> dict:
    """`compute_metrics` for stage 2: step F1 and outcome accuracy from the dense (example, position) maps
    that `RewardTrainer.prediction_step` returns (p(good) at tags; -1, or the loop's -100 padding, elsewhere)."""
    probs, labels, outcomes = [], [], []
    for row_scores, row_targets in zip(prediction.predictions, prediction.label_ids, strict=True):
        at = row_targets >= 0
        p, y = row_scores[at].tolist(), row_targets[at].tolist()
        probs += p
        labels += y
        if p:
            outcomes.append((min(p), all(v >= 0.5 for v in y)))
    return step_metrics(probs, labels, outcomes)


class RewardTrainer(Trainer):
    """The Trainer of stage 2: the tag loss, held-out metrics through `compute_metrics`, and every
    checkpoint saved with its scheme so it loads as a verifier on its own."""

    def __init__(self, *, scheme: StepTagScheme, processing_class, **kwargs) -> None:
        self.scheme = scheme
        _, self.good_id, self.bad_id = scheme.token_ids(processing_class)
        kwargs.setdefault("data_collator", _collate(processing_class.pad_token_id))
        kwargs.setdefault("compute_metrics", reward_metrics)
        super().__init__(processing_class=processing_class, **kwargs)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = tag_loss(*tag_logits(model, inputs, self.good_id, self.bad_id), self.args.bad_weight)
        return (loss, None) if return_outputs else loss

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        inputs = self._prepare_inputs(inputs)
        with torch.no_grad():
            pair, y = tag_logits(model, inputs, self.good_id, self.bad_id)
            loss = tag_loss(pair, y, self.args.bad_weight).detach()
        if prediction_loss_only:
            return loss, None, None
        targets = inputs["tag_targets"]
        scores = torch.full_like(targets, -1.0)
        scores[targets >= 0] = pair.softmax(-1)[:, 0].to(scores.dtype)
        return loss, scores, targets

    def save_model(self, output_dir=None, _internal_call=False):
        # every checkpoint-N carries the scheme (and, via processing_class, the tokenizer), so the
        # meta-evaluation curve can load each one as a verifier
        super().save_model(output_dir, _internal_call)
        if self.args.should_save:
            self.scheme.save(output_dir or self.args.output_dir)


def train_reward(rows: list[LabelledSolution], config: RewardConfig):
    """Stage 2 from `config.model_name_or_path`; returns the trainer and the held-out metrics at the end."""
    import random
    from dataclasses import replace

    config.check_model()
    scheme = replace(PRESETS["minos"], tag=config.step_tag, good=config.good_token, bad=config.bad_token, mode=config.mode)
    if config.until_first_error and config.mode == "prm":
        rows = [until_first_error(r) for r in rows]
    tokenizer = load_tokenizer(config.model_name_or_path)
    examples = [e for e in (encode_example(r, tokenizer, scheme, config.max_length) for r in rows) if e]
    if len(examples) < 2:
        raise ValueError("fewer than 2 usable examples after truncation")
    random.Random(config.seed).shuffle(examples)
    n_eval = max(1, int(len(examples) * config.eval_fraction))
    trainer = RewardTrainer(
        model=load_trainable(config), args=config, train_dataset=examples[n_eval:], eval_dataset=examples[:n_eval],
        scheme=scheme, processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(config))
    metrics = trainer.evaluate()
    trainer.save_model(config.output_dir)
    return trainer, {k: metrics[f"eval_{k}"] for k in ("step_f1", "outcome_acc")}
