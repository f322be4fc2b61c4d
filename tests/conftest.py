from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Tests with these marks are slow too, whatever they take alone: the first test to load the default model pays
# its one-time conversion (about 2 minutes on a cold cache), and servers, browsers and Ray take seconds to start.
# The README's quick suite (`-m "not slow"`) leaves them all out; `-m slow` runs exactly them (CI runs both).
IMPLY_SLOW = ("gguf", "server", "browser", "ray")


@pytest.hookimpl(tryfirst=True)  # before pytest's own `-m` selection reads the marks
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in IMPLY_SLOW) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> Path:
    from tests.tiny import build_tiny_lm

    return build_tiny_lm(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory) -> Path:
    from tests.tiny import build_tiny_lm

    return build_tiny_lm(tmp_path_factory.mktemp("tiny-qwen2"), kind="qwen2", seed=1)


@pytest.fixture(autouse=True)
def _quick_tests_never_convert_the_default(request, monkeypatch):
    """A test outside the slow set that converted the default model would quietly add about 2 minutes to the
    quick suite on an empty cache (CI's, a new user's): it fails instead, naming the mark it lacks."""
    if request.node.get_closest_marker("slow"):
        return
    from minos.core import models

    def refuse(target):
        raise AssertionError("this test converts the default model (about 2 minutes on an empty cache): mark it gguf")

    monkeypatch.setattr(models, "_convert", refuse)
