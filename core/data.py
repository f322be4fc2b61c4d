"""Dataset I/O: problems and step-labelled solutions from the formats the field uses.

Problems: GSM8K, MATH, MATH-500 and generic JSONL / JSON / CSV / Parquet (with column mapping).
Step-labelled: ProcessBench, Math-Shepherd, the stepwise `{prompt, completions, labels}` format and our
own `LabelledSolution` rows.

A malformed row raises `DataError` naming the file and line (or item); with `on_error="skip"` it is
reported into the `errors` list instead and every other row is still read.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from minos.core.answers import extract_answer
from minos.core.types import LabelledSolution, Problem

OnError = Literal["raise", "skip"]
SHEPHERD_TAG = "ки"


# a math problem is never a megabyte: a longer line is a broken file, reported rather than loaded or cut
MAX_LINE_BYTES = 1_000_000


class DataError(ValueError):
    """A row that cannot be read; the message starts with `file:line:`."""

    def __init__(self, path: str | Path, where: int | str, message: str) -> None:
        self.path, self.where, self.reason = str(path), where, message
        super().__init__(f"{path}:{where}: {message}" if where else f"{path}: {message}")  # 0: the whole file


# ------------------------------------------------------------------------------------------ raw rows


def _rows(path: Path, errors: list[DataError] | None, on_error: OnError) -> Iterator[tuple[int | str, Any]]:
    """(location, row) pairs; a JSONL line that is not JSON is an error at that line."""
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    if suffix in (".jsonl", ".ndjson"):
        # bytes, decoded line by line: a binary or non-UTF-8 line is one bad row, not a traceback
        with path.open("rb") as handle:
            offset = 0
            for number, raw in enumerate(handle, 1):
                start, offset = offset, offset + len(raw)
                if len(raw) > MAX_LINE_BYTES:
                    _fail(DataError(path, number, f"line of {len(raw):,} bytes is over the {MAX_LINE_BYTES:,}-byte limit"), errors, on_error)
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    _fail(DataError(path, number, f"not UTF-8 text (byte offset {start + exc.start})"), errors, on_error)
                    continue
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    _fail(DataError(path, number, f"not valid JSON ({exc.msg})"), errors, on_error)
    elif suffix == ".json":
        try:
            data = json.loads(_utf8(path))
        except json.JSONDecodeError as exc:
            raise DataError(path, exc.lineno, f"not valid JSON ({exc.msg})") from None
        if isinstance(data, dict):  # {"data": [...]} or {"rows": [...]} wrappers
            data = next((v for v in data.values() if isinstance(v, list)), [data])
        for index, row in enumerate(data):
            yield f"item {index}", row
    elif suffix in (".csv", ".tsv"):
        with io.StringIO(_utf8(path), newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            for row in reader:
                yield reader.line_num, row
    elif suffix == ".parquet":
        import pyarrow.parquet as pq  # optional: `pip install minos[data]`

        index = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):  # streamed, like JSONL
            for row in batch.to_pylist():
                yield f"row {index}", row
                index += 1
    else:
        raise DataError(path, 0, f"unknown file type {suffix!r} (use .jsonl, .json, .csv, .tsv or .parquet)")


def _utf8(path: Path) -> str:
    """A whole file as text; a non-UTF-8 file is a DataError naming the byte offset."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(path, f"byte {exc.start}", "not UTF-8 text") from None


def _fail(error: DataError, errors: list[DataError] | None, on_error: OnError) -> None:
    if on_error == "raise":
        raise error
    if errors is not None:
        errors.append(error)


def _iter(
    path: str | Path,
    convert: Callable[[Any, int | str], Any],
    on_error: OnError,
    errors: list[DataError] | None,
) -> Iterator[Any]:
    path = Path(path)
    if not path.exists():  # checked now, not at the first row, so a wrong path fails before any work starts
        raise DataError(path, 0, "no such file")
    return _converted(path, convert, on_error, errors)


def _converted(path: Path, convert: Callable[[Any, int | str], Any], on_error: OnError, errors: list[DataError] | None) -> Iterator[Any]:
    for where, row in _rows(path, errors, on_error):
        try:
            if not isinstance(row, dict):
                raise ValueError(f"expected an object, got {type(row).__name__}")
            converted = convert(row, where)
        except (KeyError, ValueError, TypeError) as exc:
            reason = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            _fail(DataError(path, where, reason), errors, on_error)
            continue
        yield from converted


