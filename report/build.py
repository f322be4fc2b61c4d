"""Build a report: the rows, what the page needs to list and filter them, and the HTML around them."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from minos.core.types import LabelledSolution, SolveResult

if TYPE_CHECKING:
    from minos.verifier.evaluate import NoErrorBias

# problems (or labelled solutions) per data block: the page decodes only the blocks of the page it shows,
# so opening a 10,000-problem report costs the index, not every candidate's steps
CHUNK = 50
# a block under this stays plain JSON (readable, nothing to decode); larger ones are gzipped and base64'd
PLAIN_LIMIT = 128 * 1024
# KaTeX's fonts inlined as data URIs (the ones ordinary formulas use); the rest fall back to system fonts
FONTS = ("Main-Regular", "Main-Bold", "Main-Italic", "Math-Italic", "AMS-Regular",
         "Size1-Regular", "Size2-Regular", "Size3-Regular", "Size4-Regular")


class ReportError(ValueError):
    """Input a report cannot be built from (a row that is not a `minos batch` row), named by file and line."""


# ------------------------------------------------------------------------------------------------ rows


def read_runs(paths: Iterable[str | Path]) -> list[tuple[str, dict]]:
    """(file label, row) for every row of `minos batch` outputs, each checked by `SolveResult.from_dict` and
    written back by `to_dict` (keys the type does not hold, such as `index`, `drawn_by`, kept as they are)."""
    from minos.core.data import read_jsonl

    out = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise ReportError(f"{path}: no such file")
        try:
            for number, row in enumerate(read_jsonl(path), 1):
                out.append((path.stem, checked_row(row, f"{path}:{number}")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ReportError(f"{path}: not JSONL ({exc})") from None
    return out


def checked_row(row: dict, where: str) -> dict:
    """A result row as `SolveResult` reads and writes it, plus the keys it does not hold."""
    if not isinstance(row, dict):
        raise ReportError(f"{where}: a row is a JSON object, not {type(row).__name__}")
    for key in ("problem", "strategy"):
        if key not in row:
            raise ReportError(f"{where}: no {key!r} field (not a `minos batch` row)")
    try:
        result = SolveResult.from_dict(row)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportError(f"{where}: not a `minos batch` row ({type(exc).__name__}: {exc})") from None
    return {**row, **result.to_dict()}


def _finite(values) -> list:
    """JSON has no NaN (a step the verifier could not score): null instead."""
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def _plain(row: dict) -> dict:
    candidates = [{**c, "step_scores": _finite(c.get("step_scores", ()))} for c in row.get("candidates") or ()]
    return {**row, "candidates": candidates}


# ----------------------------------------------------------------------------------------- run reports


def _labels(rows: list[tuple[str, dict]]) -> list[tuple[str, str, str]]:
    """(label, file, strategy) in first-seen order: the strategy's name, or FILE/STRATEGY when two files
    hold the same strategy."""
    pairs = list(dict.fromkeys((f, r["strategy"]) for f, r in rows))
    files_of: dict[str, set[str]] = {}
    for f, s in pairs:
        files_of.setdefault(s, set()).add(f)
    return [(s if len(files_of[s]) == 1 else f"{f}/{s}", f, s) for f, s in pairs]


def _draw_view(result: SolveResult, aggregation: str, threshold: float, no_error_bias: NoErrorBias) -> dict:
    """One set of candidates: each distinct answer (math-verify classes) with its votes, its verifier weight
    (summed candidate scores), its best candidate score and whether it is right; the majority's pick; and, for a
    verifier that names a likeliest first wrong step (a row's `no_error_bias`), that step of each candidate, as
    `minos solve` shows it."""
    from minos.core.answers import answer_classes, answers_equal
    from minos.core.votes import candidate_score, majority_vote
    from minos.verifier.evaluate import bias_for, predict_first_error

    candidates = result.candidates
    classes = answer_classes([c.answer for c in candidates])
    answers: list[dict] = []
    for c, cls in zip(candidates, classes, strict=True):
        if cls < 0:
            continue
        while len(answers) <= cls:
            answers.append({"answer": None, "votes": 0, "weight": 0.0, "best": 0.0})
        entry = answers[cls]
        score = candidate_score(c.step_scores, aggregation, c.solution_score)
        entry["answer"] = entry["answer"] if entry["answer"] is not None else c.answer
        entry["votes"] += 1
        entry["weight"] += max(score, 0.0)
        entry["best"] = max(entry["best"], score)
    reference = result.problem.reference
    for entry in answers:
        entry["correct"] = None if reference is None else answers_equal(entry["answer"], reference)
    finished = [i for i, c in enumerate(candidates) if c.finished] or list(range(len(candidates)))
    pick = majority_vote([candidates[i].answer for i in finished], [classes[i] for i in finished])
    majority = classes[finished[pick.index]] if pick.index >= 0 else -1
    named, bias = None, bias_for(no_error_bias, result.problem.question)
    if bias is not None:
        named = [predict_first_error(c.step_scores or (), threshold, bias) for c in candidates]
    return {"classes": classes, "answers": answers, "majority": majority, "named": named}


def _class_of(answer: str | None, view: dict) -> int:
    from minos.core.answers import answers_equal

    if answer is None:
        return -1
    return next((i for i, a in enumerate(view["answers"]) if answers_equal(a["answer"], answer)), -1)


def _problem(rows: list[tuple[str, dict]], label_of: dict, aggregation: str, default_threshold: float) -> tuple[dict, dict]:
    """(index entry, detail) of one problem from its rows (one per strategy and file)."""
    from minos.core.answers import answer_classes
    from minos.core.votes import chosen_candidate
    from minos.solver.strategies import STRATEGIES

    first = rows[0][1]
    problem = first["problem"]
    draws: list[dict] = []
    home: dict[tuple[str, str], int] = {}  # (file, strategy) -> its draw
    detail_rows, answers = [], {}
    overruled = error = wrong = False
    for file, row in rows:
        label = label_of[(file, row["strategy"])]
        result = SolveResult.from_dict(row)
        drawn_by = row.get("drawn_by")
        if drawn_by is not None and (file, drawn_by) in home:
            draw = home[(file, drawn_by)]
        else:
            draw = len(draws)
            draws.append(_draw_view(result, aggregation, row.get("threshold", default_threshold), row.get("no_error_bias"))
                         | {"row": len(detail_rows)})
        home[(file, row["strategy"])] = draw
        view = draws[draw]
        chosen = chosen_candidate(result.candidates, result.answer, aggregation)
        picked = _class_of(result.answer, view)
        strategy = STRATEGIES.get(row["strategy"])
        overrules = bool(strategy and strategy.needs_verifier and view["majority"] >= 0 and picked != view["majority"])
        overruled |= overrules
        error |= bool(row.get("error"))
        wrong |= row.get("correct") is False
        detail_rows.append(_plain(row) | {"label": label, "draw": draw, "picked": picked, "overrules": overrules,
                                          "chosen": -1 if chosen is None else result.candidates.index(chosen),
                                          "threshold": row.get("threshold", default_threshold)})
        answers[label] = [row.get("answer"), row.get("correct"), row.get("error")]
    picks = [a for a, _, e in answers.values() if not e]
    disagree = len({c for c in answer_classes(picks) if c >= 0} | ({-1} if None in picks else set())) > 1
    entry = {"id": str(first["id"]), "q": problem["question"], "ref": problem.get("reference"), "answers": answers,
             "flags": [f for f, on in (("wrong", wrong), ("disagree", disagree), ("overruled", overruled),
                                       ("error", error)) if on]}
    return entry, {"id": entry["id"], "problem": problem, "rows": detail_rows, "draws": draws}


def _overrule_table(details: list[dict]) -> list[dict]:
    """Per verifier strategy: how often its pick differs from the majority of the same candidates, and, on
    problems with a reference, who was right when it did."""
    table: dict[str, dict] = {}
    for detail in details:
        for row in detail["rows"]:
            draw = detail["draws"][row["draw"]]
            from minos.solver.strategies import STRATEGIES

            strategy = STRATEGIES.get(row["strategy"])
            if row.get("error") or not strategy or not strategy.needs_verifier or draw["majority"] < 0:
                continue
            line = table.setdefault(row["label"], {"label": row["label"], "compared": 0, "overruled": 0,
                                                   "graded": 0, "verifier_right": 0, "majority_right": 0, "neither": 0})
            line["compared"] += 1
            if not row["overrules"]:
                continue
            line["overruled"] += 1
            majority_right = draw["answers"][draw["majority"]]["correct"]
            if row.get("correct") is None or majority_right is None:
                continue
            line["graded"] += 1
            key = "verifier_right" if row["correct"] else "majority_right" if majority_right else "neither"
            line[key] += 1
    return list(table.values())


def _accuracy_vs_n(rows: list[tuple[str, dict]], label_of: dict, aggregation: str) -> dict[str, list[list[float]]]:
    """Accuracy against n per sampling strategy (the first k candidates re-voted, as `minos batch --plot`)."""
    from minos.solver.batch import accuracy_at_k, sample_ks

    series: dict[str, list[list[float]]] = {}
    for file in dict.fromkeys(f for f, _ in rows):
        mine = [r for f, r in rows if f == file]
        samples: dict[str, int] = {}
        for row in mine:
            samples[row["strategy"]] = max(samples.get(row["strategy"], 1), len(row.get("candidates") or ()))
        ks = sample_ks(samples)
        accuracy = accuracy_at_k(mine, ks, aggregation)
        for strategy, points in ks.items():
            if (strategy, points[0]) in accuracy and len(points) > 1:
                series[label_of[(file, strategy)]] = [[k, accuracy[(strategy, k)]] for k in points]
    return series


def run_report(
    rows: Iterable[tuple[str, dict]], output: str | Path, *, title: str = "Minos run", aggregation: str = "auto",
    threshold: float = 0.5,
) -> dict:
    """Write the report of `minos batch` rows ((file label, row) pairs, e.g. from `read_runs`; one row for
    `minos solve --html`) to `output`. A row's own `threshold` wins over `threshold` (the flag line drawn on
    step scores). Returns sizes: problems, rows, bytes."""
    from minos.solver.batch import Tally

    rows = list(rows)
    if not rows:
        raise ReportError("no rows to report")
    labels = _labels(rows)
    label_of = {(f, s): label for label, f, s in labels}
    by_problem: dict[str, list[tuple[str, dict]]] = {}
    for file, row in rows:
        by_problem.setdefault(str(row["id"]), []).append((file, row))
    index, details = [], []
    for group in by_problem.values():
        entry, detail = _problem(group, label_of, aggregation, threshold)
        entry["chunk"], entry["at"] = divmod(len(details), CHUNK)
        index.append(entry)
        details.append(detail)
    tally = Tally.of({**r, "strategy": label_of[(f, r["strategy"])]} for f, r in rows)
    summary = [{"label": label, "problems": x.problems, "graded": x.graded, "right": x.right, "failed": x.failed,
                "tokens": x.tokens, "seconds": x.seconds}
               for label, _, _ in labels if (x := tally.lines.get(label)) is not None]
    head = {"kind": "run", "title": title, "aggregation": aggregation, "files": list(dict.fromkeys(f for f, _ in rows)),
            "labels": [label for label, _, _ in labels], "summary": summary,
            "accuracy_vs_n": _accuracy_vs_n(rows, label_of, aggregation), "overrule": _overrule_table(details),
            "problems": index}
    size = _write(output, title, head, [details[i:i + CHUNK] for i in range(0, len(details), CHUNK)])
    return {"problems": len(index), "rows": len(rows), "bytes": size}


# ---------------------------------------------------------------------------------- ProcessBench report


def _verdict(first_error: int, flag: int) -> str:
    """The verifier's first flag against the labelled first wrong step."""
    if first_error < 0:
        return "clean" if flag < 0 else "false alarm"
    if flag < 0:
        return "never"
    return "exact" if flag == first_error else "early" if flag < first_error else "late"


