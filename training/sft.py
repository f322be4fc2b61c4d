"""Stage 1: supervised fine-tuning on step-by-step critiques (trl's SFTTrainer).

prompt = problem + numbered steps; completion = the critique; the loss is on the completion only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minos.core.models import load_tokenizer
from minos.core.types import LabelledSolution
from minos.training.settings import ModelArguments, last_checkpoint, load_trainable
from trl import SFTConfig, SFTTrainer


def critique_prompt(row: LabelledSolution) -> str:
    steps = "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(row.steps))
    return f"Problem: {row.problem.question}\n\nSolution:\n{steps}\n\nCritique each step, then give a verdict.\nCritique:\n"


@dataclass
class CritiqueSFTConfig(ModelArguments, SFTConfig):
    """trl's SFTConfig with the Math-Minos stage-1 defaults (global batch 256 on 8 GPUs in the paper)."""

    num_train_epochs: float = field(default=3.0, metadata={"help": "Math-Minos: 3 epochs"})
    learning_rate: float = field(default=5e-6, metadata={"help": "Math-Minos: 5e-6"})
    max_length: int | None = field(default=1024, metadata={"help": "Math-Minos: 1024 tokens"})
    completion_only_loss: bool | None = field(default=True, metadata={"help": "loss on the critique only"})
    logging_steps: float = field(default=1, metadata={"help": "log the loss every N steps"})
    report_to: None | str | list[str] = field(default="none", metadata={"help": "wandb, tensorboard, ... or none"})
    bf16: bool | None = field(default=False, metadata={"help": "bfloat16 mixed precision (GPUs)"})


def train_sft(rows: list[LabelledSolution], config: CritiqueSFTConfig) -> SFTTrainer:
    from datasets import Dataset

    config.check_model()
    usable = [r for r in rows if r.critique]
    if not usable:
        raise ValueError("no row has a critique: build them with `minos data inject` or `minos data critique`")
    dataset = Dataset.from_list([{"prompt": critique_prompt(r), "completion": r.critique} for r in usable])
    trainer = SFTTrainer(
        model=load_trainable(config), args=config, train_dataset=dataset,
        processing_class=load_tokenizer(config.model_name_or_path),
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(config))
    # with LoRA this saves the adapter alone: stage 2 given this folder trains the same adapter on
    trainer.save_model(config.output_dir)
    trainer.processing_class.save_pretrained(config.output_dir)
    return trainer
