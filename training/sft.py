"""Stage 1: supervised fine-tuning on step-by-step critiques (trl's SFTTrainer).

prompt = problem + numbered steps; completion = the critique; the loss is on the completion only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minos.core.models import load_tokenizer
from minos.core.types import LabelledSolution
from minos.training.settings import TrainSettings, last_checkpoint, load_trainable, trainer_arguments


def critique_prompt(row: LabelledSolution) -> str:
    steps = "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(row.steps))
    return f"Problem: {row.problem.question}\n\nSolution:\n{steps}\n\nCritique each step, then give a verdict.\nCritique:\n"


@dataclass(frozen=True)
class SFTSettings(TrainSettings):
    epochs: float = field(default=3.0, metadata={"help": "Math-Minos: 3 epochs"})
    learning_rate: float = field(default=5e-6, metadata={"help": "Math-Minos: 5e-6"})
    max_length: int = field(default=1024, metadata={"help": "Math-Minos: 1024 (global batch 256)"})


def train_sft(rows: list[LabelledSolution], settings: SFTSettings):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    usable = [r for r in rows if r.critique]
    if not usable:
        raise ValueError("no row has a critique: build them with `minos data inject` or `minos data critique`")
    dataset = Dataset.from_list([{"prompt": critique_prompt(r), "completion": r.critique} for r in usable])
    args = SFTConfig(**trainer_arguments(settings), max_length=settings.max_length, completion_only_loss=True)
    trainer = SFTTrainer(
        model=load_trainable(settings), args=args, train_dataset=dataset, processing_class=load_tokenizer(settings.model)
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(settings))
    # with LoRA this saves the adapter alone: stage 2 given this folder trains the same adapter on
    trainer.save_model(settings.output_dir)
    trainer.processing_class.save_pretrained(settings.output_dir)
    return trainer
