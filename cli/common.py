"""Options and helpers shared by the commands (no heavy imports here)."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup


def typer_options(declared) -> list:
    """(name, type, typer.Option) for each option the library declares (`minos.core.options.Option`): its flags
    and help, its default said in the help. Each defaults to None ("not given"), so the library's resolution
    (defaults, then a recipe, then the command line) stays the library's."""
    added = []
    for option in declared:
        help = option.help if option.default in (None, "") else f"{option.help} (default: {option.default})"
        added.append((option.name, option.kind | None, typer.Option(*option.flags, help=help, show_default=False)))
    return added


def with_options(command, added: list):
    """`command` with `added` (name, type, typer.Option) as keyword-only options defaulting to None."""
    import inspect

    signature = inspect.signature(command, eval_str=True)  # the command's own options, annotations resolved
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[t, o]) for n, t, o in added]
    command.__signature__ = signature.replace(parameters=own + extra)
    return command


def declared_options(*names: str):
    """Give a command the options of a solve that `names` picks (as `minos solve` has them, declared by
    `minos.solver.assemble`), received in `**options`."""
    from minos.solver.assemble import options

    return lambda command: with_options(command, typer_options(options(names)))


GENERATOR_SPECS = ("generator", "model", "endpoint", "api_key", "template")  # what `build_generator` reads
generator_options = declared_options(*GENERATOR_SPECS)
verifier_options = declared_options("verifier", "api_key", "critic_samples")  # what `build_verifier` reads


def solver_options(command):
    """Give a command one option per spec and per `SolverConfig` setting (as `minos.solver.assemble` declares
    them), plus `--config RECIPE.yaml`; the command receives them all in `**options` for `configs_from`."""
    import dataclasses
    from pathlib import Path

    from minos.solver.assemble import options

    declared = [dataclasses.replace(o, help=f"{o.help}; batch: several, comma-separated") if o.name == "strategy" else o
                for o in options()]
    added = typer_options(declared)
    added.append(("config", Path | None, typer.Option(
        "--config", help="a recipe: YAML of these options (recipes/solve/*.yaml); options given here win", show_default=False)))
    return with_options(command, added)


def usage_error(exc: Exception, declared=None) -> NoReturn:
    """A library's one-line ValueError as a usage error (exit 2), the option it opens with (one of `declared`,
    else a solve's) named by its flag."""
    from minos.solver.assemble import options

    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for option in options() if declared is None else declared:
        if message.startswith(f"{option.name} "):
            message = option.flags[0].split("/")[0] + message[len(option.name):]
            break
    fail(message, 2)


def configs_from(options: dict, *, several: bool = False, load: bool = True) -> dict:
    """{strategy: SolverConfig} from the options `solver_options` added (`minos.solver.build_configs`: every
    check before anything loads; `load=False`: the checks only); a mistake is a usage error."""
    from minos.solver.assemble import build, build_configs

    recipe = options.pop("config", None)
    _quiet_loading()
    try:
        if several or not load:
            return build_configs(options, recipe=recipe, load=load)
        config = build(options, recipe=recipe)
    except ValueError as exc:
        usage_error(exc)
    return {config.strategy: config}


def generator_from(options: dict, *, load: bool = True):
    """(generator, prompt template) from the options `generator_options` added; a mistake is a usage error."""
    from minos.solver.assemble import build_generator

    _quiet_loading()
    try:
        return build_generator(options, load=load)
    except ValueError as exc:
        usage_error(exc)


def verifier_from(options: dict):
    """The verifier the options `verifier_options` added name (`none`: every step scores 1); a mistake is a
    usage error."""
    from minos.solver.assemble import build_verifier

    _quiet_loading()
    try:
        return build_verifier(options)
    except ValueError as exc:
        usage_error(exc)


def fail(message: str, code: int = 1) -> NoReturn:
    """One-line error on stderr and a shell-friendly exit code (1 failure, 2 bad usage)."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _quiet_loading() -> None:
    """Weight-loading progress bars are noise on a terminal. Said through the environment, so nothing heavy is
    imported to say it (a solve with a served model and the symbolic checker never imports transformers)."""
    import os

    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


RAY_OPTIONS = ("ray", "ray_workers", "ray_gpus_per_worker", "ray_cpus_per_worker")


def ray_options(command):
    """Give a command `--ray [ADDRESS]` and the width of the run on Ray (`RayOptions`' fields), received in
    `**options` for `ray_settings`."""
    import dataclasses
    import typing

    from minos.core.cluster import RayOptions

    hints = typing.get_type_hints(RayOptions)
    added = []
    for f, name in zip(dataclasses.fields(RayOptions), RAY_OPTIONS, strict=True):
        flag = "--" + name.replace("_", "-")
        help = f.metadata["help"] + ("" if f.name == "address" else f" (default: {f.default})")
        if f.name == "address":
            help = "run on Ray (the ray extra): " + help + "; --ray alone: local"
        added.append((name, hints[f.name] | None, typer.Option(flag, help=help, show_default=False, rich_help_panel="Ray")))
    return with_options(command, added)


def ray_settings(options: dict):
    """The `RayOptions` of a command's `--ray...` options (taken out of `options`), or None without --ray."""
    from minos.core.cluster import ClusterError, RayOptions, require_ray

    given = {name: options.pop(name, None) for name in RAY_OPTIONS}
    if given["ray"] is None:
        extra = next((n for n in RAY_OPTIONS[1:] if given[n] is not None), None)
        if extra is not None:
            fail(f"--{extra.replace('_', '-')} goes with --ray", 2)
        return None
    if given["ray"] not in ("", "local", "auto") and ":" not in given["ray"]:
        fail(f"--ray {given['ray']!r}: an address is auto, local, ray://HOST:10001 or HOST:PORT", 2)
    fields = {"address": given["ray"]} | {n[len("ray_"):]: v for n, v in given.items() if n != "ray" and v is not None}
    try:
        cluster = RayOptions(**fields)
    except ValueError as exc:
        fail(f"--ray-{str(exc).replace('_', '-')}", 2)
    try:
        require_ray()  # before any output is touched or model checked
    except ClusterError as exc:
        fail(str(exc))
    return cluster


class BareRay(TyperGroup):
    """Commands with `--ray`: alone (last, or before another option) it means a local Ray; Typer's parser
    has no option whose value may be left out, so the value is put in before parsing."""

    def parse_args(self, ctx, args):
        bare = [i for i, arg in enumerate(args) if arg == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-"))]
        for i in reversed(bare):
            args = [*args[: i + 1], "local", *args[i + 1:]]
        return super().parse_args(ctx, args)
