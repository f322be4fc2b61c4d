"""Final-answer extraction and answer equivalence.

Equivalence is decided in three tiers, cheapest first: identical normalised strings; exact rational
comparison of plain numbers (GSM8K: `1,000` = `1000.0` = `$1000`); then math-verify for anything
symbolic (`0.5` = `\\frac{1}{2}`, intervals, tuples).

math-verify guards its sympy calls with `signal.alarm`, which only works on a process's main thread, and
LangGraph runs sync nodes in worker threads. So symbolic checks run in one long-lived worker *process*
(on its main thread, where math-verify's own timeouts work), and the caller waits with a deadline; a
worker that overruns is killed and replaced. This makes grading thread-safe with a real timeout.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from minos.core.worker import DeadlineWorker

GRADE_TIMEOUT_S = 20.0

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASHES = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_ANSWER_IS = re.compile(r"answer\s+is\s*[:：]?\s*(.+?)(?:\n|$)", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"^\s*(?:final\s+answer|answer|a)\s*[:：]\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} with nested braces, or None."""
    matches = list(_BOXED.finditer(text))
    for match in reversed(matches):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            return text[match.end() : i - 1].strip()
    return None


def _clean_tail(answer: str) -> str:
    answer = answer.strip()
    answer = re.sub(r"^\$+|\$+$", "", answer).strip()  # `$18$.` style inline math around the answer
    answer = answer.rstrip(".").strip()
    answer = re.sub(r"^\$+|\$+$", "", answer).strip()
    boxed = _last_boxed(answer)
    return boxed if boxed is not None else answer


def extract_answer(text: str) -> str | None:
    """The final answer stated in a solution text, or None when it states none.

    Recognised, by priority: the last `\\boxed{...}`; GSM8K `#### 72`; "The answer is 72"; an
    "Answer: 72" / "A: 72" line.
    """
    boxed = _last_boxed(text)
    if boxed is not None:
        return boxed or None
    for pattern in (_HASHES, _ANSWER_IS, _ANSWER_LINE):
        found = pattern.findall(text)
        if found:
            answer = _clean_tail(found[-1])
            # "The answer is \\(\\boxed{" cut by max_tokens: an unclosed box is no answer, not a fragment
            return None if not answer or _BOXED.search(answer) else answer
    return None


@lru_cache(maxsize=65536)  # votes, grading and reports normalise the same few answers over and over
def normalize_answer(answer: str) -> str:
    """A canonical string for an answer: numbers in lowest exact form, LaTeX spacing and units removed.

    Two answers with the same key are equal; two with different keys may still be equal symbolically.
    """
    text = answer.strip()
    text = re.sub(r"\\text\{\s*([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\(?:left|right|displaystyle|,|!|;|:|\s)", "", text)
    text = text.replace("\\$", "").replace("$", "").replace("\\%", "").replace("%", "")
    text = re.sub(r"\^\{?\\circ\}?|°", "", text)
    text = re.sub(r"\s+", "", text).rstrip(".")
    text = text.replace("dfrac", "frac").replace("tfrac", "frac")
    number = _as_number(text)
    if number is not None:
        return str(number.numerator) if number.denominator == 1 else f"{number.numerator}/{number.denominator}"
    return text


@lru_cache(maxsize=65536)
def _as_number(text: str) -> Fraction | None:
    text = re.sub(r"[a-zA-Z ]+$", "", text) if re.match(r"^[-+]?[\d.,]+\s*[a-zA-Z ]+$", text) else text
    if not text or not _NUMBER.fullmatch(text) or not re.search(r"\d", text):
        return None
    try:
        return Fraction(text.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None


# ---------------------------------------------------------------- symbolic equivalence (worker process)


def _mv_equal_many(pairs: list[tuple[str, str]]) -> list[bool]:
    """Runs in the worker process, on its main thread: math-verify's signal timeouts work here."""
    from math_verify import parse, verify

    def parsed(answer: str):
        return parse(f"\\boxed{{{answer}}}") or parse(answer)

    results = []
    for gold, pred in pairs:
        try:
            results.append(bool(verify(parsed(gold), parsed(pred))))
        except Exception:  # a parse or sympy failure means "not shown equal", never a crash
            results.append(False)
    return results


_worker = DeadlineWorker()


@lru_cache(maxsize=65536)
def _symbolic_equal(a: str, b: str) -> bool:
    return _worker.run(_mv_equal_many, [(a, b)], timeout=GRADE_TIMEOUT_S, default=[False])[0]


def _plain(a: str, b: str) -> bool | None:
    """Decide equality without sympy when possible; None when a symbolic check is needed."""
    ka, kb = normalize_answer(a), normalize_answer(b)
    if ka == kb:
        return True
    if _as_number(ka.replace("/", "")) is not None and _as_number(kb.replace("/", "")) is not None:
        return False  # two plain numbers with different exact values
    return None


def answers_equal(prediction: str | None, reference: str | None) -> bool:
    """True when two final answers are mathematically the same. Thread-safe; bounded in time."""
    if prediction is None or reference is None or not prediction.strip() or not reference.strip():
        return False
    plain = _plain(prediction, reference)
    if plain is not None:
        return plain
    return _symbolic_equal(reference.strip(), prediction.strip())


def answer_classes(answers: list[str | None]) -> list[int]:
    """Group answers into equivalence classes: returns a class index per answer (-1 for None).

    Classes are numbered in order of first appearance, so ties elsewhere break deterministically.
    Equal normalised keys share a class at once; distinct keys are then merged when math-verify says
    they are equal (one worker round-trip for all the pairs still open).
    """
    keys = [normalize_answer(a) if a and a.strip() else None for a in answers]
    distinct: list[str] = []
    for key in keys:
        if key is not None and key not in distinct:
            distinct.append(key)
    representative = {key: key for key in distinct}
    raw = {key: next(a.strip() for a, k in zip(answers, keys, strict=True) if k == key) for key in distinct}
    open_pairs = [
        (a, b)
        for i, a in enumerate(distinct)
        for b in distinct[:i]
        if _plain(raw[a], raw[b]) is None
    ]
    if open_pairs:
        pairs = [(raw[b], raw[a]) for a, b in open_pairs]
        verdicts = _worker.run(_mv_equal_many, pairs, timeout=GRADE_TIMEOUT_S * 2, default=[False] * len(pairs))
        for (a, b), same in zip(open_pairs, verdicts, strict=True):
            if same and representative[a] == a:
                representative[a] = representative[b]
    class_of: dict[str, int] = {}
    for key in distinct:
        class_of.setdefault(representative[key], len(class_of))
    return [class_of[representative[k]] if k is not None else -1 for k in keys]
