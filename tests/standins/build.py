"""Builders for the stand-in repositories (random weights, a BPE tokenizer trained on a few lines)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent
CORPUS = [
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning, so she has 16 - 3 = 13 eggs left.",
    "Step 1: 48 / 2 = 24 clips ки\nStep 2: 48 + 24 = 72 ки\nStep 3: The answer is: 72 ки",
    "+ - + - + - 1 + 2 - 3 + 4 - 5 ки ки",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "Please reason step by step, and put your final answer within \\boxed{}.",
]
QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
# Llama 3's own pre-tokenizer pattern (tokenizer.json of Meta-Llama-3): newlines are kept in one piece
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _tokenizer(style: str, specials: list[str], *, bos: str | None, eos: str, pad: str, bare_tag: bool = False):
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    if style == "sentencepiece":  # Mistral / Llama 2: `▁` marks a space, BOS added by the tokenizer
        # their vocabularies have no piece that spans a newline (it is a byte token of its own)
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split("\n", behavior="isolated"), pre_tokenizers.Metaspace(prepend_scheme="first")]
        )
        tok.decoder = decoders.Metaspace(prepend_scheme="first")
        alphabet = sorted(set("".join(CORPUS)) | {"\u2581"})
    else:
        split = [pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated")] if style == "llama3" else []
        tok.pre_tokenizer = pre_tokenizers.Sequence([*split, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not split)])
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials, initial_alphabet=alphabet)
    corpus = [c.replace("ки", "") for c in CORPUS] if bare_tag else CORPUS
    tok.train_from_iterator(corpus * 8, trainer)
    if bare_tag:  # a vocabulary that knows `ки` only as a bare piece, never as `▁ки`
        tok.add_tokens([AddedToken("ки", normalized=False)])
    if style == "sentencepiece":
        tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A", special_tokens=[(bos, tok.token_to_id(bos))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token=pad)


def _small(config_class, tokenizer, **extra):
    return config_class(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False, **extra,
    )


def qwen_prm(directory: Path) -> Path:
    """Qwen/Qwen2.5-Math-PRM-7B: custom code through `auto_map`, a two-layer `score` head, `<extra_0>` tags."""
    import importlib.util
    import sys

    import torch

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer("bytelevel", ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<extra_0>"],
                           bos=None, eos="<|im_end|>", pad="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>", "<extra_0>"]})
    tokenizer.chat_template = QWEN_TEMPLATE
    tokenizer.save_pretrained(directory)
    for name in ("configuration_qwen2_rm.py", "modeling_qwen2_rm.py"):
        shutil.copy(HERE / name, directory / name)
    # import the copied files as the package Transformers would, to build and save random weights
    package = f"standin_qwen_prm_{abs(hash(str(directory)))}"
    for name in ("__init__", "configuration_qwen2_rm", "modeling_qwen2_rm"):
        path = directory / f"{name}.py" if name != "__init__" else None
        full = package if name == "__init__" else f"{package}.{name}"
        spec = importlib.util.spec_from_file_location(full, path, submodule_search_locations=[str(directory)]) if path else \
            importlib.util.spec_from_loader(package, loader=None, is_package=True)
        module = importlib.util.module_from_spec(spec)
        if name == "__init__":
            module.__path__ = [str(directory)]
        sys.modules[full] = module
        if path:
            spec.loader.exec_module(module)
    config_class = sys.modules[f"{package}.configuration_qwen2_rm"].Qwen2RMConfig
    model_class = sys.modules[f"{package}.modeling_qwen2_rm"].Qwen2ForProcessRewardModel
    torch.manual_seed(3)
    model = model_class(_small(config_class, tokenizer))
    model.save_pretrained(directory)
    config = json.loads((directory / "config.json").read_text())
    config["architectures"] = ["Qwen2ForProcessRewardModel"]
    config["auto_map"] = {
        "AutoConfig": "configuration_qwen2_rm.Qwen2RMConfig",
        "AutoModel": "modeling_qwen2_rm.Qwen2ForProcessRewardModel",
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    return directory


def math_shepherd(directory: Path, *, bare_tag: bool = False) -> Path:
    """peiyi9979/math-shepherd-mistral-7b-prm: a Mistral causal LM, SentencePiece-style tokens, BOS added."""
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer("sentencepiece", ["<unk>", "<s>", "</s>"], bos="<s>", eos="</s>", pad="</s>", bare_tag=bare_tag)
    tokenizer.save_pretrained(directory)
    torch.manual_seed(4)
    MistralForCausalLM(_small(MistralConfig, tokenizer, architectures=["MistralForCausalLM"])).save_pretrained(directory)
    return directory


def rlhflow(directory: Path) -> Path:
    """RLHFlow/Llama3.1-8B-PRM-Deepseek-Data: a Llama 3 causal LM with Llama 3's chat template and specials."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tokenizer = _tokenizer("llama3", specials, bos="<|begin_of_text|>", eos="<|eot_id|>", pad="<|end_of_text|>")
    tokenizer.add_special_tokens({"additional_special_tokens": specials[2:]})
    tokenizer.chat_template = LLAMA3_TEMPLATE
    tokenizer.save_pretrained(directory)
    torch.manual_seed(5)
    LlamaForCausalLM(_small(LlamaConfig, tokenizer, architectures=["LlamaForCausalLM"])).save_pretrained(directory)
    return directory
