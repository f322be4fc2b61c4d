"""Options and helpers shared by the commands (no heavy imports here)."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

VerifierOpt = Annotated[
    str,
    typer.Option(
        "--verifier",
        "-v",
        help="default (the shipped PRM with the symbolic checker's verdicts, calibrated: scores are chances that a "
        "step is right; = hybrid:default, prm:default for the PRM alone), none, symbolic, prm:PATH, orm:PATH, hybrid:PATH (#math-shepherd / #qwen-prm / "
        "#rlhflow presets), http://HOST:PORT/v1#MODEL (vLLM pooling), or critic:http://HOST:PORT/v1#MODEL / "
        "critic:PATH (a chat model or local model that critiques the steps; --api-key, --critic-samples)",
    ),
]
CRITIC_SAMPLES_HELP = "critic: verifiers: critiques sampled per solution (a step scores the share that find no error up to it)"
ApiKeyOpt = Annotated[str | None, typer.Option("--api-key", help="API key of an http:// server, else $OPENAI_API_KEY")]
CriticSamplesOpt = Annotated[int, typer.Option("--critic-samples", help=CRITIC_SAMPLES_HELP)]

# What a solve is built from (spec strings -> objects), with defaults; the solver's own settings come from
# `SolverConfig`'s fields (help, type, default), so no command re-declares them.
COMPONENTS: dict[str, tuple[object, tuple[str, ...], str]] = {
    "generator": ("default", ("--generator", "-g"),
                  "default (offline Gemma 3 270M), hf:PATH, http://HOST:PORT/v1 (with --model) or vllm:MODEL"),
    "model": (None, ("--model", "-m"), "model name served at an http:// generator"),
    "endpoint": ("auto", ("--endpoint",),
                 "http:// generators: auto (completions, falling back to chat when the server has none), completions or chat"),
    "api_key": (None, ("--api-key",), "API key of an http:// generator or critic, else $OPENAI_API_KEY"),
    "verifier": ("default", ("--verifier", "-v"), VerifierOpt.__metadata__[0].help),
    "critic_samples": (8, ("--critic-samples",), CRITIC_SAMPLES_HELP),
    "template": ("fewshot", ("--template",), "prompt template: fewshot (base models) or chat:TOKENIZER_PATH"),
}
_OBJECTS = ("generator", "verifier", "template")  # SolverConfig fields that hold built objects, not settings


def _settings():
    """SolverConfig's plain settings: (name, type, default, help) each."""
    import dataclasses
    import typing

    from minos.solver.config import SolverConfig

    # the component protocols are imported by SolverConfig only for type checkers (they pull in sympy)
    hints = typing.get_type_hints(SolverConfig, localns={"Generator": object, "Verifier": object})
    return [(f.name, hints[f.name], f.default, f.metadata["help"]) for f in dataclasses.fields(SolverConfig) if f.name not in _OBJECTS]


GENERATOR_PARTS = ("generator", "model", "endpoint", "api_key", "template")  # what builds a generator


def _said(help: str, default) -> str:
    return help if default is None else f"{help} (default: {default})"


def _component_options(names) -> list:
    added = []
    for name in names:
        default, flags, help = COMPONENTS[name]
        kind = type(default) if default is not None else str
        added.append((name, kind | None, typer.Option(*flags, help=_said(help, default), show_default=False)))
    return added


def with_options(command, added: list):
    """`command` with `added` (name, type, typer.Option) as keyword-only options defaulting to None."""
    import inspect

    signature = inspect.signature(command, eval_str=True)  # the command's own options, annotations resolved
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[t, o]) for n, t, o in added]
    command.__signature__ = signature.replace(parameters=own + extra)
    return command


def generator_options(command):
    """Give a command the options that choose a generator (as `minos solve` has them), received in
    `**options` for `build_generator`."""
    return with_options(command, _component_options(GENERATOR_PARTS))


def solver_options(command):
    """Give a command one option per component and per `SolverConfig` setting, plus `--config RECIPE.yaml`.

    Every added option defaults to None ("not given"): a value comes from the command line, else the recipe,
    else the default shown in the help. The command receives them all in `**options` for `build_configs`.
    """
    from pathlib import Path

    added = _component_options(COMPONENTS)
    for name, kind, default, help in _settings():
        flags = ("--n", "-n") if name == "n" else (f"--{name.replace('_', '-')}",)
        if name == "strategy":
            help += "; batch: several, comma-separated"
        added.append((name, kind | None, typer.Option(*flags, help=_said(help, default), show_default=False)))
    added.append(("config", Path | None, typer.Option(
        "--config", help="a recipe: YAML of these options (recipes/solve/*.yaml); options given here win", show_default=False)))
    return with_options(command, added)


def resolve_options(options: dict) -> dict:
    """Defaults, then the recipe (`--config`), then what the command line gave: one value per option."""
    import os

    values = {name: default for name, (default, _, _) in COMPONENTS.items()}
    values |= {name: default for name, _, default, _ in _settings()}
    recipe = options.get("config")
    if recipe is not None:
        values |= read_recipe(recipe, set(values))
    values |= {k: v for k, v in options.items() if v is not None and k in values}
    if values["api_key"] is None:
        values["api_key"] = os.environ.get("OPENAI_API_KEY")
    return values


