"""Stage 1: supervised fine-tuning on step-by-step critiques (trl's SFTTrainer).

prompt = problem + numbered steps; completion = the critique; the loss is on the completion only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minos.core.types import LabelledSolution
from minos.training.settings import TrainSettings, trainer_arguments


def critique_prompt(row: LabelledSolution) -> str:
    steps = "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(row.steps))
    return f"Problem: {row.problem.question}\n\nSolution:\n{steps}\n\nCritique each step, then give a verdict.\nCritique:\n"


@dataclass(frozen=True)
class SFTSettings(TrainSettings):
    epochs: float = field(default=3.0, metadata={"help": "Math-Minos: 3 epochs"})
    learning_rate: float = field(default=5e-6, metadata={"help": "Math-Minos: 5e-6"})
    max_length: int = field(default=1024, metadata={"help": "Math-Minos: 1024 (global batch 256)"})
    lora_rank: int = field(default=0, metadata={"help": "LoRA rank through peft; 0 trains every weight"})


def train_sft(rows: list[LabelledSolution], settings: SFTSettings):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    usable = [r for r in rows if r.critique]
    if not usable:
        raise ValueError("no row has a critique: build them with `minos data inject` or `minos data critique`")
    dataset = Dataset.from_list([{"prompt": critique_prompt(r), "completion": r.critique} for r in usable])
    peft_config = None
    if settings.lora_rank:
        from peft import LoraConfig

        peft_config = LoraConfig(r=settings.lora_rank, lora_alpha=2 * settings.lora_rank, task_type="CAUSAL_LM")
    args = SFTConfig(**trainer_arguments(settings), max_length=settings.max_length, completion_only_loss=True)
    trainer = SFTTrainer(model=settings.model, args=args, train_dataset=dataset, peft_config=peft_config)
    trainer.train()
    if peft_config is not None:
        trainer.model = trainer.model.merge_and_unload()  # stage 2 starts from plain weights
    trainer.save_model(settings.output_dir)
    trainer.processing_class.save_pretrained(settings.output_dir)
    return trainer
