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
    lora_rank: int = field(default=0, metadata={"help": "LoRA rank through peft on every linear layer; 0 trains every weight"})
    resume: bool = field(default=False, metadata={"help": "go on from the last checkpoint-N in output_dir"})


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


def load_trainable(settings: TrainSettings):
    """The model to train: `settings.model` as it is, with a new LoRA adapter when `lora_rank` is set, or,
    when `settings.model` is itself a LoRA adapter folder (a stage-1 run with LoRA), its base with that
    adapter made trainable again, so stage 2 starts from the stage-1 weights and ships one adapter."""
    from minos.core.models import base_of
    from transformers import AutoModelForCausalLM

    base = base_of(settings.model)
    if base is not None:
        from peft import PeftModel

        return PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), settings.model, is_trainable=True)
    model = AutoModelForCausalLM.from_pretrained(settings.model)
    if not settings.lora_rank:
        return model
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=settings.lora_rank, lora_alpha=2 * settings.lora_rank, target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def last_checkpoint(settings: TrainSettings) -> str | None:
    """With `resume`, the newest COMPLETE checkpoint-N in output_dir, or None (a fresh start). A run killed
    while writing a checkpoint leaves a folder without its trainer state (the Trainer writes that last);
    resuming from it fails, so such a folder is passed over for the one before."""
    if not settings.resume:
        return None
    import json
    from pathlib import Path

    folders = [p for p in Path(settings.output_dir).glob("checkpoint-*") if p.name.split("-", 1)[1].isdigit()]
    for folder in sorted(folders, key=lambda p: int(p.name.split("-", 1)[1]), reverse=True):
        try:
            json.loads((folder / "trainer_state.json").read_text())
        except (OSError, ValueError):
            continue
        return str(folder)
    return None