def read_recipe(path, known: set[str]) -> dict:
    """A YAML mapping of option: value; an unknown option or bad file is a one-line usage error."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        fail(f"{path}: cannot read the recipe ({str(exc).splitlines()[0]})", 2)
    if not isinstance(data, dict):
        fail(f"{path}: a recipe is a mapping of option: value", 2)
    unknown = sorted(k for k in data if k.replace("-", "_") not in known)
    if unknown:
        fail(f"{path}: unknown option {unknown[0]!r} (known: {', '.join(sorted(known))})", 2)
    values = {k.replace("-", "_"): v for k, v in data.items()}
    if isinstance(values.get("strategy"), list):
        values["strategy"] = ",".join(values["strategy"])
    return values


def fail(message: str, code: int = 1) -> NoReturn:
    """One-line error on stderr and a shell-friendly exit code (1 failure, 2 bad usage)."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _quiet_loading() -> None:
    """Weight-loading progress bars are noise on a terminal."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _conversion_notice(generator: str) -> None:
    """A one-time conversion of about a minute deserves a line, said only when it is about to happen."""
    if generator != "default":
        return
    from minos.core.models import cache_dir, converted_default

    if converted_default() is None:
        print(
            f"first run: converting the bundled Gemma 3 270M GGUF into {cache_dir() / 'models'} (about a minute, once)",
            file=sys.stderr,
        )


def build_verifier(spec: str, *, api_key: str | None = None, critic_samples: int = 8):
    """The verifier a --verifier SPEC names; a bad spec or a missing file is a one-line usage error."""
    from minos.verifier import load_verifier

    try:
        return load_verifier(spec, api_key=api_key, critic_samples=critic_samples)
    except (ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0], 2)


def build_configs(options: dict, *, several: bool = False, load: bool = True) -> dict:
    """One SolverConfig per strategy from the command's options (see `solver_options`), sharing one
    generator and one verifier (models load once). `load=False`: every check, but no model (generator and
    verifier None): the settings a Ray run's driver needs, whose workers load the models."""
    from dataclasses import replace

    from minos.solver import SolverConfig
    from minos.solver.strategies import STRATEGIES

    values = resolve_options(options)
    strategies = [s.strip() for s in str(values.pop("strategy")).split(",") if s.strip()]
    if not strategies:
        fail("--strategy names no strategy", 2)
    if len(strategies) > 1 and not several:
        fail(f"--strategy takes one strategy here, not {len(strategies)}", 2)
    for strategy in strategies:  # cheap checks before any model loads
        if strategy not in STRATEGIES:
            fail(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}", 2)
        if values["verifier"] == "none" and STRATEGIES[strategy].needs_verifier:
            fail(f"strategy {strategy!r} needs a verifier (--verifier symbolic, prm:PATH, ...)", 2)
    _check_endpoint(values)
    settings = {name: values[name] for name, _, _, _ in _settings() if name != "strategy"}
    try:
        first = SolverConfig(generator=None, strategy=strategies[0], **settings)  # settings checked before loading
    except ValueError as exc:
        fail(str(exc), 2)
    _check_specs(values)  # both specs checked before either model starts loading
    if not load:
        return {s: replace(first, strategy=s) for s in strategies}
    from concurrent.futures import ThreadPoolExecutor

    _quiet_loading()
    # the generator loads beside the verifier: llama.cpp's loader runs in C, without the GIL (a second or two)
    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(build_generator, values)
        verifier = None
        if values["verifier"] != "none":
            verifier = build_verifier(values["verifier"], api_key=values["api_key"], critic_samples=values["critic_samples"])
        generator, template = loading.result()
    first = replace(first, generator=generator, verifier=verifier, template=template)
    return {s: replace(first, strategy=s) for s in strategies}


def _check_specs(values: dict, *, verifier: bool = True) -> None:
    """The generator spec (and the verifier's), checked without loading anything: one-line usage errors."""
    from minos.generators import generator_loader
    from minos.verifier import verifier_loader

    try:
        generator_loader(values["generator"], **_generator_args(values))
        if verifier:
            verifier_loader(values["verifier"], api_key=values["api_key"], critic_samples=values["critic_samples"])
    except ValueError as exc:
        fail(str(exc).splitlines()[0], 2)


def _generator_args(values: dict) -> dict:
    http = values["generator"].startswith(("http://", "https://"))
    return {"model": values["model"], "api_key": values["api_key"], **({"endpoint": values["endpoint"]} if http else {})}


def _check_endpoint(values: dict) -> None:
    generator, endpoint = values["generator"], values["endpoint"]
    if endpoint not in ("auto", "completions", "chat"):
        fail(f"unknown --endpoint {endpoint!r}: use auto, completions or chat", 2)
    if not generator.startswith(("http://", "https://")) and endpoint != "auto":
        fail(f"--endpoint {endpoint} is for http:// generators, not {generator!r}", 2)


def check_generator(options: dict) -> dict:
    """The generator options `generator_options` added, with their defaults, checked without loading anything
    (one-line usage errors): what a Ray run's driver checks before its workers load the model."""
    values = {name: COMPONENTS[name][0] for name in GENERATOR_PARTS} | {k: v for k, v in options.items() if v is not None}
    _check_endpoint(values)
    _check_specs(values, verifier=False)
    return values


def build_generator(options: dict):
    """(generator, prompt template) from the options `generator_options` (or `solver_options`) added: the
    defaults, then what the command line gave (a missing key: `load_generator` reads $OPENAI_API_KEY)."""
    values = check_generator(options)
    _quiet_loading()
    try:
        from minos.generators import load_generator, template_for

        template = template_for(values["template"])
        _conversion_notice(values["generator"])
        gen = load_generator(values["generator"], **_generator_args(values))
    except (ValueError, OSError) as exc:
        fail(str(exc).splitlines()[0], 2)
    return gen, template


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
