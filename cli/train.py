"""`minos train ...`: the two Math-Minos stages. Multi-GPU / multi-node through accelerate:

    accelerate launch --config_file training/configs/fsdp.yaml -m minos.cli.main train sft DATA -o OUT ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from minos.cli.common import fail, typer_options, usage_error, with_options

app = typer.Typer(no_args_is_help=True)

DataArg = Annotated[
    list[Path], typer.Argument(help="step-labelled files (minos rows, ProcessBench, Math-Shepherd, stepwise)")
]
OutputOpt = Annotated[Path | None, typer.Option("--output-dir", "-o", help="checkpoints and the final model")]

ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="YAML of any stage-config field (every TrainingArguments one too: warmup_ratio, "
    "lr_scheduler_type, report_to, gradient_checkpointing, deepspeed, ...); options given here win")]
LimitOpt = Annotated[int | None, typer.Option(help="use only the first N rows")]


def _arguments(stage: str):
    """The light dataclass that declares a stage's options (`minos.training.settings`: help, defaults and
    bounds there), read at `minos --help` without importing the Trainer."""
    from minos.training.settings import RewardArguments, SFTArguments

    return {"sft": SFTArguments, "reward": RewardArguments}[stage]


def stage_options(stage: str):
    """Give a command one option per field its stage declares (the mode is the command's name, not an option),
    all defaulting to None ("not given"), received in `**fields`; any other field (warmup_ratio,
    lr_scheduler_type, report_to, deepspeed, ...) comes through --config."""
    from minos.core.options import declared

    return lambda command: with_options(command, typer_options(declared(_arguments(stage), skip=("mode",))))


def _stage_config(stage: str, fields: dict, recipe: Path | None, **fixed):
    """The stage config: its defaults, then the recipe, then the options given on the command line; the
    declared bounds are checked before the Trainer is imported."""
    import dataclasses

    from minos.core.options import check_bounds, declared, read_recipe

    arguments = _arguments(stage)
    values = {k: str(v) if isinstance(v, Path) else v for k, v in fields.items() if v is not None}
    try:
        check_bounds(arguments, values)
    except ValueError as exc:
        usage_error(exc, declared(arguments))
    if stage == "sft":
        from minos.training.sft import CritiqueSFTConfig as kind
    else:
        from minos.training.reward import RewardConfig as kind
    try:
        values = (read_recipe(recipe, {f.name for f in dataclasses.fields(kind)}) if recipe else {}) | values | fixed
    except ValueError as exc:
        usage_error(exc)
    if not values.get("output_dir"):
        fail("--output-dir (or output_dir in --config) is required", 2)
    try:
        return kind(**values)
    except (TypeError, ValueError) as exc:
        usage_error(exc, declared(arguments))


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
@stage_options("sft")
def sft(data: DataArg, config: ConfigOpt = None, limit: LimitOpt = None, **fields) -> None:
    """Stage 1: supervised fine-tuning on step-by-step critiques (loss on the critique only)."""
    from minos.training.sft import train_sft

    stage = _stage_config("sft", fields, config)
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
@stage_options("reward")
def reward(ctx: typer.Context, data: DataArg, config: ConfigOpt = None, limit: LimitOpt = None, **fields) -> None:
    from minos.training.reward import train_reward

    mode = ctx.info_name
    stage = _stage_config("reward", fields, config, mode=mode)
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
