"""Stage-2 data: every label lands on a tag token and nowhere else, for several tokenizers."""

from __future__ import annotations

import dataclasses

import pytest
from minos.core.types import LabelledSolution, Problem
from minos.training.reward import encode_example, step_metrics, tag_loss
from minos.verifier.scheme import PRESETS, StepTagScheme

ROW = LabelledSolution(
    problem=Problem("p", "Natalia sold 48 clips in April and half as many in May. How many altogether?"),
    steps=("Natalia sold 48/2 = 24 clips in May.", "Altogether 48 + 24 = 72.", "The answer is 72."),
    labels=(1.0, 0.0, 0.25),
)
# a step that itself contains the tag text must not add a tag (render strips it)
TRICKY = LabelledSolution(problem=ROW.problem, steps=("48/2 = 24 ки", "ки 72"), labels=(1.0, 0.0))


@pytest.fixture(scope="module", params=["llama-bytelevel", "qwen2-bytelevel", "llama-metaspace"])
def tokenizer(request, tmp_path_factory):
    from transformers import AutoTokenizer

    from tests.tiny import build_tiny_lm

    kind, style = request.param.split("-")
    path = build_tiny_lm(tmp_path_factory.mktemp(request.param), kind=kind, style=style)
    return AutoTokenizer.from_pretrained(path)


@pytest.mark.parametrize("row", [ROW, TRICKY], ids=["plain", "tag-in-text"])
@pytest.mark.parametrize("mode", ["prm", "orm"])
def test_labels_land_on_tag_tokens_only(tokenizer, row, mode):
    scheme = dataclasses.replace(PRESETS["minos"], mode=mode)
    tag_id, good_id, bad_id = scheme.token_ids(tokenizer)
    assert len({tag_id, good_id, bad_id}) == 3
    example = encode_example(row, tokenizer, scheme, max_length=512)
    ids = example["input_ids"]
    tag_at = [i for i, t in enumerate(ids) if t == tag_id]
    assert example["tag_positions"] == tag_at
    expected = list(row.labels) if mode == "prm" else [float(row.outcome)]
    assert example["tag_labels"] == expected
    # each PRM tag sits right after its step's text
    if mode == "prm":
        for k, position in enumerate(tag_at):
            before = tokenizer.decode(ids[: position])
            assert before.rstrip().endswith(row.steps[k].replace("ки", "").strip()), (k, before)


def test_truncation_keeps_only_surviving_tags(tokenizer):
    scheme = PRESETS["minos"]
    full = encode_example(ROW, tokenizer, scheme, max_length=10_000)
    cut = full["tag_positions"][1]  # keep the first tag, drop the others
    example = encode_example(ROW, tokenizer, scheme, max_length=cut)
    assert example["tag_positions"] == full["tag_positions"][:1]
    assert example["tag_labels"] == [1.0]
    assert len(example["input_ids"]) == cut
    assert encode_example(ROW, tokenizer, scheme, max_length=full["tag_positions"][0]) is None


def test_a_tag_that_is_not_one_token_is_refused(tokenizer):
    scheme = StepTagScheme(tag=" <<step-end>>")
    with pytest.raises(ValueError, match="must be one"):
        encode_example(ROW, tokenizer, scheme, max_length=512)


def test_outcome_follows_the_sources_flag():
    flagged = LabelledSolution(ROW.problem, ROW.steps, (1.0, 0.0, 1.0), meta={"final_answer_correct": True})
    assert flagged.first_error == 1 and flagged.outcome is True
    assert ROW.outcome is False
    assert LabelledSolution(ROW.problem, ROW.steps, (1.0, 1.0, 1.0)).outcome is True


class _FixedLogits:
    """A model that returns set logits; with `keep` it honours logits_to_keep as transformers does."""

    def __init__(self, logits, keep: bool):
        import torch

        self.logits, self.keep = logits, keep
        if keep:
            self.forward = self._forward_keep
        else:
            self.forward = self._forward
        self.torch = torch

    def _forward(self, input_ids, attention_mask):
        return type("Out", (), {"logits": self.logits})

    def _forward_keep(self, input_ids, attention_mask, logits_to_keep=None):
        logits = self.logits if logits_to_keep is None else self.logits[:, logits_to_keep]
        return type("Out", (), {"logits": logits})

    def __call__(self, **kwargs):
        return self.forward(**kwargs)


@pytest.mark.parametrize("keep", [True, False])
def test_tag_loss_is_soft_cross_entropy_at_tags_only(keep):
    import torch
    from minos.training.reward import tag_logits

    logits = torch.zeros(1, 4, 5)
    logits[0, 1, 2] = 2.0  # tag at position 1 leans "good" (id 2)
    logits[0, 3, 3] = 1.0  # tag at position 3 leans "bad" (id 3)
    logits[0, 0] = 100.0  # not a tag: must not count
    targets = torch.tensor([[-1.0, 1.0, -1.0, 0.25]])
    batch = {"input_ids": torch.zeros(1, 4, dtype=torch.long), "attention_mask": torch.ones(1, 4), "tag_targets": targets}
    pair, y = tag_logits(_FixedLogits(logits, keep), batch, 2, 3)
    assert pair.tolist() == [[2.0, 0.0], [0.0, 1.0]] and y.tolist() == [1.0, 0.25]
    p1 = torch.tensor([2.0, 0.0]).log_softmax(-1)
    p3 = torch.tensor([0.0, 1.0]).log_softmax(-1)
    expected = -((p1[0]) + (0.25 * p3[0] + 0.75 * p3[1])) / 2
    assert torch.allclose(tag_loss(pair, y), expected)
    # bad_weight 3: the soft 0.25 tag weighs 0.25 + 3 * 0.75 = 2.5 against 1 for the right one
    weighted = -(1.0 * p1[0] + 2.5 * (0.25 * p3[0] + 0.75 * p3[1])) / 3.5
    assert torch.allclose(tag_loss(pair, y, bad_weight=3.0), weighted)


@pytest.mark.parametrize(
    "probs, labels, outcomes, expected",
    [
        ([0.9, 0.1], [1.0, 0.0], [(0.1, False)], {"step_f1": 1.0, "outcome_acc": 1.0}),
        ([0.9, 0.9], [1.0, 0.0], [(0.9, False)], {"step_f1": 0.0, "outcome_acc": 0.0}),
        ([0.1, 0.1, 0.9], [1.0, 0.0, 0.0], [(0.1, False), (0.9, True)], {"step_f1": 0.5, "outcome_acc": 1.0}),
        ([0.9], [1.0], [(0.9, True)], {"step_f1": 1.0, "outcome_acc": 1.0}),  # nothing wrong, nothing flagged
    ],
)
def test_step_metrics(probs, labels, outcomes, expected):
    assert step_metrics(probs, labels, outcomes) == pytest.approx(expected)
