"""`minos.solver.build`: the one assembly of a run. Every cheap check before anything loads, the parts loaded
once and shared, one config per strategy, objects of one's own standing in for specs."""

from __future__ import annotations

import dataclasses

import pytest
from minos.solver import SolverConfig, build, build_configs
from minos.solver.assemble import Specs, options, resolve
from minos.solver.config import SETTINGS

from tests.fakes import ScriptedGenerator, TableVerifier

RIGHT = "48 / 2 = 24.\n\nThe answer is 24."


@pytest.fixture
def no_loading(monkeypatch):
    """Any model load fails the test: the checks must come first (every load goes through `_loaded`)."""
    import minos.solver.assemble as assemble

    def refuse(load):
        raise AssertionError("a model started loading")

    monkeypatch.setattr(assemble, "_loaded", refuse)


def test_objects_of_ones_own_stand_in_for_specs():
    generator, verifier = ScriptedGenerator([RIGHT]), TableVerifier({})
    config = build(generator=generator, verifier=verifier, strategy="best_of_n", n=3)
    assert isinstance(config, SolverConfig)
    assert (config.generator, config.verifier, config.strategy, config.n) == (generator, verifier, "best_of_n", 3)


def test_several_strategies_share_one_generator_and_verifier():
    configs = build_configs({"generator": ScriptedGenerator([RIGHT]), "verifier": "symbolic", "n": 2,
                             "strategy": "greedy, weighted_vote"})
    assert list(configs) == ["greedy", "weighted_vote"]
    first, second = configs.values()
    assert first.generator is second.generator and first.verifier is second.verifier and second.n == 2
    assert list(build_configs({"generator": ScriptedGenerator([RIGHT]), "verifier": "none",
                               "strategy": ["greedy", "self_consistency"]})) == ["greedy", "self_consistency"]


def test_the_verifier_none_is_no_verifier():
    assert build(generator=ScriptedGenerator([RIGHT]), verifier="none", strategy="greedy").verifier is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"nn": 3}, "unknown option 'nn'"),
        ({"strategy": "magic"}, "unknown strategy 'magic'"),
        ({"strategy": " , "}, "strategy names no strategy"),
        ({"strategy": "greedy,best_of_n"}, "strategy: one here, not 2"),
        ({"strategy": "best_of_n", "verifier": "none"}, "strategy 'best_of_n' needs a verifier"),
        ({"verifier": "bogus"}, "unknown verifier 'bogus'"),
        ({"verifier": "critic:http://127.0.0.1:9/v1"}, "needs the served model name"),
        ({"generator": "bogus"}, "unknown generator 'bogus'"),
        ({"generator": "http://127.0.0.1:9/v1"}, "needs a model name"),
        ({"generator": "http://127.0.0.1:9/v1", "model": "m", "endpoint": "grpc"}, "unknown endpoint 'grpc'"),
        ({"endpoint": "chat"}, "endpoint chat is for http:// generators, not 'default'"),
        ({"template": "jinja"}, "unknown prompt template 'jinja'"),
        ({"n": 0}, "n must be at least 1, not 0"),
        ({"top_p": 1.5}, "top_p must be at most 1.0, not 1.5"),
        ({"n": "4"}, "n must be int, not str ('4')"),
        ({"temperature": "hot"}, "temperature must be float, not str"),
        ({"aggregation": "median"}, "unknown aggregation 'median'"),
        ({"critic_samples": 0}, "critic_samples must be at least 1, not 0"),
    ],
)
def test_every_mistake_is_one_line_before_anything_loads(no_loading, given, message):
    with pytest.raises(ValueError) as caught:
        build(**given)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_recipe_then_what_is_given(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("verifier: symbolic\nstrategy: [greedy, self_consistency]\nn: 3\nmax-tokens: 64\n")
    values = resolve({"n": 2, "seed": None}, recipe=recipe)  # None: not given
    assert (values["verifier"], values["n"], values["max_tokens"], values["seed"]) == ("symbolic", 2, 64, 0)
    configs = build_configs({"generator": ScriptedGenerator([RIGHT])}, recipe=recipe)
    assert list(configs) == ["greedy", "self_consistency"] and configs["greedy"].n == 3
    recipe.write_text("nn: 3\n")
    with pytest.raises(ValueError, match="r.yaml: unknown option 'nn'"):
        build(recipe=recipe)


def test_the_options_are_the_specs_then_the_settings():
    declared = options()
    assert [o.name for o in declared] == [f.name for f in dataclasses.fields(Specs)] + list(SETTINGS)
    by_name = {o.name: o for o in declared}
    assert by_name["n"].flags == ("--n", "-n") and by_name["verifier"].flags == ("--verifier",)  # -v is --verbose
    assert by_name["max_tokens"].default == SolverConfig.max_tokens and by_name["n"].bounds == (("min", 1),)


def test_a_verifier_or_generator_alone():
    from minos.solver import build_generator, build_verifier
    from minos.verifier.base import NullVerifier

    assert isinstance(build_verifier(verifier="none"), NullVerifier)
    assert build_verifier(verifier="symbolic").name == "symbolic"
    with pytest.raises(ValueError, match="critic_samples must be at least 1"):
        build_verifier(verifier="symbolic", critic_samples=0)
    generator = ScriptedGenerator([RIGHT])
    assert build_generator(generator=generator, template="fewshot")[0] is generator
    with pytest.raises(ValueError, match="max_tokens must be at least 1"):
        build_generator(generator=generator, max_tokens=0)
