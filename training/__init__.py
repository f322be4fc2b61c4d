"""Math-Minos verifier training (extra `minos[train]`). The solver never imports this package.

Data: `inject_dataset` (known errors in correct solutions), `run_critiques` (critic LLM given the labels),
`rollout_labels` (Math-Shepherd estimation), `sample_solutions` (model-written, labelled by final answer). Stage 1: `train_sft` on critiques with a `CritiqueSFTConfig`
(trl's SFTConfig). Stage 2: `train_reward` as a PRM or ORM with a `RewardConfig` (transformers'
TrainingArguments), run by `RewardTrainer`. Analysis: `meta_curve`, `error_type_counts`.
Names load on first use: the data tools never pull in torch or trl.
"""

from minos.core.lazy import lazy_exports

_WHERE = {
    "ERROR_TYPES": "minos.training.inject",
    "inject_dataset": "minos.training.inject",
    "error_type_counts": "minos.training.meta",
    "meta_curve": "minos.training.meta",
    "CritiqueSFTConfig": "minos.training.sft",
    "train_sft": "minos.training.sft",
    "RewardConfig": "minos.training.reward",
    "RewardTrainer": "minos.training.reward",
    "train_reward": "minos.training.reward",
    "rollout_labels": "minos.training.rollout",
    "sample_solutions": "minos.training.sampled",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
