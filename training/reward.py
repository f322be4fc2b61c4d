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

from minos.core.models import load_tokenizer
from minos.core.types import LabelledSolution
from minos.training.settings import TrainSettings, last_checkpoint, load_trainable, trainer_arguments
from minos.verifier.neural import accepts_logits_to_keep
from minos.verifier.scheme import PRESETS, StepTagScheme


@dataclass(frozen=True)
class RewardSettings(TrainSettings):
    mode: str = field(default="prm", metadata={"help": "prm (every step tag) or orm (final tag only)"})
    epochs: float = field(default=1.0, metadata={"help": "Math-Minos: 1 epoch"})
    max_length: int = field(default=512, metadata={"help": "Math-Minos: 512 (global batch 512)"})
    eval_fraction: float = field(default=0.1, metadata={"help": "held-out share for step F1 / outcome accuracy"})


def encode_example(row: LabelledSolution, tokenizer, scheme: StepTagScheme, max_length: int) -> dict | None:
    """input_ids with the tag after each step; `tag_positions` and `tag_labels` aligned to them.

    Returns None (with the reason in `dropped`) when truncation cut every tag; raises when the tag does
    not stay one token, since then labels would land on the wrong tokens.
    """
    tag_id, _, _ = scheme.token_ids(tokenizer)
    ids = tokenizer(scheme.render(row.problem.question, row.steps, tokenizer), add_special_tokens=True).input_ids
    positions = [i for i, t in enumerate(ids) if t == tag_id]
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


def tag_loss(pair, y):
    """Soft-label cross-entropy over [good, bad] at the tag positions only."""
    if not y.numel():
        return pair.sum() * 0.0
    pair = pair.log_softmax(-1)
    return -(y * pair[:, 0] + (1 - y) * pair[:, 1]).mean()


def step_metrics(probs: list[float], labels: list[float], outcomes: list[tuple[float, bool]]) -> dict:
    """Step-level F1 (positive class: wrong step) and outcome accuracy (min step score >= 0.5)."""
    tp = sum(p < 0.5 and y < 0.5 for p, y in zip(probs, labels, strict=True))
    fp = sum(p < 0.5 and y >= 0.5 for p, y in zip(probs, labels, strict=True))
    fn = sum(p >= 0.5 and y < 0.5 for p, y in zip(probs, labels, strict=True))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    outcome = sum((score >= 0.5) == ok for score, ok in outcomes) / len(outcomes) if outcomes else 0.0
    return {"step_f1": f1, "outcome_acc": outcome}


def train_reward(rows: list[LabelledSolution], settings: RewardSettings, scheme: StepTagScheme | None = None):
    import random
    from dataclasses import replace

    import torch
    from transformers import Trainer, TrainingArguments

    scheme = replace(scheme or PRESETS["minos"], mode=settings.mode)
    tokenizer = load_tokenizer(settings.model)
    _, good_id, bad_id = scheme.token_ids(tokenizer)
    examples = [e for e in (encode_example(r, tokenizer, scheme, settings.max_length) for r in rows) if e]
    if len(examples) < 2:
        raise ValueError("fewer than 2 usable examples after truncation")
    random.Random(settings.seed).shuffle(examples)
    n_eval = max(1, int(len(examples) * settings.eval_fraction))
    train, held_out = examples[n_eval:], examples[:n_eval]

    collate = _collate(tokenizer.pad_token_id)

    def held_out_metrics(model) -> dict:
        """Step F1 and outcome accuracy on the held-out split, read the way the verifier reads them."""
        was_training = model.training
        model.eval()
        probs, labels, outcomes = [], [], []
        ordered = sorted(held_out, key=lambda e: len(e["input_ids"]))
        with torch.inference_mode():
            for start in range(0, len(ordered), 16):
                batch = {k: v.to(model.device) for k, v in collate(ordered[start : start + 16]).items()}
                counts = (batch["tag_targets"] >= 0).sum(1).tolist()
                pair, y = tag_logits(model, batch, good_id, bad_id)
                p, y = pair.softmax(-1)[:, 0].tolist(), y.tolist()
                probs += p
                labels += y
                at = 0
                for count in counts:
                    outcomes.append((min(p[at : at + count]), all(v >= 0.5 for v in y[at : at + count])))
                    at += count
        model.train(was_training)
        return step_metrics(probs, labels, outcomes)

    class TagTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss = tag_loss(*tag_logits(model, inputs, good_id, bad_id))
            return (loss, None) if return_outputs else loss

        def save_model(self, output_dir=None, _internal_call=False):
            # every checkpoint-N carries the scheme (and, via processing_class, the tokenizer), so the
            # meta-evaluation curve can load each one as a verifier
            super().save_model(output_dir, _internal_call)
            if self.args.should_save:
                scheme.save(output_dir or self.args.output_dir)

        def evaluate(self, *args, **kwargs) -> dict:
            # the Trainer's own loop only knows token losses; we want the verifier's metrics
            metrics = {f"eval_{k}": v for k, v in held_out_metrics(self.model).items()}
            self.log(metrics)
            return metrics

    args = TrainingArguments(
        **trainer_arguments(settings), eval_strategy="steps", eval_steps=settings.save_steps, remove_unused_columns=False
    )
    trainer = TagTrainer(
        model=load_trainable(settings), args=args, train_dataset=train, eval_dataset=held_out,
        data_collator=collate, processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(settings))
    metrics = held_out_metrics(trainer.model)
    trainer.save_model(settings.output_dir)
    return trainer, metrics
