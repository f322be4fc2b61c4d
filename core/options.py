"""Options declared once: a settings dataclass's fields carry their help text, command-line flags and bounds
in their metadata, and everything that offers them (the command line, recipes, the checks) reads them there.

    metadata={"help": "...", "flags": ("--n", "-n"), "min": 1, "max": 0.5}

`flags` is optional (default `--field-name`, `--name/--no-name` for a bool); `min` / `max` are checked by
`check_bounds` and offered to the command line as its own bounds. Light imports only: the command line reads
these at `minos --help`.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Option", "check_bounds", "check_types", "declared", "read_recipe"]


@dataclass(frozen=True)
class Option:
    """One option as a settings field declares it."""

    name: str
    kind: object  # the field's type, e.g. int, str | None
    default: object
    help: str
    flags: tuple[str, ...]
    bounds: tuple[tuple[str, object], ...] = ()  # ("min", 1), ("max", 0.5)


def declared(kind: type, *, skip: Iterable[str] = ()) -> tuple[Option, ...]:
    """The options a settings dataclass declares, in field order, but those named in `skip`."""
    skip = set(skip)
    scope = vars(sys.modules[kind.__module__])
    found = []
    for f in dataclasses.fields(kind):
        if f.name in skip or "help" not in f.metadata:
            continue
        hint = eval(f.type, scope) if isinstance(f.type, str) else f.type  # noqa: S307 - the class's own annotation
        dashed = f.name.replace("_", "-")
        flags = f.metadata.get("flags") or ((f"--{dashed}/--no-{dashed}",) if hint is bool else (f"--{dashed}",))
        default = f.default if f.default is not dataclasses.MISSING else None
        bounds = tuple((b, f.metadata[b]) for b in ("min", "max") if b in f.metadata)
        found.append(Option(f.name, hint, default, f.metadata["help"], tuple(flags), bounds))
    return tuple(found)


def check_bounds(kind: type, values: Mapping[str, object]) -> None:
    """A ValueError naming the first field of `kind` whose value in `values` breaks its declared bounds
    (None: unset, never out of bounds)."""
    for f in dataclasses.fields(kind):
        value = values.get(f.name)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if "min" in f.metadata and value < f.metadata["min"]:
            raise ValueError(f"{f.name} must be at least {f.metadata['min']}, not {value}")
        if "max" in f.metadata and value > f.metadata["max"]:
            raise ValueError(f"{f.name} must be at most {f.metadata['max']}, not {value}")


def check_types(kind: type, values: Mapping[str, object]) -> None:
    """A ValueError naming the first plain setting (int, float, str, bool, or one of them or None) whose value
    is of another type: what a YAML recipe gets wrong (`n: four`) is said before anything runs."""
    scope = vars(sys.modules[kind.__module__])
    for f in dataclasses.fields(kind):
        if f.name not in values:
            continue
        hint = eval(f.type, scope) if isinstance(f.type, str) else f.type  # noqa: S307 - the class's own annotation
        allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if not all(a in (int, float, str, bool, type(None)) for a in allowed):
            continue  # an object field: its own class checks it
        value = values[f.name]
        fits = any(
            value is None if a is type(None)
            else isinstance(value, bool) if a is bool
            else isinstance(value, int | float) and not isinstance(value, bool) if a is float
            else isinstance(value, a) and not isinstance(value, bool)
            for a in allowed
        )
        if not fits:
            wanted = " or ".join("None" if a is type(None) else a.__name__ for a in allowed)
            raise ValueError(f"{f.name} must be {wanted}, not {type(value).__name__} ({value!r})")


def read_recipe(path: str | Path, known: Iterable[str]) -> dict[str, object]:
    """A recipe: a YAML mapping of option: value (dashes or underscores), checked against the `known` names;
    an unreadable file or an unknown option is a one-line ValueError naming the file."""
    import yaml

    path, known = Path(path), set(known)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the recipe ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a recipe is a mapping of option: value")
    unknown = sorted(str(k) for k in data if str(k).replace("-", "_") not in known)
    if unknown:
        raise ValueError(f"{path}: unknown option {unknown[0]!r} (known: {', '.join(sorted(known))})")
    return {str(k).replace("-", "_"): v for k, v in data.items()}