# ------------------------------------------------------------------------------------------ problems


def _text(row: dict, field: str) -> str:
    value = row[field]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"field {field!r} is empty")
    return str(value)


def load_problems(path: str | Path, **options) -> list[Problem]:
    """All problems of a file as a list; the options are `iter_problems`'s."""
    return list(iter_problems(path, **options))


def iter_problems(
    path: str | Path,
    *,
    question_field: str | None = None,
    answer_field: str | None = None,
    id_field: str | None = None,
    on_error: OnError = "raise",
    errors: list[DataError] | None = None,
) -> Iterator[Problem]:
    """Read problems one at a time (JSONL and Parquet are streamed, never loaded whole) from GSM8K, MATH, MATH-500 or any JSONL / JSON / CSV / Parquet file.

    Without field names the schema is recognised from the keys: `question`/`answer` (GSM8K: the
    reference is what follows `####`), `problem`/`solution` (MATH: the last `\\boxed{}`), `problem`/
    `answer` (MATH-500). An answer field holding a whole solution is reduced to its final answer.
    """
    return _iter(path, _problem_reader(Path(path).stem, question_field, answer_field, id_field), on_error, errors)


def _problem_reader(stem: str, question_field: str | None, answer_field: str | None, id_field: str | None):
    """A row -> [Problem] converter; without field names the schema is recognised from the keys."""

    def convert(row: dict, where: int | str) -> list[Problem]:
        q_field = question_field or next((k for k in ("question", "problem", "prompt", "input") if k in row), None)
        if q_field is None:
            raise ValueError(f"no question field (keys: {', '.join(row)}); pass question_field")
        if answer_field is not None:
            a_fields = [answer_field]
        else:
            a_fields = [k for k in ("answer", "final_answer", "solution", "reference") if k in row]
        reference = None
        for a_field in a_fields:
            value = row.get(a_field)
            if value is None or str(value).strip() == "":
                continue
            value = str(value)
            reference = extract_answer(value) if ("####" in value or "\\boxed" in value) else value.strip()
            if reference is None:
                raise ValueError(f"field {a_field!r} states no final answer")
            break
        if answer_field is not None and answer_field not in row:
            raise KeyError(answer_field)
        i_field = id_field or next((k for k in ("id", "unique_id", "idx", "problem_id") if k in row), None)
        pid = str(row[i_field]) if i_field is not None else f"{stem}-{where}".replace(" ", "")
        return [Problem(id=pid, question=_text(row, q_field), reference=reference, source=stem)]

    return convert


def load_worked(
    path: str | Path, *, on_error: OnError = "raise", errors: list[DataError] | None = None
) -> list[tuple[Problem, str]]:
    """(problem, worked reference solution) pairs: GSM8K rows (`answer` is the worked solution ending in
    `#### N`) and MATH rows (`solution`, ending in a `\\boxed{}` answer), for error injection."""
    read = _problem_reader(Path(path).stem, None, None, None)

    def convert(row: dict, where: int | str) -> list[tuple[Problem, str]]:
        solution = row.get("solution") or row.get("answer")
        if not isinstance(solution, str) or extract_answer(solution) is None:
            raise ValueError("no worked solution ending in a final answer (`solution`, or `answer` with ####)")
        (problem,) = read(row, where)
        return [(problem, solution)]

    return list(_iter(path, convert, on_error, errors))


# ------------------------------------------------------------------------------- step-labelled files

LabelledFormat = Literal["processbench", "shepherd", "stepwise", "minos"]


def _processbench(row: dict, where: int | str, source: str) -> list[LabelledSolution]:
    steps = tuple(str(s) for s in row["steps"])
    label = int(row["label"])
    if not -1 <= label < len(steps):
        raise ValueError(f"label {label} is outside -1..{len(steps) - 1}")
    labels = tuple(1.0 if label == -1 or i < label else 0.0 for i in range(len(steps)))
    problem = Problem(id=str(row.get("id", where)), question=_text(row, "problem"), source=row.get("source") or source)
    meta = {"generator": row.get("generator"), "final_answer_correct": row.get("final_answer_correct")}
    # the annotator's explanation of the first wrong step (a critique of it) and its error type, where the
    # row has them (../shared/data/steps rows do); stage 1 turns them into a step-by-step critique
    meta |= {k: row[k] for k in ("reason", "error_type") if row.get(k) is not None}
    return [LabelledSolution(problem, steps, labels, answer=extract_answer(steps[-1]) if steps else None, meta=meta)]


