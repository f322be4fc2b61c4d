import dataclasses
import math
import re
import warnings

import pytest
from minos.verifier import PRESETS, StepTagScheme, aggregate, load_verifier
from minos.verifier.neural import NeuralVerifier, length_batches

STEPS = ["Natalia sold 48 / 2 = 24 clips in May.", "Altogether 48 + 24 = 72.", "The answer is 72."]


def test_one_pass_step_scores_equal_prefix_scores(tiny_lm):
    v = NeuralVerifier(tiny_lm)
    full = v.score("How many clips?", [STEPS])[0]
    assert len(full) == 3
    for k in range(1, 4):
        alone = v.score("How many clips?", [STEPS[:k]])[0]
        assert alone[-1] == pytest.approx(full[k - 1], abs=1e-5)


def test_batched_and_padded_equals_one_by_one(tiny_lm):
    # float32: padding must change nothing, to 1e-5 (bfloat16 rounds differently with other batch shapes)
    v = NeuralVerifier(tiny_lm, batch_size=4, precision="float32")
    solutions = [STEPS, STEPS[:1], ["x"] * 5, STEPS[1:]]
    batched = v.score("q", solutions)
    for steps, row in zip(solutions, batched, strict=True):
        assert row == pytest.approx(v.score("q", [steps])[0], abs=1e-5)
        assert all(0.0 <= s <= 1.0 for s in row)


@pytest.mark.parametrize(
    ("lengths", "max_rows", "max_tokens", "batches"),
    [
        ([], 8, 1024, []),
        ([5, 3, 4], 8, None, [[1, 2, 0]]),  # shortest first
        ([5, 3, 4], 2, None, [[1, 2], [0]]),
        ([300, 100, 500, 2000], 8, 1024, [[1, 0], [2], [3]]),  # 3 rows padded to 500 would be 1,500 tokens
        ([2000, 10], 8, 1024, [[1], [0]]),  # longer than the budget: alone, never dropped
        ([256] * 5, 8, 1024, [[0, 1, 2, 3], [4]]),  # exactly at the budget
    ],
)
def test_length_batches(lengths, max_rows, max_tokens, batches):
    assert length_batches(lengths, max_rows, max_tokens) == batches


def test_length_batches_score_as_one_by_one(tiny_lm):
    v = NeuralVerifier(tiny_lm, batch_size=8, max_batch_tokens=60, precision="float32")
    solutions = [STEPS * 3, STEPS[:1], ["x"] * 5, STEPS[1:], STEPS]
    batched = v.score("q", solutions)
    for steps, row in zip(solutions, batched, strict=True):
        assert row == pytest.approx(v.score("q", [steps])[0], abs=1e-5)


def test_bfloat16_linears_give_the_products_autocast_gave(tiny_lm, monkeypatch):
    import torch
    from minos.verifier import neural

    fast = NeuralVerifier(tiny_lm, precision="bfloat16")
    head = fast.model.get_output_embeddings().weight
    body = [m for m in fast.model.modules() if isinstance(m, torch.nn.Linear) and m.weight is not head]
    assert body and all(m.weight.dtype == torch.bfloat16 for m in body)
    assert head.dtype == fast.model.get_input_embeddings().weight.dtype == torch.float32
    monkeypatch.setattr(neural, "_bfloat16_linears", lambda model: None)
    cast_each_pass = NeuralVerifier(tiny_lm, precision="bfloat16")
    assert next(cast_each_pass.model.parameters()).dtype == torch.float32
    solutions = [STEPS, STEPS[:1], ["x"] * 5]
    for row, expected in zip(fast.score("q", solutions), cast_each_pass.score("q", solutions), strict=True):
        assert row == pytest.approx(expected, abs=1e-6)


def test_orm_mode_scores_the_final_tag_only(tiny_lm):
    prm = NeuralVerifier(tiny_lm)
    orm = NeuralVerifier(tiny_lm, mode="orm")
    (row,) = orm.score("q", [STEPS])
    assert len(row) == 1
    assert 0.0 <= row[0] <= 1.0
    assert orm.scheme.render("q", STEPS).count("ки") == 1 and prm.scheme.render("q", STEPS).count("ки") == 3


def test_truncation_warns_and_marks_lost_steps_nan(tiny_lm):
    v = NeuralVerifier(tiny_lm, max_length=40)
    long_steps = ["Natalia sold 48 / 2 = 24 clips in May and then some more."] * 6
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (row,) = v.score("q", [long_steps])
    assert any("get no score" in str(w.message) for w in caught)
    assert len(row) == 6 and math.isnan(row[-1]) and not math.isnan(row[0])
    assert aggregate(row, "min") == min(s for s in row if not math.isnan(s))


