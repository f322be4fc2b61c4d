"""One way to put a solve together: spec strings and settings in, ready `SolverConfig`s out.

    from minos.solver import build

    config = build(generator="http://localhost:8000/v1", model="MODEL", verifier="symbolic", n=8)

The command line (`minos solve`, `batch`, `serve`), the benchmarks and the recipes all come through here.
Every cheap check runs first (the option names, the settings, each strategy and whether it needs a verifier,
the generator's, verifier's and template's specs, the endpoint), so a mistake is a one-line ValueError naming
the option before any model loads; then the generator and the verifier load once, side by side, and each
config is built once. A generator, verifier or template object of one's own may stand in for its spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from minos.solver.config import PARTS, SETTINGS, SolverConfig, check_settings

if TYPE_CHECKING:
    from minos.core.options import Option
    from minos.generators.base import Generator
    from minos.verifier.base import Verifier

__all__ = ["Specs", "build", "build_configs", "build_generator", "build_verifier", "options", "resolve"]

VERIFIER_HELP = (
    "default (the shipped PRM with the symbolic checker's verdicts, calibrated: scores are chances that a step is "
    "right; = hybrid:default, prm:default for the PRM alone), none, symbolic, prm:PATH, orm:PATH, hybrid:PATH "
    "(#math-shepherd / #qwen-prm / #rlhflow presets), http://HOST:PORT/v1#MODEL (vLLM pooling), or "
    "critic:http://HOST:PORT/v1#MODEL / critic:PATH (a chat model or local model that critiques the steps; "
    "--api-key, --critic-samples)"
)


@dataclass(frozen=True)
class Specs:
    """What a solve is built from, as spec strings (or objects of one's own); `SolverConfig` holds the rest."""

    generator: str = field(default="default", metadata={
        "help": "default (offline Gemma 3 270M), hf:PATH, http://HOST:PORT/v1 (with --model) or vllm:MODEL",
        "flags": ("--generator", "-g")})
    model: str | None = field(default=None, metadata={"help": "model name served at an http:// generator",
                                                      "flags": ("--model", "-m")})
    endpoint: str = field(default="auto", metadata={
        "help": "http:// generators: auto (completions, falling back to chat when the server has none), completions or chat"})
    api_key: str | None = field(default=None, metadata={
        "help": "API key of an http:// generator or critic, else $OPENAI_API_KEY"})
    verifier: str = field(default="default", metadata={"help": VERIFIER_HELP})
    critic_samples: int = field(default=8, metadata={
        "help": "critic: verifiers: critiques sampled per solution (a step scores the share that find no error up to it)",
        "min": 1})
    template: str = field(default="fewshot", metadata={
        "help": "prompt template: fewshot (base models) or chat:TOKENIZER_PATH"})


SPECS = tuple(f.name for f in fields(Specs))


def options(names: tuple[str, ...] | None = None) -> tuple[Option, ...]:
    """The options of a solve as declared (the specs, then SolverConfig's settings), or those `names` picks:
    the command line offers these and nothing else."""
    from minos.core.options import declared

    found = declared(Specs) + declared(SolverConfig, skip=PARTS)
    return found if names is None else tuple(o for o in found if o.name in names)


def resolve(given: Mapping[str, object] = {}, *, recipe: str | Path | None = None) -> dict[str, object]:
    """One value per option: the defaults, then the recipe (a YAML mapping of option: value), then `given`
    (None: not given). An unknown option is a ValueError."""
    from minos.core.options import read_recipe

    known = SPECS + SETTINGS
    values: dict[str, object] = {f.name: f.default for f in fields(Specs)}
    values |= {f.name: f.default for f in fields(SolverConfig) if f.name in SETTINGS}
    if recipe is not None:
        values |= read_recipe(recipe, known)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} (known: {', '.join(known)})")
    return values | {k: v for k, v in given.items() if v is not None}


def build(options: Mapping[str, object] = {}, /, *, recipe: str | Path | None = None, **given) -> SolverConfig:
    """The SolverConfig of one solve from `options` and keyword options (see `resolve`); `strategy` names one."""
    values = resolve({**options, **given}, recipe=recipe)
    strategies = _strategies(values["strategy"])
    if len(strategies) > 1:
        raise ValueError(f"strategy: one here, not {len(strategies)} ({', '.join(strategies)}); build_configs builds several")
    (config,) = build_configs(values).values()
    return config