def _shepherd(row: dict, where: int | str, source: str) -> list[LabelledSolution]:
    text, tagged = _text(row, "input"), _text(row, "label")
    pieces = text.split(SHEPHERD_TAG)
    if len(pieces) < 2:
        raise ValueError(f"no step tag {SHEPHERD_TAG!r} in field 'input'")
    # `label` is `input` with each tag replaced by one character (+ or -): the k-th tag, found at
    # offset p in `input`, has its label at p - k * (len(tag) - 1) in `label`.
    labels, offset = [], 0
    for k, piece in enumerate(pieces[:-1]):
        offset += len(piece)
        mark = tagged[offset - k * (len(SHEPHERD_TAG) - 1)] if offset - k < len(tagged) else "?"
        if mark not in "+-":
            raise ValueError(f"label of step {k + 1} is {mark!r}, expected '+' or '-'")
        labels.append(1.0 if mark == "+" else 0.0)
        offset += len(SHEPHERD_TAG)
    head, _, first = pieces[0].partition("Step 1:")
    if not first:
        raise ValueError("no 'Step 1:' in field 'input'")
    steps = tuple(s.strip() for s in ["Step 1:" + first, *pieces[1:-1]])
    problem = Problem(id=str(row.get("id", where)), question=head.strip(), source=row.get("task", source))
    return [LabelledSolution(problem, steps, tuple(labels), answer=extract_answer(steps[-1]))]


def _stepwise(row: dict, where: int | str, source: str) -> list[LabelledSolution]:
    steps = tuple(str(s) for s in row["completions"])
    raw = row["labels"]
    if len(raw) != len(steps):
        raise ValueError(f"{len(raw)} labels for {len(steps)} completions")
    labels = tuple(float(x) for x in raw)
    problem = Problem(id=str(row.get("id", where)), question=_text(row, "prompt"), source=source)
    return [LabelledSolution(problem, steps, labels, answer=extract_answer(steps[-1]) if steps else None)]


def _minos(row: dict, where: int | str, source: str) -> list[LabelledSolution]:
    solution = LabelledSolution.from_dict(row)
    if len(solution.labels) != len(solution.steps):
        raise ValueError(f"{len(solution.labels)} labels for {len(solution.steps)} steps")
    return [solution]


_LABELLED = {"processbench": _processbench, "shepherd": _shepherd, "stepwise": _stepwise, "minos": _minos}


def _sniff_labelled(row: dict) -> LabelledFormat:
    if "steps" in row and "label" in row and "problem" in row:
        return "processbench"
    if "input" in row and "label" in row:
        return "shepherd"
    if "completions" in row and "labels" in row:
        return "stepwise"
    if "steps" in row and "labels" in row:
        return "minos"
    raise ValueError(f"unknown step-labelled schema (keys: {', '.join(row)})")


def load_labelled(
    path: str | Path,
    *,
    format: LabelledFormat | None = None,
    on_error: OnError = "raise",
    errors: list[DataError] | None = None,
) -> list[LabelledSolution]:
    """Read step-labelled solutions (ProcessBench, Math-Shepherd, stepwise or Minos rows)."""
    source = Path(path).stem

    def convert(row: dict, where: int | str) -> list[LabelledSolution]:
        return _LABELLED[format or _sniff_labelled(row)](row, where, source)

    return list(_iter(path, convert, on_error, errors))


# ------------------------------------------------------------------------------------------- writing


def read_jsonl(path: str | Path) -> Iterator[dict]:
    """Rows of a JSONL file, skipping a torn last line (what a killed writer can leave)."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return  # the writer died mid-line: that row never completed
            if line.strip():
                yield json.loads(line)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict]) -> None:
    """Write rows to a temporary file and rename it over `path`: a crash never leaves half a file."""
    write_lines_atomic(path, ((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8") for row in rows))


def write_lines_atomic(path: str | Path, lines: Iterable[bytes]) -> None:
    """Stream encoded lines into a temporary file, then rename it over `path` (the rows need not fit in memory)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for line in lines:
                handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result should look like any file we write
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
