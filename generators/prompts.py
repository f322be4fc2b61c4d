"""Prompt templates: how a problem and a partial solution become one raw prompt string.

Base models (such as the offline default) get a few-shot prompt whose worked examples put one step a
paragraph, so the step delimiter is a blank line. Instruction models get their tokenizer's chat template,
rendered here on the client, and the partial solution appended after the generation prompt: that is what
lets the completions endpoint continue a solution step by step.
"""

from __future__ import annotations

from dataclasses import dataclass

from minos.core.steps import STEP_SEPARATOR, join_steps

INSTRUCTION = "Solve the problem step by step. Separate steps with a blank line. End with 'The answer is X.'"

_FEWSHOT = [
    (
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
        "How many clips did Natalia sell altogether in April and May?",
        [
            "In May Natalia sold 48 / 2 = 24 clips.",
            "Altogether she sold 48 + 24 = 72 clips.",
            "The answer is 72.",
        ],
    ),
    (
        "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. "
        "How much did she earn?",
        [
            "Weng earns 12 / 60 = $0.2 per minute.",
            "For 50 minutes she earned 0.2 * 50 = $10.",
            "The answer is 10.",
        ],
    ),
    (
        "What is the value of $x$ if $2x + 3 = 11$?",
        [
            "Subtract 3 from both sides: $2x = 8$.",
            "Divide both sides by 2: $x = 4$.",
            "The answer is 4.",
        ],
    ),
]


def chat_messages(question: str, steps: tuple[str, ...] | list[str] = ()) -> list[dict[str, str]]:
    """The problem as chat messages, for servers that only have a chat endpoint: a partial solution is a
    final assistant message for the server to continue (vLLM's `continue_final_message`)."""
    messages = [{"role": "user", "content": f"{question}\n\n{INSTRUCTION}"}]
    if steps:
        messages.append({"role": "assistant", "content": join_steps(steps) + STEP_SEPARATOR})
    return messages


@dataclass(frozen=True)
class FewShotTemplate:
    """Worked examples then the question; for base (not instruction-tuned) models."""

    name: str = "fewshot"

    def render(self, question: str, steps: tuple[str, ...] | list[str] = ()) -> str:
        shots = "".join(
            f"Question: {q}\nAnswer: {join_steps(s)}\n\n\n" for q, s in _FEWSHOT
        )
        prompt = f"{INSTRUCTION}\n\n\n{shots}Question: {question}\nAnswer:"
        return prompt + (" " + join_steps(steps) + STEP_SEPARATOR if steps else " ")

    @property
    def stop(self) -> tuple[str, ...]:
        """Where a whole solution ends: the next few-shot question."""
        return ("\n\n\n", "\nQuestion:")


@dataclass(frozen=True)
class ChatTemplate:
    """The tokenizer's own chat template, rendered on the client."""

    tokenizer_path: str
    name: str = "chat"

    def render(self, question: str, steps: tuple[str, ...] | list[str] = ()) -> str:
        prompt = _tokenizer(self.tokenizer_path).apply_chat_template(
            chat_messages(question), tokenize=False, add_generation_prompt=True
        )
        return prompt + (join_steps(steps) + STEP_SEPARATOR if steps else "")

    @property
    def stop(self) -> tuple[str, ...]:
        return ()


_TOKENIZERS: dict[str, object] = {}


def _tokenizer(path: str):
    if path not in _TOKENIZERS:
        from transformers import AutoTokenizer

        _TOKENIZERS[path] = AutoTokenizer.from_pretrained(path)
    return _TOKENIZERS[path]


PromptTemplate = FewShotTemplate | ChatTemplate


def template_for(spec: str | None) -> PromptTemplate:
    """`fewshot` (default), or `chat:TOKENIZER_PATH` for an instruction model's chat template."""
    if spec in (None, "", "fewshot"):
        return FewShotTemplate()
    if spec.startswith("chat:"):
        return ChatTemplate(spec.removeprefix("chat:"))
    raise ValueError(f"unknown prompt template {spec!r}: use 'fewshot' or 'chat:TOKENIZER_PATH'")
