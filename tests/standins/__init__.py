"""Tiny random stand-ins laid out like the real PRM repositories on the Hub (config with `auto_map` and
architectures, the custom modeling file, the head's parameter names, the tokenizer's special tokens and
chat template), so Minos is tested against the shape of the real checkpoints, offline."""
