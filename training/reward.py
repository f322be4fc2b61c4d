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

from minos.core.types import LabelledSolution
from minos.training.settings import TrainSettings, trainer_arguments
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


def label_logits(logits, targets, good_id: int, bad_id: int):
    """The [good, bad] logits at the tag positions (`targets >= 0`), in float32: what training and the
    held-out metrics both read."""
    return logits[targets >= 0][:, [good_id, bad_id]].float()


def tag_loss(logits, targets, good_id: int, bad_id: int):
    """Soft-label cross-entropy over [good, bad] at the tag positions only."""
    import torch

    pair = label_logits(logits, targets, good_id, bad_id).log_softmax(-1)
    y = targets[targets >= 0]
    return -(y * pair[:, 0] + (1 - y) * pair[:, 1]).mean() if y.numel() else logits.sum() * 0.0 + torch.tensor(0.0)


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

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    scheme = StepTagScheme(**{**(scheme or PRESETS["minos"]).__dict__, "mode": settings.mode})
    tokenizer = AutoTokenizer.from_pretrained(settings.model)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
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
        with torch.inference_mode():
            for example in held_out:
                batch = collate([example])
                targets = batch.pop("tag_targets")
                logits = model(**{k: v.to(model.device) for k, v in batch.items()}).logits.cpu()
                p = label_logits(logits, targets, good_id, bad_id).softmax(-1)[:, 0].tolist()
                y = targets[targets >= 0].tolist()
                probs += p
                labels += y
                outcomes.append((min(p), all(v >= 0.5 for v in y)))
        model.train(was_training)
        return step_metrics(probs, labels, outcomes)

    class TagTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            targets = inputs.pop("tag_targets")
            outputs = model(**inputs)
            loss = tag_loss(outputs.logits, targets, good_id, bad_id)
            return (loss, outputs) if return_outputs else loss

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
    model = AutoModelForCausalLM.from_pretrained(settings.model)
    trainer = TagTrainer(
        model=model, args=args, train_dataset=train, eval_dataset=held_out, data_collator=collate,
        processing_class=tokenizer,
    )
    trainer.train()
    metrics = held_out_metrics(trainer.model)
    trainer.save_model(settings.output_dir)
    return trainer, metrics