def test_token_classification_head(tiny_qwen):
    from transformers import AutoConfig, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(tiny_qwen, num_labels=2)
    model = AutoModelForTokenClassification.from_pretrained(tiny_qwen, config=config)
    scheme = dataclasses.replace(PRESETS["qwen-prm"], chat=False)
    v = NeuralVerifier(tiny_qwen, scheme=scheme, model=model)
    (row,) = v.score("q", [STEPS])
    assert len(row) == 3 and all(0 <= s <= 1 for s in row)


def test_multi_token_tag_is_refused(tiny_lm):
    with pytest.raises(ValueError, match="must be one"):
        NeuralVerifier(tiny_lm, scheme=StepTagScheme(tag=" <<STEP-TAG>>"))


def test_scheme_saved_beside_a_checkpoint_is_used(tiny_lm, tmp_path):
    import shutil

    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_lm, ckpt)
    StepTagScheme(mode="orm").save(ckpt)
    v = load_verifier(f"prm:{ckpt}")
    assert v.scheme.mode == "orm"


@pytest.mark.parametrize(("stored", "error"), [
    ({"gsm8k": -0.75, "math": -0.375}, None),
    (-0.75, None),
    ({"GSM8K": -0.75}, "field 'hybrid_no_error_bias' names unknown question styles ['GSM8K']"),
])
def test_a_stored_bias_per_style_names_known_styles(tmp_path, stored, error):
    StepTagScheme(hybrid_no_error_bias=stored).save(tmp_path)
    if error is None:
        assert StepTagScheme.load(tmp_path).hybrid_no_error_bias == stored
        hash(StepTagScheme.load(tmp_path))  # a bias mapping leaves the scheme hashable
    else:
        with pytest.raises(ValueError, match=re.escape(error)):
            StepTagScheme.load(tmp_path)



def test_a_step_probe_beside_the_checkpoint_reads_a_middle_layer(tiny_lm, tmp_path, monkeypatch):
    """`minos_probe.json` beside a checkpoint: each step's score is the probe's logistic read of the stored
    layers' hidden states at the tag plus the head's log-odds, computed here by hand from the model's own
    hidden states; the ORM reading keeps the head."""
    import shutil

    import torch
    from minos.verifier.probe import StepProbe

    checkpoint = shutil.copytree(tiny_lm, tmp_path / "checkpoint")
    plain = NeuralVerifier(checkpoint, precision="float32")
    head = plain.score("How many clips?", [STEPS])[0]
    hidden = plain.model.config.hidden_size
    torch.manual_seed(0)
    weight = (torch.randn(2 * hidden + 1) / hidden).tolist()
    StepProbe(layers=(1, 2), weight=tuple(weight), bias=0.3).save(checkpoint)

    probed = NeuralVerifier(checkpoint, precision="float32")
    kept, read = [], StepProbe.read

    def spy(self, hidden_states, *args):
        kept.append([h is not None for h in hidden_states])
        return read(self, hidden_states, *args)

    monkeypatch.setattr(StepProbe, "read", spy)
    got = probed.score("How many clips?", [STEPS])[0]
    assert kept == [[False, True, True]]  # the probe's layers only: not the embeddings (nor every layer of a big model)
    ids, at = plain.encode("How many clips?", STEPS)
    with torch.inference_mode():
        states = plain.model(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
    odds = torch.tensor([math.log(p / (1 - p)) for p in head])
    feats = torch.cat([states[1][0, at], states[2][0, at], odds[:, None]], -1)
    expected = torch.sigmoid(feats @ torch.tensor(weight) + 0.3).tolist()
    assert got == pytest.approx(expected, abs=1e-5)
    assert max(abs(a - b) for a, b in zip(got, head, strict=True)) > 1e-3  # the probe, not the head
    assert NeuralVerifier(checkpoint, mode="orm").probe is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"layers": [1], "weight": [0.5]}', "minos_probe.json: not a step probe file"),
        ('{"layers": [1, 2], "weight": [0.1, 0.2, 0.3], "bias": 0}', "step probe expects 3 features, the model gives 65"),
    ],
)
def test_a_bad_step_probe_is_one_clear_error(tiny_lm, tmp_path, content, message):
    import shutil

    checkpoint = shutil.copytree(tiny_lm, tmp_path / "checkpoint")
    (checkpoint / "minos_probe.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        NeuralVerifier(checkpoint).score("q", [STEPS])
