"""Math-Minos verifier training (extra `minos[train]`). The solver never imports this package.

Data: `inject_dataset` (known errors in correct solutions), `run_critiques` (critic LLM given the labels),
`rollout_labels` (Math-Shepherd estimation). Stage 1: `train_sft` on critiques. Stage 2: `train_reward`
as a PRM or ORM. Analysis: `meta_curve`, `error_type_counts`. Heavy imports stay inside the functions.
"""

from minos.training.inject import ERROR_TYPES, inject_dataset
from minos.training.meta import error_type_counts, meta_curve
from minos.training.reward import RewardSettings, train_reward
from minos.training.rollout import rollout_labels
from minos.training.sft import SFTSettings, train_sft

__all__ = [
    "ERROR_TYPES",
    "RewardSettings",
    "SFTSettings",
    "error_type_counts",
    "inject_dataset",
    "meta_curve",
    "rollout_labels",
    "train_reward",
    "train_sft",
]
