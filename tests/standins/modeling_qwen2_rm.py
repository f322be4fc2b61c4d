"""Stand-in for Qwen/Qwen2.5-Math-PRM-7B's `modeling_qwen2_rm.py`: the same class name and the same head,
`score = Sequential(Linear(hidden, hidden), ReLU(), Linear(hidden, 2))`, so its weights are `score.0.*` and
`score.2.*`; the logits of class 1 are the "step is correct" side."""

import torch.nn as nn
from transformers import Qwen2Model, Qwen2PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from .configuration_qwen2_rm import Qwen2RMConfig


class Qwen2ForProcessRewardModel(Qwen2PreTrainedModel):
    config_class = Qwen2RMConfig

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = 2
        self.model = Qwen2Model(config)
        self.score = nn.Sequential(
            nn.Linear(config.hidden_size, config.hidden_size), nn.ReLU(), nn.Linear(config.hidden_size, self.num_labels)
        )
        self.post_init()

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, **kwargs):
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).last_hidden_state
        return TokenClassifierOutput(logits=self.score(hidden))
