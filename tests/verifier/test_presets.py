"""Third-party PRM presets against stand-ins laid out like the real repositories (tests/standins): for each,
Minos's scores equal the model card's own scoring code on the same inputs, to 1e-5."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from minos.verifier import load_verifier

from tests.standins import build

QUESTION = "Janet's ducks lay 16 eggs per day. She eats three for breakfast. How many eggs are left?"
SOLUTIONS = [
    ["She has 16 - 3 = 13 eggs left.", "The answer is: 13"],
    ["Janet's ducks lay 16 eggs.", "She eats 3, so 16 - 3 = 12 eggs.", "The answer is: 12"],
    ["Step 1: 16 - 3 = 13 eggs left.", "Step 2: The answer is: 13"],  # already numbered: no second prefix
]


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("standins")
    return {
        "qwen-prm": build.qwen_prm(root / "Qwen2.5-Math-PRM-7B"),
        "math-shepherd": build.math_shepherd(root / "math-shepherd-mistral-7b-prm"),
        "math-shepherd-bare": build.math_shepherd(root / "math-shepherd-bare-tag", bare_tag=True),
        "rlhflow": build.rlhflow(root / "Llama3.1-8B-PRM-Deepseek-Data"),
    }


# ------------------------------------------------------------------ the model cards' own scoring code


def qwen_card(path, question, steps):
    """Qwen2.5-Math-PRM-7B model card: AutoModel with trust_remote_code, `<extra_0>` after every step."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=True)
    model = AutoModel.from_pretrained(path, dtype=torch.float32, trust_remote_code=True).eval()
    messages = [
        {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"},
    ]
    conversation = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    input_ids = tokenizer.encode(conversation, return_tensors="pt")
    with torch.no_grad():
        logits = model(input_ids=input_ids)[0]
    step_sep_id = tokenizer.encode("<extra_0>")[0]
    probabilities = torch.nn.functional.softmax(logits, dim=-1) * (input_ids == step_sep_id).unsqueeze(-1)
    sample = probabilities[0]
    return sample[sample != 0].view(-1, 2)[:, 1].tolist()


def shepherd_card(path, question, steps):
    """math-shepherd-mistral-7b-prm model card: f"{question} {output}", "Step i: ... ки" joined by newlines."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    candidate_tokens = tokenizer.encode("+ -")[1:]
    step_tag_id = tokenizer.encode("ки")[-1]
    numbered = [s if s.startswith("Step ") else f"Step {i}: {s}" for i, s in enumerate(steps, 1)]
    output = "\n".join(f"{s} ки" for s in numbered)
    input_id = torch.tensor([tokenizer.encode(f"{question} {output}")])
    with torch.no_grad():
        logits = model(input_id).logits[:, :, candidate_tokens]
        scores = logits.softmax(dim=-1)[:, :, 0]
    return scores[input_id == step_tag_id].tolist()


def rlhflow_card(path, question, steps):
    """RLHFlow prm_evaluate (as in search-and-learn): one pass per step over the conversation so far, p(+)
    against p(-) where the last `+` is predicted (position -3: `+`, then `<|eot_id|>`)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    candidates = [tokenizer.encode("+")[-1], tokenizer.encode("-")[-1]]
    conversation, scores = [], []
    for k, step in enumerate(steps):
        conversation.append({"content": question + " " + step if k == 0 else step, "role": "user"})
        conversation.append({"content": "+", "role": "assistant"})
        text = tokenizer.apply_chat_template(conversation, tokenize=False)
        input_ids = torch.tensor([tokenizer(text, add_special_tokens=False).input_ids])
        with torch.no_grad():
            logits = model(input_ids).logits[:, -3, candidates]
        scores.append(logits.softmax(dim=-1)[0, 0].item())
    return scores


CARDS = {"qwen-prm": qwen_card, "math-shepherd": shepherd_card, "math-shepherd-bare": shepherd_card, "rlhflow": rlhflow_card}


@pytest.mark.parametrize("repo", list(CARDS))
def test_scores_equal_the_model_cards_code(repos, repo):
    preset = repo.removesuffix("-bare")
    # float32, as the cards' code runs: the check is of the input each preset builds, to 1e-5
    verifier = load_verifier(f"prm:{repos[repo]}#{preset}", device="cpu", precision="float32")
    ours = verifier.score(QUESTION, SOLUTIONS)
    for steps, row in zip(SOLUTIONS, ours, strict=True):
        card = CARDS[repo](repos[repo], QUESTION, steps)
        assert len(row) == len(steps) == len(card)
        assert row == pytest.approx(card, abs=1e-5)
    assert len({round(s, 6) for row in ours for s in row}) > 2  # scores vary: not a constant head


def test_qwen_prm_loads_the_checkpoints_own_class_and_head(repos):
    first = load_verifier(f"prm:{repos['qwen-prm']}#qwen-prm", device="cpu")
    assert type(first.model).__name__ == "Qwen2ForProcessRewardModel"
    again = load_verifier(f"prm:{repos['qwen-prm']}#qwen-prm", device="cpu")
    assert first.score(QUESTION, SOLUTIONS) == again.score(QUESTION, SOLUTIONS)  # no random head per load


def test_missing_head_weights_are_refused(repos, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    broken = tmp_path / "no-head"
    shutil.copytree(repos["qwen-prm"], broken)
    weights = load_file(broken / "model.safetensors")
    save_file({k: v for k, v in weights.items() if not k.startswith("score.")}, broken / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"lacks weights the model needs \(score\.0\.bias"):
        load_verifier(f"prm:{broken}#qwen-prm", device="cpu")


def test_a_stock_config_without_auto_map_is_refused_rather_than_given_a_random_head(repos, tmp_path):
    import shutil

    stock = tmp_path / "stock"
    shutil.copytree(repos["qwen-prm"], stock)
    config = json.loads((stock / "config.json").read_text())
    del config["auto_map"]
    config["architectures"] = ["Qwen2ForTokenClassification"]
    (stock / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="lacks weights the model needs"):  # `score.weight` of the stock class
        load_verifier(f"prm:{stock}#qwen-prm", device="cpu")


def test_orm_reading_of_qwen_prm_keeps_step_boundaries(repos):
    from minos.verifier.scheme import PRESETS
    from transformers import AutoTokenizer

    scheme = dataclasses.replace(PRESETS["qwen-prm"], mode="orm")
    text = scheme.render("q", ["a = 1.", "b = 2."], AutoTokenizer.from_pretrained(repos["qwen-prm"]))
    assert "a = 1.\n\nb = 2.<extra_0>" in text


@pytest.mark.parametrize(
    ("steps", "rendered"),
    [
        (["a", "b"], "Q Step 1: a ки\nStep 2: b ки"),
        (["Step 1: a", "b"], "Q Step 1: a ки\nStep 2: b ки"),
        (["a ки", "b"], "Q Step 1: a ки\nStep 2: b ки"),  # a tag inside a step is not doubled
    ],
)
def test_math_shepherd_text_is_the_cards(steps, rendered):
    from minos.verifier.scheme import PRESETS

    assert PRESETS["math-shepherd"].render("Q", steps) == rendered
