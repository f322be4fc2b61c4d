"""What both training stages add to the Trainer's arguments, and the model each starts from.

The stage configs are transformers' `TrainingArguments` (stage 2) and trl's `SFTConfig` (stage 1) with
these fields added and Math-Minos defaults, so every Trainer option (warmup, scheduler, `report_to`,
gradient checkpointing, DeepSpeed, FSDP) is reachable, from Python or from `minos train --config X.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelArguments:
    """Fields both stage configs add to the Trainer's own, and the Trainer fields `minos train` offers as options
    (each with its help and bounds here, the one place they are declared: `minos.core.options`)."""

    model_name_or_path: str = field(default="", metadata={"help": "causal LM (or a stage-1 LoRA folder) to start from",
                                                          "flags": ("--model", "-m")})
    output_dir: str | None = field(default=None, metadata={"help": "checkpoints and the final model",
                                                           "flags": ("--output-dir", "-o")})
    lora_rank: int = field(default=0, metadata={"help": "LoRA rank through peft on every linear layer; 0 trains every weight",
                                                "min": 0})
    train_layers: int | None = field(default=None, metadata={
        "help": "partial unfreezing: train only the top N transformer blocks and the final norm, the rest frozen "
        "(0: the final norm alone, a linear head on frozen features); unset trains every weight (or LoRA)", "min": 0})
    resume: bool = field(default=False, metadata={"help": "go on from the newest complete checkpoint-N in output_dir"})
    until_first_error: bool = field(default=False, metadata={
        "help": "train on the steps up to the first wrong one only: real labelled solutions (ProcessBench rows) "
        "leave the later steps unlabelled; injected rows label them (accumulation)"})
    # Trainer fields, some with defaults of their own here (a CPU-sized batch; runs reproducible from seed 0)
    per_device_train_batch_size: int = field(default=4, metadata={"help": "global batch = this x devices x accumulation",
                                                                  "min": 1})
    gradient_accumulation_steps: int = field(default=1, metadata={"help": "global batch = batch x devices x this", "min": 1})
    save_steps: int = field(default=500, metadata={"help": "checkpoint (and evaluate) every N optimizer steps", "min": 1})
    seed: int = field(default=0, metadata={"help": "data order and initialisation"})
    bf16: bool = field(default=False, metadata={
        "help": "bfloat16 mixed precision (GPUs; CPUs with AVX-512 BF16 too, with use_cpu)"})

    def __post_init__(self) -> None:
        from minos.core.options import check_bounds

        check_bounds(type(self), vars(self))
        more = getattr(super(), "__post_init__", None)  # the Trainer's arguments, in a stage config
        if more is not None:
            more()

    def check_model(self) -> None:
        if not self.model_name_or_path:
            raise ValueError("model_name_or_path is required (--model)")
        if self.lora_rank and self.train_layers is not None:
            raise ValueError("lora_rank and train_layers are two ways to train; give one")


@dataclass
class SFTArguments(ModelArguments):
    """Stage 1's options, with the Math-Minos defaults (`CritiqueSFTConfig` adds trl's SFTConfig)."""

    num_train_epochs: float = field(default=3.0, metadata={"help": "passes over the data (Math-Minos: 3)", "min": 0.0})
    learning_rate: float = field(default=5e-6, metadata={"help": "peak learning rate (Math-Minos: 5e-6)", "min": 0.0})
    max_length: int | None = field(default=1024, metadata={"help": "tokens per example (Math-Minos: 1024)", "min": 1})


@dataclass
class RewardArguments(ModelArguments):
    """Stage 2's options, with the Math-Minos defaults (`RewardConfig` adds transformers' TrainingArguments)."""

    mode: str = field(default="prm", metadata={"help": "prm (every step tag) or orm (final tag only)"})
    num_train_epochs: float = field(default=1.0, metadata={"help": "passes over the data (Math-Minos: 1)", "min": 0.0})
    learning_rate: float = field(default=2e-6, metadata={"help": "peak learning rate", "min": 0.0})
    max_length: int = field(default=512, metadata={"help": "tokens per example (Math-Minos: 512)", "min": 1})
    eval_fraction: float = field(default=0.1, metadata={"help": "held-out share for step F1 / outcome accuracy",
                                                        "min": 0.0, "max": 0.5})
    bad_weight: float = field(default=1.0, metadata={
        "help": "loss weight of a tag labelled wrong against 1 for a right one: real solutions cut at their first "
        "error have about one wrong tag in ten, and a model that only learns that base rate sits at its entropy",
        "min": 0.0})
    step_tag: str = field(default=" ки", metadata={"help": "the tag after each step, read for its score (must stay one token)"})
    good_token: str = field(default="+", metadata={"help": "label token read as 'step is right'"})
    bad_token: str = field(default="-", metadata={"help": "label token read as 'step is wrong'"})

    def __post_init__(self) -> None:
        if self.mode not in ("prm", "orm"):
            raise ValueError(f"mode must be prm or orm, not {self.mode!r}")
        super().__post_init__()


def load_trainable(settings: ModelArguments):
    """The model to train: `model_name_or_path` as it is, with a new LoRA adapter when `lora_rank` is set, or,
    when it is itself a LoRA adapter folder (a stage-1 run with LoRA), its base with that
    adapter made trainable again, so stage 2 starts from the stage-1 weights and ships one adapter."""
    from minos.core.models import base_of, resolve_model
    from transformers import AutoModelForCausalLM

    base = base_of(settings.model_name_or_path)
    if base is not None:
        from peft import PeftModel

        return PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), settings.model_name_or_path, is_trainable=True)
    model = AutoModelForCausalLM.from_pretrained(resolve_model(settings.model_name_or_path))
    if settings.train_layers is not None:
        return unfreeze_top(model, settings.train_layers)
    if not settings.lora_rank:
        return model
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=settings.lora_rank, lora_alpha=2 * settings.lora_rank, target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def unfreeze_top(model, layers: int):
    """Freeze every weight but the top `layers` transformer blocks and the final norm.

    The LM head stays frozen: it is tied to the input embeddings in most small models (Gemma), so training
    it would move every input token too. With layers=0 only the final norm's scale trains, and since the
    score is a difference of two head rows applied to the normed hidden state, that is exactly a linear
    head on frozen features (one weight per hidden unit): the backward pass stops at the last block.
    """
    body = model.get_decoder()
    blocks = list(body.layers)
    if layers > len(blocks):
        raise ValueError(f"train_layers={layers}, but the model has {len(blocks)} blocks")
    model.requires_grad_(False)
    for block in blocks[len(blocks) - layers :]:
        block.requires_grad_(True)
    body.norm.requires_grad_(True)
    return model


def saved_checkpoints(run_dir, *, complete: bool = False) -> list:
    """The `checkpoint-N` folders of a run, in step order; `complete`: only those whose trainer state was
    written (the Trainer writes it last, so a run killed while saving leaves a folder without it)."""
    import json
    from pathlib import Path

    def whole(folder: Path) -> bool:
        try:
            json.loads((folder / "trainer_state.json").read_text())
            return True
        except (OSError, ValueError):
            return False

    folders = [p for p in Path(run_dir).glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()]
    return [p for p in sorted(folders, key=lambda p: int(p.name.split("-", 1)[1])) if not complete or whole(p)]


def last_checkpoint(settings) -> str | None:
    """With `resume`, the newest complete checkpoint-N in output_dir, or None (a fresh start): resuming
    from a half-written one fails, so it is passed over for the one before."""
    if not settings.resume:
        return None
    found = saved_checkpoints(settings.output_dir, complete=True)
    return str(found[-1]) if found else None
