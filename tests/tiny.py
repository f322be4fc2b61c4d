"""Tiny models built in-process (random init, small configs): no download, a few MB, CPU-fast."""

from __future__ import annotations

import string
from pathlib import Path

CORPUS = [
    "Question: Tom has 3 apples and buys 4 more. How many apples? Answer: 3 + 4 = 7. The answer is 7.",
    "Natalia sold 48 / 2 = 24 clips in May. Altogether 48 + 24 = 72. The answer is 72.",
    "Step 1: ки Step 2: ки + - <extra_0> \\boxed{12} $x = 4$ #### 18",
    "The step is wrong because 48/2 is 24, not 26. Verdict: incorrect. correct. Critique:",
]


def build_tiny_lm(
    directory: str | Path, *, kind: str = "llama", vocab_size: int = 600, seed: int = 0, style: str = "bytelevel"
) -> Path:
    """A random-init causal LM and a BPE tokenizer trained on a few lines, saved to `directory`.

    style: "bytelevel" (GPT-2 / Qwen / Llama-3 style) or "metaspace" (SentencePiece style, `▁` marks a
    space, as in Llama-2 / Mistral / Gemma), so that tag alignment is tested under both conventions.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, LlamaConfig, PreTrainedTokenizerFast, Qwen2Config

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE(unk_token=None))
    specials = ["<pad>", "<s>", "</s>", "<extra_0>"]
    if style == "metaspace":
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
        tokenizer.decoder = decoders.Metaspace(prepend_scheme="first")
        alphabet = sorted(set("".join(CORPUS)) | set(string.printable.strip()) | {"\u2581"})
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, initial_alphabet=alphabet)
    tokenizer.train_from_iterator(CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
        additional_special_tokens=["<extra_0>"],
    )
    fast.chat_template = (
        "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant: {% endif %}"
    )
    common = dict(
        vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=2048, pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, tie_word_embeddings=False,
    )
    config = Qwen2Config(**common) if kind == "qwen2" else LlamaConfig(**common)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory
