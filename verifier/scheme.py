"""The step-tag scheme: how steps are marked for a PRM and where its scores are read.

A tag string goes after every step. The score of a step is read at its tag, either from the LM head as
p(good label token) against p(bad label token) (Math-Shepherd style, tag `ки`, labels `+`/`-`) or from a
2-class token-classification head (Qwen2.5-Math-PRM style, tag `<extra_0>`). RLHFlow's PRMs use a
conversation instead (`turns`): each step is a user turn answered by the assistant with `+`, and the
score is p(+) against p(-) where that `+` is predicted. Everything is configured by strings; token ids
are always derived through the tokenizer. Each preset renders its input exactly as its model card does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

SCHEME_FILE = "minos_verifier.json"
STYLES = ("gsm8k", "math")  # the question styles a no-error bias may be stored for (`evaluate.question_style`)


@dataclass(frozen=True)
class StepTagScheme:
    """How a PRM reads steps. Saved as `minos_verifier.json` beside a checkpoint so it loads unaided."""

    tag: str = " ки"
    good: str = "+"
    bad: str = "-"
    head: Literal["lm", "token_classification"] = "lm"
    step_join: str = "\n"
    chat: bool = False
    mode: Literal["prm", "orm"] = "prm"
    # the step-score threshold chosen on a dev split when the checkpoint was made (a step under it is an
    # error); `minos eval processbench` uses it when given none, so no one tunes on the test split
    threshold: float | None = None
    # the same, for the hybrid reading (steps the symbolic checker proves wrong set to 0): zeroing moves the
    # best threshold, so it is chosen on dev with that reading
    hybrid_threshold: float | None = None
    # where stored, a solution's first wrong step is named as the likeliest one under the calibrated scores
    # (`minos.verifier.evaluate.predict_first_error`) rather than the first step under the threshold; chosen on
    # selection data for each reading, like the thresholds. One bias for every question, or one per question
    # style (`{"gsm8k": -0.75}`: MATH-style questions keep the threshold rule), as `question_style` reads them
    no_error_bias: float | dict[str, float] | None = field(default=None, hash=False)
    hybrid_no_error_bias: float | dict[str, float] | None = field(default=None, hash=False)
    question_join: str = "\n"  # between the question and the first step (Math-Shepherd's card: " ")
    step_prefix: str = ""  # before step i, unless the step has one already (Math-Shepherd: "Step {i}: ")
    turns: bool = False  # RLHFlow: one user turn per step, each answered `good` by the assistant

    def render(self, question: str, steps: list[str] | tuple[str, ...], tokenizer=None) -> str:
        """The verifier input: question, then each step followed by the tag (ORM: only the last)."""
        if self.turns:
            return tokenizer.apply_chat_template(self._turns(question, steps), tokenize=False)
        bare = self.tag.strip()
        clean = [s.replace(bare, "").strip() for s in steps]
        if self.step_prefix:
            clean = [s if _NUMBERED.match(s) else self.step_prefix.format(i=i) + s for i, s in enumerate(clean, 1)]
        if self.mode == "orm":
            # one tag at the end; steps keep a visible boundary even where the PRM joins them with nothing
            body = (self.step_join or "\n\n").join(clean) + self.tag
        else:
            body = self.step_join.join(s + self.tag for s in clean)
        if self.chat and tokenizer is not None:
            messages = [
                {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
                {"role": "user", "content": question},
                {"role": "assistant", "content": body},
            ]
            return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        return f"{question}{self.question_join}{body}"

    def _turns(self, question: str, steps) -> list[dict[str, str]]:
        """RLHFlow's conversation: step k a user turn (the first carries the question), `good` the reply."""
        steps = [s.strip() for s in steps] if self.mode == "prm" else ["\n\n".join(s.strip() for s in steps)]
        messages = []
        for k, step in enumerate(steps):
            messages.append({"role": "user", "content": f"{question} {step}" if k == 0 else step})
            messages.append({"role": "assistant", "content": self.good})
        return messages

    def encode(self, question: str, steps, tokenizer) -> tuple[list[int], list[int]]:
        """Token ids of the verifier input and the positions whose logits score the steps (one per step; ORM:
        one). Tag schemes read at each tag; `turns` reads where each assistant `good` is predicted."""
        tag, good, _ = self.token_ids(tokenizer)
        if not self.turns:
            ids = tokenizer(self.render(question, steps, tokenizer), add_special_tokens=True).input_ids
            return ids, [p for p, t in enumerate(ids) if t == tag]
        messages = self._turns(question, steps)
        ids = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False).input_ids
        positions = []
        for k in range(0, len(messages), 2):  # the reply starts where the prompt up to its turn ends
            prompt = tokenizer.apply_chat_template(messages[: k + 1], tokenize=False, add_generation_prompt=True)
            start = len(tokenizer(prompt, add_special_tokens=False).input_ids)
            if start >= len(ids) or ids[start] != good:
                raise ValueError(f"the chat template does not put {self.good!r} where turn {k // 2 + 1} is answered")
            positions.append(start - 1)  # the logits one position earlier predict it
        return ids, positions
    def token_ids(self, tokenizer) -> tuple[int, int | None, int | None]:
        """(tag id, good id, bad id) from the strings; raises if any is not exactly one token."""

        def one(text: str, what: str) -> int:
            ids = tokenizer.encode(text, add_special_tokens=False)
            if len(ids) != 1:
                # A leading space may merge into the token ("ки" vs " ки"); the bare word may be one token.
                ids = tokenizer.encode(text.strip(), add_special_tokens=False)
            if len(ids) > 1 and not tokenizer.decode(ids[:-1]).strip():
                # as the model cards do, the last piece: a SentencePiece vocabulary may hold `ки` but not
                # `▁ки`, so the word is a bare space piece then `ки`
                ids = ids[-1:]
            if len(ids) != 1:
                raise ValueError(f"{what} {text!r} is {len(ids)} tokens for this tokenizer; it must be one")
            return ids[0]

        if self.turns:
            return None, one(self.good, "good label"), one(self.bad, "bad label")
        tag = one(self.tag, "step tag")
        if self.head == "token_classification":
            return tag, None, None
        return tag, one(self.good, "good label"), one(self.bad, "bad label")

    def vllm_serve_command(self, path: str | Path, tokenizer) -> str:
        """The `vllm serve` command that serves this PRM with STEP pooling at the tag, ids derived from
        the strings through `tokenizer` (vLLM >= 0.11.1 flags)."""
        if self.turns:
            raise ValueError("RLHFlow-style PRMs (a conversation per solution) have no step tag for vLLM's STEP pooler")
        tag, good, bad = self.token_ids(tokenizer)
        if self.head == "token_classification":  # Qwen2.5-Math-PRM ships its own STEP pooler config
            return f"vllm serve {path} --runner pooling"
        pooler = {"pooling_type": "STEP", "step_tag_id": tag, "returned_token_ids": [good, bad]}
        return f"vllm serve {path} --runner pooling --pooler-config '{json.dumps(pooler)}'"

    def save(self, directory: str | Path) -> None:
        Path(directory, SCHEME_FILE).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2))

    @classmethod
    def load(cls, directory: str | Path) -> StepTagScheme | None:
        path = Path(directory, SCHEME_FILE)
        if not path.exists():
            return None
        scheme = cls(**json.loads(path.read_text()))
        for name in ("no_error_bias", "hybrid_no_error_bias"):
            # a misspelt style would silently fall back to the threshold rule everywhere
            bias = getattr(scheme, name)
            if not isinstance(bias, dict):
                continue
            unknown = set(bias) - set(STYLES)
            if unknown:
                raise ValueError(f"{path}: field {name!r} names unknown question styles {sorted(unknown)} (known: {', '.join(STYLES)})")
        return scheme


_NUMBERED = re.compile(r"Step \d+:")

PRESETS: dict[str, StepTagScheme] = {
    # Our own checkpoints (minos.training) use the Math-Shepherd tags, so vLLM's STEP pooler serves both.
    "minos": StepTagScheme(),
    # peiyi9979/math-shepherd-mistral-7b-prm: f"{question} {output}", output "Step 1: ... ки\nStep 2: ... ки"
    "math-shepherd": StepTagScheme(tag=" ки", good="+", bad="-", step_join="\n", question_join=" ", step_prefix="Step {i}: "),
    # Qwen/Qwen2.5-Math-PRM-7B: system + user + assistant "<extra_0>".join(steps) + "<extra_0>", head index 1
    "qwen-prm": StepTagScheme(tag="<extra_0>", head="token_classification", step_join="", chat=True),
    # RLHFlow/Llama3.1-8B-PRM-{Deepseek,Mistral}-Data: a user turn per step, the assistant answers "+"
    "rlhflow": StepTagScheme(tag="", good="+", bad="-", turns=True),
}
