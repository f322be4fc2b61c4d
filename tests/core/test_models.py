"""The offline default model's name resolves to its cached conversion wherever a model path is taken."""

from __future__ import annotations

import json

import pytest
from minos.core import models


@pytest.fixture
def converted(tmp_path, monkeypatch):
    target = tmp_path / "cache" / "models" / "gemma3-270m"
    monkeypatch.setattr(models, "default_model_path", lambda: target)
    return target


@pytest.mark.parametrize(("given", "default"), [
    ("gemma3-270m", True),                      # the name, as the README's `-m gemma3-270m`
    ("/elsewhere/.cache/minos/models/gemma3-270m", True),  # recorded by an adapter trained on another machine
    ("Qwen/Qwen2.5-Math-1.5B", False),          # a hub name: left as it is
    ("runs/stage1", False),
])
def test_resolve_model(converted, given, default):
    assert models.resolve_model(given) == (str(converted) if default else given)


def test_a_local_folder_named_like_the_default_is_used_as_it_is(converted, tmp_path, monkeypatch):
    (tmp_path / "gemma3-270m").mkdir()
    monkeypatch.chdir(tmp_path)
    assert models.resolve_model("gemma3-270m") == "gemma3-270m"


def test_adapter_base_resolves_through_the_same_rule(converted, tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/gone/gemma3-270m"}))
    assert models.base_of(adapter) == str(converted)
    assert models.base_of(tmp_path) is None  # not an adapter folder


def test_the_one_time_conversion_says_so_once(monkeypatch, tmp_path, caplog):
    """The first use converts the GGUF (about 40 s) and says so in one line; later uses read the cache silently."""
    from minos.core import models

    def convert(target):
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")

    monkeypatch.setenv("MINOS_CACHE", str(tmp_path))
    monkeypatch.setattr(models, "_convert", convert)
    with caplog.at_level("DEBUG", logger="minos"):
        first = models.default_model_path()
        second = models.default_model_path()
    assert first == second == tmp_path / "models" / "gemma3-270m"
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("converting the bundled Gemma 3 270M GGUF") and "once per machine" in line


def test_tokenizers_are_kept_pickled_and_a_bad_copy_is_replaced(tiny_lm, tmp_path, monkeypatch):
    from minos.core.models import load_tokenizer

    monkeypatch.setenv("MINOS_CACHE", str(tmp_path))
    first = load_tokenizer(tiny_lm)
    (kept,) = (tmp_path / "tokenizers").glob("*.pkl")
    again = load_tokenizer(tiny_lm)  # read back from the pickle
    text = "Step 1: 48 / 2 = 24. ки"
    assert again(text).input_ids == first(text).input_ids and again.pad_token_id == first.pad_token_id
    kept.write_bytes(b"not a pickle")  # a torn or foreign copy: loaded from the folder again and rewritten
    assert load_tokenizer(tiny_lm)(text).input_ids == first(text).input_ids
    assert kept.read_bytes() != b"not a pickle"