def _histogram(values: list[float], bins: int = 20) -> list[int]:
    counts = [0] * bins
    for v in values:
        counts[min(int(v * bins), bins - 1) if v > 0 else 0] += 1
    return counts


def processbench_report(
    samples: list[LabelledSolution], scores: list[list[float]], threshold: float, output: str | Path, *,
    title: str = "ProcessBench", figures: dict | None = None, no_error_bias: NoErrorBias = None,
) -> dict:
    """Write the report of a ProcessBench evaluation: per solution, the labelled first wrong step against the
    verifier's first flag (`predict_first_error` at `threshold` and `no_error_bias`, the rule `figures` were
    computed with; exact / early / late / never;
    clean / false alarm on right solutions), the score
    distributions of right steps and first wrong steps, and the calibration curve. Returns sizes."""
    from minos.verifier.calibration import reliability
    from minos.verifier.evaluate import labelled_steps, predict_first_error

    if not samples:
        raise ReportError("no labelled solutions to report")
    index, details = [], []
    for i, (sample, row) in enumerate(zip(samples, scores, strict=True)):
        flag = predict_first_error(row, threshold, no_error_bias, sample.problem.question)
        verdict = _verdict(sample.first_error, flag)
        index.append({"id": str(sample.problem.id), "q": sample.problem.question, "source": sample.problem.source,
                      "first_error": sample.first_error, "flag": flag, "verdict": verdict, "chunk": i // CHUNK, "at": i % CHUNK})
        details.append({**sample.to_dict(), "scores": _finite(row), "flag": flag, "verdict": verdict, "threshold": threshold})
    pairs = labelled_steps(samples, scores)
    right, wrong = [s for s, label in pairs if label], [s for s, label in pairs if not label]
    counts: dict[str, int] = {}
    for entry in index:
        counts[entry["verdict"]] = counts.get(entry["verdict"], 0) + 1
    head = {"kind": "processbench", "title": title, "threshold": threshold, "no_error_bias": no_error_bias,
            "figures": _plain_figures(figures or {}),
            "verdicts": counts, "histogram": {"right": _histogram(right), "wrong": _histogram(wrong)},
            "calibration": reliability([s for s, _ in pairs], [label for _, label in pairs]), "problems": index}
    size = _write(output, title, head, [details[i:i + CHUNK] for i in range(0, len(details), CHUNK)])
    return {"problems": len(index), "rows": len(index), "bytes": size}


def _plain_figures(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if isinstance(v, int | float | str) and not (isinstance(v, float) and not math.isfinite(v))}


# ------------------------------------------------------------------------------------------------ HTML


def _asset(name: str) -> str:
    return resources.files("minos.report").joinpath("assets", name).read_text(encoding="utf-8")


def _katex_css() -> str:
    """KaTeX's stylesheet with the common fonts inlined and the rest's @font-face rules dropped (the browser
    falls back to a system font for those rare alphabets)."""
    css = _asset("katex/katex.min.css")
    fonts = resources.files("minos.report").joinpath("assets", "katex", "fonts")

    def face(match: re.Match) -> str:
        name = re.search(r"url\(fonts/KaTeX_([\w-]+)\.woff2\)", match.group(0))
        if name is None or name.group(1) not in FONTS:
            return ""
        data = base64.b64encode(fonts.joinpath(f"KaTeX_{name.group(1)}.woff2").read_bytes()).decode()
        return re.sub(r"src:[^}]*", f'src:url(data:font/woff2;base64,{data}) format("woff2")', match.group(0))

    return re.sub(r"@font-face\{[^}]*\}", face, css)


def _script_safe(text: str) -> str:
    # inside <script>, "</" could close the element; "<" only occurs in JSON strings, where \u003c is the same
    return text.replace("<", "\\u003c")


def _block(element_id: str, data) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if len(text) < PLAIN_LIMIT:
        return f'<script type="application/json" id="{element_id}" data-encoding="json">{_script_safe(text)}</script>\n'
    packed = base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")
    return f'<script type="application/json" id="{element_id}" data-encoding="gzip-base64">"{packed}"</script>\n'


def _write(output: str | Path, title: str, head: dict, chunks: list[list[dict]]) -> int:
    """The page, written atomically (a crash or Ctrl-C leaves the old file or none, never half a report)."""
    import html

    from minos.core.data import write_lines_atomic

    template = _asset("template.html")
    before, after = template.split("<!--DATA-->")
    before = (before.replace("{{title}}", html.escape(title))
              .replace("/*KATEX_CSS*/", _katex_css())
              .replace("/*STYLE*/", _asset("report.css")))
    after = (after.replace("/*KATEX_JS*/", _asset("katex/katex.min.js") + "\n" + _asset("katex/auto-render.min.js"))
             .replace("/*REPORT_JS*/", _asset("report.js")))

    def pieces():
        yield before.encode("utf-8")
        yield _block("minos-head", head).encode("utf-8")
        for number, chunk in enumerate(chunks):
            yield _block(f"minos-chunk-{number}", chunk).encode("utf-8")
        yield after.encode("utf-8")

    write_lines_atomic(output, pieces())
    return Path(output).stat().st_size
