"""Settings both training stages share, and how they map onto transformers' TrainingArguments."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrainSettings:
    model: str = field(metadata={"help": "causal LM to start from (local path)"})
    output_dir: str = field(metadata={"help": "where checkpoints and the final model go"})
    epochs: float = field(default=1.0, metadata={"help": "passes over the data"})
    learning_rate: float = field(default=2e-6, metadata={"help": "peak learning rate"})
    batch_size: int = field(default=4, metadata={"help": "per-device batch; global = this x devices x accumulation"})
    gradient_accumulation: int = field(default=1, metadata={"help": "micro-batches per optimizer step"})
    max_length: int = field(default=512, metadata={"help": "tokens per example; longer ones are cut"})
    save_steps: int = field(default=500, metadata={"help": "checkpoint every N steps (the meta-eval curve reads them)"})
    seed: int = field(default=0, metadata={"help": "data order and initialisation"})
    bf16: bool = field(default=False, metadata={"help": "bfloat16 mixed precision (GPUs)"})


def trainer_arguments(settings: TrainSettings) -> dict:
    """The TrainingArguments (or trl config) fields that come straight from the settings."""
    return dict(
        output_dir=settings.output_dir,
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        save_steps=settings.save_steps,
        logging_steps=1,
        seed=settings.seed,
        bf16=settings.bf16,
        report_to=[],
    )
