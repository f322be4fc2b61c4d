"""The step-tag scheme: how steps are marked for a PRM and where its scores are read.

A tag string goes after every step. The score of a step is read at its tag, either from the LM head as
p(good label token) against p(bad label token) (Math-Shepherd style, tag `ки`, labels `+`/`-`) or from a
2-class token-classification head (Qwen2.5-Math-PRM style, tag `<extra_0>`). Everything is configured by
strings; token ids are always derived through the tokenizer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

SCHEME_FILE = "minos_verifier.json"


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

    def render(self, question: str, steps: list[str] | tuple[str, ...], tokenizer=None) -> str:
        """The verifier input: question, then each step followed by the tag (ORM: only the last)."""
        bare = self.tag.strip()
        clean = [s.replace(bare, "").strip() for s in steps]
        if self.mode == "orm":
            body = self.step_join.join(clean) + self.tag
        else:
            body = self.step_join.join(s + self.tag for s in clean)
        if self.chat and tokenizer is not None:
            messages = [
                {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
                {"role": "user", "content": question},
                {"role": "assistant", "content": body},
            ]
            return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        return f"{question}\n{body}"

    def token_ids(self, tokenizer) -> tuple[int, int | None, int | None]:
        """(tag id, good id, bad id) from the strings; raises if any is not exactly one token."""

        def one(text: str, what: str) -> int:
            ids = tokenizer.encode(text, add_special_tokens=False)
            if len(ids) != 1:
                # A leading space may merge into the token ("ки" vs " ки"); the bare word may be one token.
                ids = tokenizer.encode(text.strip(), add_special_tokens=False)
            if len(ids) != 1:
                raise ValueError(f"{what} {text!r} is {len(ids)} tokens for this tokenizer; it must be one")
            return ids[0]

        tag = one(self.tag, "step tag")
        if self.head == "token_classification":
            return tag, None, None
        return tag, one(self.good, "good label"), one(self.bad, "bad label")

    def vllm_serve_command(self, path: str | Path, tokenizer) -> str:
        """The `vllm serve` command that serves this PRM with STEP pooling at the tag, ids derived from
        the strings through `tokenizer` (vLLM >= 0.11.1 flags)."""
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
        return cls(**json.loads(path.read_text())) if path.exists() else None


PRESETS: dict[str, StepTagScheme] = {
    # Our own checkpoints (minos.training) use the Math-Shepherd scheme, so vLLM's STEP pooler serves both.
    "minos": StepTagScheme(),
    "math-shepherd": StepTagScheme(tag=" ки", good="+", bad="-", step_join="\n"),
    "qwen-prm": StepTagScheme(tag="<extra_0>", head="token_classification", step_join="", chat=True),
}
