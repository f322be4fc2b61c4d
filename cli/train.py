"""`minos train ...`: the two Math-Minos stages. Multi-GPU / multi-node through accelerate:

    accelerate launch --config_file training/configs/fsdp.yaml -m minos.cli.main train sft DATA -o OUT ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import fail, with_options

app = typer.Typer(no_args_is_help=True)

DataArg = Annotated[
    list[Path], typer.Argument(help="step-labelled files (minos rows, ProcessBench, Math-Shepherd, stepwise)")
]
OutputOpt = Annotated[Path | None, typer.Option("--output-dir", "-o", help="checkpoints and the final model")]

# The options both stages take, each named after its stage-config field (the same key in a --config YAML);
# any other field (warmup_ratio, lr_scheduler_type, report_to, deepspeed, ...) comes through --config.
# field: (type, flags, help)
STAGE_OPTIONS: dict[str, tuple[type, tuple[str, ...], str]] = {
    "model_name_or_path": (str, ("--model", "-m"), "causal LM (or stage-1 LoRA folder) to start from"),
    "output_dir": (Path, ("--output-dir", "-o"), "checkpoints and the final model"),
    "num_train_epochs": (float, ("--num-train-epochs",), "passes over the data (Math-Minos: 3 in stage 1, 1 in stage 2)"),
    "learning_rate": (float, ("--learning-rate",), "peak learning rate (Math-Minos stage 1: 5e-6)"),
    "per_device_train_batch_size": (int, ("--per-device-train-batch-size",), "per-device batch size (default 4)"),
    "gradient_accumulation_steps": (int, ("--gradient-accumulation-steps",), "global batch = batch x devices x this"),
    "max_length": (int, ("--max-length",), "tokens per example (Math-Minos: 1024 in stage 1, 512 in stage 2)"),
    "lora_rank": (int, ("--lora-rank",), "LoRA rank on every linear layer (0 trains every weight)"),
    "train_layers": (int, ("--train-layers",), "partial unfreezing: train only the top N blocks and the final norm "
                     "(0: a linear head on frozen features)"),
    "save_steps": (int, ("--save-steps",), "checkpoint (and evaluate) every N optimizer steps (default 500)"),
    "seed": (int, ("--seed",), "data order and initialisation"),
    "bf16": (bool, ("--bf16/--no-bf16",), "bfloat16 mixed precision (GPUs; CPUs with AVX-512 BF16 too, with use_cpu)"),
    "resume": (bool, ("--resume/--no-resume",), "go on from the last complete checkpoint-N in the output folder"),
}
REWARD_OPTIONS: dict[str, tuple[type, tuple[str, ...], str]] = {
    "eval_fraction": (float, ("--eval-fraction",), "held-out share for step F1 / outcome accuracy (default 0.1)"),
    "step_tag": (str, ("--step-tag",), "the tag after each step (must stay one token; default ' ки')"),
    "good_token": (str, ("--good-token",), "label token read as 'step is right' (default +)"),
    "bad_token": (str, ("--bad-token",), "label token read as 'step is wrong' (default -)"),
}
# what the command line refuses at once, before any model loads
BOUNDS = {
    "per_device_train_batch_size": {"min": 1}, "gradient_accumulation_steps": {"min": 1}, "save_steps": {"min": 1},
    "lora_rank": {"min": 0}, "train_layers": {"min": 0}, "eval_fraction": {"min": 0.0, "max": 0.5},
}
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="YAML of any stage-config field (every TrainingArguments one too: warmup_ratio, "
    "lr_scheduler_type, report_to, gradient_checkpointing, deepspeed, ...); options given here win")]
LimitOpt = Annotated[int | None, typer.Option(help="use only the first N rows")]


def stage_options(*tables):
    """Give a command one option per field of `tables`, all defaulting to None ("not given"), received in
    `**fields` (the same mechanism as the solver's options: `minos.cli.common.with_options`)."""
    return lambda command: with_options(command, [
        (name, kind | None, typer.Option(*flags, help=help, show_default=False, **BOUNDS.get(name, {})))
        for table in tables for name, (kind, flags, help) in table.items()
    ])


def _stage_config(kind, fields: dict, recipe: Path | None, **fixed):
    """The stage config: its defaults, then the recipe, then the options given on the command line."""
    import dataclasses

    from minos.cli.common import read_recipe

    values = read_recipe(recipe, {f.name for f in dataclasses.fields(kind)}) if recipe else {}
    values |= {k: str(v) if isinstance(v, Path) else v for k, v in fields.items() if v is not None}
    values |= fixed
    if not values.get("output_dir"):
        fail("--output-dir (or output_dir in --config) is required", 2)
    try:
        return kind(**values)
    except (TypeError, ValueError) as exc:
        fail(str(exc).splitlines()[0], 2)


def _rows(files: list[Path], limit: int | None):
    from minos.core.data import DataError, load_labelled

    rows, errors = [], []
    try:
        for file in files:
            rows += load_labelled(file, on_error="skip", errors=errors)
    except DataError as exc:
        fail(str(exc), 2)
    for error in errors[:20]:
        print(f"skipped {error}")
    if len(errors) > 20:
        print(f"... and {len(errors) - 20} more malformed rows skipped")
    if not rows:
        fail("no usable rows in " + ", ".join(map(str, files)), 2)
    return rows[:limit] if limit else rows


@app.command()
@stage_options(STAGE_OPTIONS)
def sft(data: DataArg, config: ConfigOpt = None, limit: LimitOpt = None, **fields) -> None:
    """Stage 1: supervised fine-tuning on step-by-step critiques (loss on the critique only)."""
    from minos.training.sft import CritiqueSFTConfig, train_sft

    stage = _stage_config(CritiqueSFTConfig, fields, config)
    try:
        trainer = train_sft(_rows(data, limit), stage)
    except ValueError as exc:
        fail(str(exc).splitlines()[0], 2)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    if losses and trainer.is_world_process_zero():
        print(f"stage 1 done: loss {losses[0]:.4f} -> {losses[-1]:.4f} over {len(losses)} steps -> {stage.output_dir}")


# One body, two commands: the command name is the mode.
@app.command("orm", help="Stage 2, ORM: the tag loss at the final tag only, on whether the final answer is right.")
@app.command("prm", help="Stage 2, PRM: loss at every step tag over the good/bad label tokens (soft labels allowed).")
@stage_options(STAGE_OPTIONS, REWARD_OPTIONS)
def reward(ctx: typer.Context, data: DataArg, config: ConfigOpt = None, limit: LimitOpt = None, **fields) -> None:
    from minos.training.reward import RewardConfig, train_reward

    mode = ctx.info_name
    stage = _stage_config(RewardConfig, fields, config, mode=mode)
    try:
        trainer, metrics = train_reward(_rows(data, limit), stage)
    except ValueError as exc:
        fail(str(exc).splitlines()[0], 2)
    if not trainer.is_world_process_zero():  # under `accelerate launch`, one report
        return
    figures = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
    print(f"stage 2 ({mode}) done: held-out {figures} -> {stage.output_dir}")
    print(f"load it with --verifier {mode}:{stage.output_dir}")
    serve_command(Path(stage.output_dir))


@app.command("serve-command")
def serve_command(
    checkpoint: Annotated[Path, typer.Argument(help="a verifier checkpoint folder")],
    preset: Annotated[str | None, typer.Option(help="scheme preset when the folder has no minos_verifier.json")] = None,
) -> None:
    """Print the `vllm serve` command (STEP pooling, token ids from the tokenizer) that serves a PRM."""
    from minos.core.models import base_of
    from minos.verifier.scheme import PRESETS, StepTagScheme
    from transformers import AutoTokenizer

    if base_of(checkpoint) is not None:
        print(f"{checkpoint} is a LoRA adapter: `minos train merge {checkpoint} -o MERGED`, then `minos train serve-command MERGED`")
        return
    try:
        scheme = PRESETS[preset] if preset else (StepTagScheme.load(checkpoint) or PRESETS["minos"])
        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        print(scheme.vllm_serve_command(checkpoint, tokenizer))
    except (KeyError, OSError, ValueError) as exc:
        fail(f"{checkpoint}: {str(exc).splitlines()[0]}", 2)


@app.command()
def merge(
    adapter: Annotated[Path, typer.Argument(help="a LoRA verifier folder (adapter_config.json)")],
    output_dir: OutputOpt,
) -> None:
    """Merge a LoRA verifier into its base: one plain checkpoint (with minos_verifier.json and the
    tokenizer) that `prm:DIR` and `vllm serve --runner pooling` load."""
    from minos.core.models import base_of, load_tokenizer
    from minos.verifier.scheme import StepTagScheme
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = base_of(adapter)
    if base is None:
        fail(f"{adapter}: no adapter_config.json, nothing to merge", 2)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(adapter)).merge_and_unload()
    model.save_pretrained(output_dir)
    load_tokenizer(adapter).save_pretrained(output_dir)
    (StepTagScheme.load(adapter) or StepTagScheme()).save(output_dir)
    print(f"merged {adapter} into {base} -> {output_dir}")