def build_configs(options: Mapping[str, object] = {}, *, recipe: str | Path | None = None,
                  load: bool = True) -> dict[str, SolverConfig]:
    """{strategy: SolverConfig}, one per strategy `strategy` names (a list, or comma-separated), all sharing one
    generator and one verifier: a batch's several strategies load the models once. `load=False`: every check,
    no model loaded (generator and verifier None): the settings a Ray run's driver plans with, while each
    worker builds its own from the same options."""
    values = resolve(options, recipe=recipe)
    strategies = _strategies(values["strategy"])
    specs = _specs(values)
    settings = {name: values[name] for name in SETTINGS if name != "strategy"}
    check_settings(settings)
    from minos.solver.strategies import STRATEGIES

    for strategy in strategies:
        check_settings({"strategy": strategy})
        if _no_verifier(specs.verifier) and STRATEGIES[strategy].needs_verifier:
            raise ValueError(f"strategy {strategy!r} needs a verifier (verifier: symbolic, prm:PATH, ...)")
    verifier_loader = _verifier_loader(specs)  # every spec checked before either model starts loading
    _generator_loader(specs)
    template = _template(specs.template)
    if not load:
        return {s: SolverConfig(generator=None, template=template, strategy=s, **settings) for s in strategies}
    from concurrent.futures import ThreadPoolExecutor

    # the generator loads beside the verifier: llama.cpp's loader runs in C, without the GIL (a second or two)
    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(_load_generator, specs)
        verifier = _loaded(verifier_loader) if verifier_loader is not None else None
        generator = loading.result()
    return {s: SolverConfig(generator=generator, verifier=verifier, template=template, strategy=s, **settings) for s in strategies}


def build_generator(options: Mapping[str, object] = {}, /, *, recipe: str | Path | None = None, load: bool = True,
                    **given):
    """(generator, prompt template) from the generator's options (the other specs are not read; settings given
    are checked), checked before it loads: what writes text outside a solve (`minos data sample`, `rollout`).
    `load=False`: the checks only (generator None), as a Ray run's driver makes them."""
    values = resolve({**options, **given}, recipe=recipe)
    specs = _specs(values)
    check_settings({name: values[name] for name in SETTINGS})
    _generator_loader(specs)
    template = _template(specs.template)
    return (_load_generator(specs) if load else None), template


def build_verifier(options: Mapping[str, object] = {}, /, *, recipe: str | Path | None = None, **given) -> Verifier:
    """The verifier from the verifier's options (`verifier`, `api_key`, `critic_samples`), checked before it
    loads (`none`: every step scores 1): what scores outside a solve (`minos eval`)."""
    values = resolve({**options, **given}, recipe=recipe)
    load = _verifier_loader(_specs(values))
    if load is None:
        from minos.verifier.base import NullVerifier as load
    return _loaded(load)


def _specs(values: Mapping[str, object]) -> Specs:
    """The specs of `values`, their plain ones checked (the others may be objects of one's own)."""
    from minos.core.options import check_bounds, check_types

    plain = {name: values[name] for name in ("model", "endpoint", "api_key", "critic_samples")}
    check_types(Specs, plain)
    check_bounds(Specs, plain)
    return Specs(**{name: values[name] for name in SPECS})


def _strategies(value: object) -> list[str]:
    names = value if isinstance(value, list | tuple) else str(value).split(",")
    strategies = [str(s).strip() for s in names if str(s).strip()]
    if not strategies:
        raise ValueError("strategy names no strategy")
    return strategies


def _no_verifier(spec: object) -> bool:
    return spec is None or spec in ("none", "")


def _generator_args(specs: Specs) -> dict:
    return {"model": specs.model, "api_key": specs.api_key, "endpoint": specs.endpoint}


def _generator_loader(specs: Specs) -> None:
    """The generator's spec checked (and the endpoint with it), nothing loaded."""
    if isinstance(specs.generator, str):
        from minos.generators import generator_loader

        _one_line(generator_loader, specs.generator, **_generator_args(specs))
    elif specs.model is not None or specs.endpoint != "auto":
        raise ValueError("model and endpoint choose an http:// generator's model and route, not an object's")


def _load_generator(specs: Specs) -> Generator:
    if not isinstance(specs.generator, str):
        return specs.generator
    import minos.generators as generators  # looked up at call time: tests stand a generator of their own in

    return _loaded(lambda: generators.load_generator(specs.generator, **_generator_args(specs)))


def _verifier_loader(specs: Specs):
    """What loads the verifier (None: no verifier), its spec checked."""
    if _no_verifier(specs.verifier):
        return None
    if not isinstance(specs.verifier, str):
        return lambda: specs.verifier
    from minos.verifier import verifier_loader

    return _one_line(verifier_loader, specs.verifier, api_key=specs.api_key, critic_samples=specs.critic_samples)


def _template(spec: object):
    if not isinstance(spec, str):
        return spec
    from minos.generators import template_for

    return _one_line(template_for, spec)  # a chat template reads its tokenizer on first use, not here


def _one_line(check, *args, **kwargs):
    try:
        return check(*args, **kwargs)
    except ValueError as exc:
        raise ValueError(str(exc).splitlines()[0]) from exc


def _loaded(load) -> Verifier | Generator:
    """What `load` builds; a missing file or a bad checkpoint is a one-line ValueError."""
    try:
        return load()
    except (ValueError, OSError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
