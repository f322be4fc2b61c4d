"""Stand-in for Qwen/Qwen2.5-Math-PRM-7B's `configuration_qwen2_rm.py` (same module and class names)."""

from transformers import Qwen2Config


class Qwen2RMConfig(Qwen2Config):
    model_type = "qwen2"
