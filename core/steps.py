"""Step segmentation: turn a solution text into steps and back.

Styles recognised, in order: numbered steps ("Step 1:", "**Step 2.**"), blank-line separated paragraphs
(MATH, most chat models), and one step a line (GSM8K, with `<<a*b=c>>` annotations). LaTeX display
environments (`$$ ... $$`, `\\[ ... \\]`, `\\begin{...} ... \\end{...}`) are never cut in the middle, and a
GSM8K `#### 72` answer line stays with the step before it, since it is not a reasoning step of its own.

Segmentation is deterministic and reversible: `join_steps(split_steps(t), separator_of(t))` gives `t`
back up to white space at the step boundaries.
"""

from __future__ import annotations

import re

# A GSM8K calculator annotation `<<48/2=24>>`: (expression, stated result).
CALC_ANNOTATION = re.compile(r"<<([^<>=]+)=([^<>]+)>>")
STEP_SEPARATOR = "\n\n"

_NUMBERED = re.compile(r"^[ \t]*(?:[*#_]+\s*)?step\s*\d+\s*[:.)\-]", re.IGNORECASE | re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ANSWER_LINE = re.compile(r"^\s*####")


def _open_math(text: str) -> bool:
    """True when `text` leaves a display-math environment open (so the step must go on)."""
    if text.count("$$") % 2:
        return True
    if len(re.findall(r"\\\[", text)) > len(re.findall(r"\\\]", text)):
        return True
    return len(re.findall(r"\\begin\{", text)) > len(re.findall(r"\\end\{", text))


def _merge_open(pieces: list[str], sep: str) -> list[str]:
    steps: list[str] = []
    for piece in pieces:
        if steps and (_open_math(steps[-1]) or _ANSWER_LINE.match(piece)):
            steps[-1] = steps[-1] + sep + piece
        else:
            steps.append(piece)
    return steps


def separator_of(text: str) -> str:
    """The separator that `split_steps` used for this text (what `join_steps` should put back)."""
    text = text.replace("\r\n", "\n").strip()
    if len(_NUMBERED.findall(text)) >= 2:
        return "\n"
    return STEP_SEPARATOR if _BLANK_LINE.search(text) else "\n"


def split_steps(text: str) -> list[str]:
    """Split a solution into its steps (stripped, non-empty)."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return []
    if len(_NUMBERED.findall(text)) >= 2:
        starts = [m.start() for m in _NUMBERED.finditer(text)]
        if starts[0] != 0:
            starts.insert(0, 0)
        pieces = [text[a:b].strip() for a, b in zip(starts, starts[1:] + [len(text)], strict=True)]
        return [p for p in pieces if p]
    sep = separator_of(text)
    pieces = [p.strip() for p in (_BLANK_LINE.split(text) if sep == STEP_SEPARATOR else text.split("\n"))]
    return _merge_open([p for p in pieces if p], sep)


def join_steps(steps: list[str] | tuple[str, ...], separator: str = STEP_SEPARATOR) -> str:
    """Join steps back into a solution text."""
    return separator.join(s.strip() for s in steps)
