"""Stage 1: supervised fine-tuning on step-by-step critiques (trl's SFTTrainer).

prompt = problem + numbered steps; completion = the critique; the loss is on the completion only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minos.core.types import LabelledSolution


def critique_prompt(row: LabelledSolution) -> str:
    steps = "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(row.steps))
    return f"Problem: {row.problem.question}\n\nSolution:\n{steps}\n\nCritique each step, then give a verdict.\nCritique:\n"


@dataclass(frozen=True)
class SFTSettings:
    model: str = field(metadata={"help": "causal LM to start from (local path)"})
    output_dir: str = field(metadata={"help": "where checkpoints and the final model go"})
    epochs: float = field(default=3.0, metadata={"help": "Math-Minos: 3 epochs"})
    learning_rate: float = field(default=5e-6, metadata={"help": "Math-Minos: 5e-6"})
    batch_size: int = field(default=4, metadata={"help": "per-device batch; global = this x devices x accumulation"})
    gradient_accumulation: int = field(default=1, metadata={"help": "Math-Minos: global batch 256"})
    max_length: int = field(default=1024, metadata={"help": "Math-Minos: 1024"})
    lora_rank: int = field(default=0, metadata={"help": "LoRA rank through peft; 0 trains every weight"})
    save_steps: int = field(default=500, metadata={"help": "checkpoint every N steps (the meta-eval curve reads them)"})
    seed: int = field(default=0)
    bf16: bool = field(default=False, metadata={"help": "bfloat16 mixed precision (GPUs)"})


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
    args = SFTConfig(
        output_dir=settings.output_dir,
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        max_length=settings.max_length,
        completion_only_loss=True,
        save_steps=settings.save_steps,
        logging_steps=1,
        seed=settings.seed,
        bf16=settings.bf16,
        report_to=[],
        use_cpu=False,
    )
    trainer = SFTTrainer(model=settings.model, args=args, train_dataset=dataset, peft_config=peft_config)
    trainer.train()
    if peft_config is not None:
        trainer.model = trainer.model.merge_and_unload()  # stage 2 starts from plain weights
    trainer.save_model(settings.output_dir)
    trainer.processing_class.save_pretrained(settings.output_dir)
    return trainer
