"""Stage 1: supervised fine-tuning on step-by-step critiques (trl's SFTTrainer).

prompt = problem + numbered steps; completion = the critique; the loss is on the completion only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minos.core.models import load_tokenizer
from minos.core.types import LabelledSolution
from minos.training.real import with_critique
from minos.training.settings import SFTArguments, last_checkpoint, load_trainable
from minos.verifier.critiques import stage1_prompt
from trl import SFTConfig, SFTTrainer


def critique_prompt(row: LabelledSolution) -> str:
    return stage1_prompt(row.problem.question, row.steps)


@dataclass
class CritiqueSFTConfig(SFTArguments, SFTConfig):
    """trl's SFTConfig with the Math-Minos stage-1 defaults (global batch 256 on 8 GPUs in the paper)."""

    completion_only_loss: bool | None = field(default=True, metadata={"help": "loss on the critique only"})
    logging_steps: float = field(default=1, metadata={"help": "log the loss every N steps"})
    report_to: None | str | list[str] = field(default="none", metadata={"help": "wandb, tensorboard, ... or none"})


def train_sft(rows: list[LabelledSolution], config: CritiqueSFTConfig) -> SFTTrainer:
    from datasets import Dataset

    config.check_model()
    # rows with a critique of their own (injected, critic-written), and real labelled rows whose annotators
    # explained the first wrong step (their `reason`) or that are right throughout
    usable = [c for c in map(with_critique, rows) if c is not None]
    if not usable:
        raise ValueError("no row has a critique: build them with `minos data inject` or `minos data critique`")
    tokenizer = load_tokenizer(config.model_name_or_path)
    pairs = [(critique_prompt(r), r.critique) for r in usable]
    if config.max_length:
        # trl cuts an example at max_length from the end, which is the critique and its verdict: such an
        # example would teach critiques that stop half-way, so it is left out instead
        fits = [len(tokenizer(p + c).input_ids) < config.max_length for p, c in pairs]
        if not any(fits):
            raise ValueError(f"no critique example fits in max_length={config.max_length} tokens")
        if not all(fits):
            print(f"stage 1: {fits.count(False)} of {len(pairs)} examples are longer than {config.max_length} tokens; left out")
        pairs = [pair for pair, ok in zip(pairs, fits, strict=True) if ok]
    dataset = Dataset.from_list([{"prompt": p, "completion": c} for p, c in pairs])
    _fused_head_on_completion_only()
    trainer = SFTTrainer(
        model=load_trainable(config), args=config, train_dataset=dataset, processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(config))
    # with LoRA this saves the adapter alone: stage 2 given this folder trains the same adapter on
    trainer.save_model(config.output_dir)
    trainer.processing_class.save_pretrained(config.output_dir)
    return trainer


def _fused_head_on_completion_only() -> None:
    """trl's fused LM head projects only the positions that carry a label (the critique) on CUDA / XPU, and
    every position elsewhere, the prompt too. On a CPU that is Gemma's 262k-row head over the whole solution
    for nothing: stage 1 ran at 80 s a step of 4 here. The selection itself is plain torch (`hidden[mask]`)
    and the tile kernel still chooses its own CPU path, so the selection is turned on everywhere."""
    import trl.trainer.utils

    trl.trainer.utils._use_triton = lambda device: True
