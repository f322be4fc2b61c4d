"""The command line through Typer's CliRunner: exit codes, --json output, batch resume, data commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from minos.cli.main import app
from minos.core.types import Usage
from minos.generators.base import BaseGenerator, Completion
from typer.testing import CliRunner

runner = CliRunner()


class EchoGenerator(BaseGenerator):
    """Answers with the first number of the question, so every problem has a known, order-free result."""

    name = "echo"

    async def complete(self, prompt, params, *, messages=None):
        question = prompt.rsplit("Question:", 1)[-1]
        number = (re.findall(r"\d+", question) or ["0"])[0]
        text = f"We read {number} from the question.\n\nThe answer is {number}."
        return [Completion(text, "stop", Usage(len(prompt.split()), 12)) for _ in range(params.n)]


@pytest.fixture
def echo(monkeypatch):
    import minos.generators as generators

    monkeypatch.setattr(generators, "load_generator", lambda spec, model=None, **_: EchoGenerator())


def test_help_is_fast_and_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "minos.cli.main", "--help"], capture_output=True, text=True, check=True)
    for command in ("solve", "batch", "eval", "data", "train"):
        assert command in out.stdout
    # no heavy import on the help path
    probe = "import sys, minos.cli.main; print(sorted(m for m in ('torch', 'transformers', 'vllm', 'trl', 'ray') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_solve_json(echo):
    result = runner.invoke(
        app, ["solve", "Tom has 3 apples and buys 4 more.", "--n", "3", "--verifier", "symbolic", "--json", "--reference", "3"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "3" and data["correct"] is True
    assert len(data["candidates"]) == 3


class HalvingGenerator(EchoGenerator):
    """Halves 48 wrongly in step 1, so the symbolic verifier scores that step 0."""

    async def complete(self, prompt, params, *, messages=None):
        text = "Half of 48 is 48 / 2 = 26.\n\nThe answer is 26."
        return [Completion(text, "stop", Usage(5, 12)) for _ in range(params.n)]


@pytest.mark.parametrize(
    ("show", "present", "absent"),
    [
        ("best", ["chosen solution (candidate 0)", "x 0.00  1. Half of 48 is 48 / 2 = 26.", "✓ 0.50  2. The answer is 26.", "candidates"], ["candidate 1 "]),
        ("all", ["candidate 1 ", "chosen solution", "candidates"], []),
        ("none", ["answer: 26"], ["chosen solution", "candidates", "48 / 2"]),
    ],
)
def test_solve_shows_the_chosen_solution_step_by_step(monkeypatch, show, present, absent):
    import minos.generators as generators

    monkeypatch.setattr(generators, "load_generator", lambda spec, model=None, **_: HalvingGenerator())
    # the symbolic checker has no threshold of its own: 0.5 is used, so 0.5 passes and 0.0 is marked
    result = runner.invoke(app, ["solve", "Half of 48?", "--n", "2", "--verifier", "symbolic", "--show", show], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in present:
        assert text in result.output, result.output
    for text in absent:
        assert text not in result.output, result.output


def test_solve_names_the_verifiers_likeliest_first_wrong_step(monkeypatch):
    """A verifier that names a first wrong step (a stored no-error bias, as the shipped one does) has it
    shown under that step; the x marks stay the threshold's."""
    import minos.generators as generators
    from minos.verifier.symbolic import SymbolicVerifier

    monkeypatch.setattr(generators, "load_generator", lambda spec, model=None, **_: HalvingGenerator())
    monkeypatch.setattr(SymbolicVerifier, "no_error_bias", 0.0, raising=False)
    result = runner.invoke(app, ["solve", "Half of 48?", "--n", "1", "--verifier", "symbolic"], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if "1. Half of 48 is 48 / 2 = 26." in line)
    assert "verifier: the likeliest first wrong step" in lines[at + 1], result.output
    assert result.output.count("likeliest first wrong step") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["solve", "x", "--show", "some"], "--show 'some': use best, all or none"),
        (["solve", "x", "--strategy", "magic"], "unknown strategy"),
        (["solve", "x", "--strategy", "best_of_n", "--verifier", "none"], "needs a verifier"),
        (["solve", "x", "--verifier", "bogus"], "unknown verifier"),
        (["solve", ""], "problem text is empty"),
        (["solve", "  \n "], "problem text is empty"),
        (["solve", "7 + " * 300_000], "over the 1,000,000-byte limit"),
        (["eval", "processbench", "missing.json"], "missing.json"),
        (["data", "inject", "missing.jsonl", "-o", "out.jsonl"], "missing.jsonl: no such file"),
        (["batch", "missing.jsonl", "-o", "out.jsonl"], "missing.jsonl"),
    ],
)
def test_bad_usage_exits_2_with_one_line(echo, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and message in error_lines[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--verifier", "bogus"], "unknown verifier 'bogus'"),
        (["--verifier", "critic:http://127.0.0.1:9/v1"], "needs the served model name"),
        (["--generator", "bogus"], "unknown generator 'bogus'"),
        (["--generator", "http://127.0.0.1:9/v1"], "needs a model name"),
    ],
)
def test_a_bad_spec_fails_before_anything_loads_on_a_new_machine(tmp_path, args, message):
    """A new user's machine: empty Minos and Hugging Face caches, so loading the default would convert it."""
    env = {**os.environ, "MINOS_CACHE": str(tmp_path / "minos"), "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run([sys.executable, "-m", "minos.cli.main", "solve", "x", *args], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out.stderr
    assert not (tmp_path / "minos").exists()  # nothing converted or cached


def _rows(path):
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row.pop("seconds", None)
    return rows


def test_batch_resume_gives_the_same_file(echo, fixtures, tmp_path):
    args = ["batch", str(fixtures / "gsm8k_sample.jsonl"), "--n", "2", "--verifier", "symbolic", "--concurrency", "2"]
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    assert runner.invoke(app, [*args, "-o", str(whole)]).exit_code == 0
    # an interrupted run: the first three problems, then a torn last line as a kill would leave it
    assert runner.invoke(app, [*args, "-o", str(part), "--limit", "3"]).exit_code == 0
    with part.open("a") as handle:
        handle.write('{"id": "torn", "answ')
    result = runner.invoke(app, [*args, "-o", str(part), "--resume"])
    assert result.exit_code == 0, result.output
    assert _rows(part) == _rows(whole)
    rows = _rows(whole)
    assert len(rows) == sum(1 for _ in (fixtures / "gsm8k_sample.jsonl").open())
    assert all(set(row) >= {"id", "answer", "correct", "candidates"} for row in rows)


def test_batch_skips_bad_rows_and_reports_them(echo, fixtures, tmp_path):
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["batch", str(fixtures / "bad_rows.jsonl"), "-o", str(out), "--verifier", "none", "--strategy", "self_consistency", "--n", "1"])
    assert result.exit_code == 0, result.output
    assert "bad_rows.jsonl:" in result.output
    assert out.read_text().strip()  # the good rows were solved


def test_eval_processbench_json(fixtures):
    result = runner.invoke(app, ["eval", "processbench", str(fixtures / "processbench_sample.json"), "--verifier", "symbolic", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert {"error_acc", "correct_acc", "f1"} <= set(figures)


def test_data_inject_convert_errors(fixtures, tmp_path):
    injected, stepwise = tmp_path / "injected.jsonl", tmp_path / "stepwise.jsonl"
    result = runner.invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in injected.read_text().splitlines()]
    assert rows and all(r["critique"] for r in rows)
    assert all((r["first_error"] == -1) == (r["meta"]["injected"] == "none") for r in rows)
    assert sum(r["meta"]["injected"] == "none" for r in rows) == 5  # one untouched reference per problem
    result = runner.invoke(app, ["data", "convert", str(injected), "-o", str(stepwise), "--to", "stepwise"])
    assert result.exit_code == 0, result.output
    converted = [json.loads(line) for line in stepwise.read_text().splitlines()]
    assert len(converted) == len(rows) and converted[0]["labels"] == [x >= 0.5 for x in rows[0]["labels"]]
    plot = tmp_path / "types.png"
    result = runner.invoke(app, ["data", "errors", str(injected), "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    for kind in ("calculation", "logical", "irrelevant", "accumulation"):
        assert kind in result.output
    assert plot.stat().st_size > 1000


def test_data_errors_names_the_bad_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "q", "completions": ["a"], "labels": [true]}\nnot json\n')
    result = runner.invoke(app, ["data", "convert", str(bad), "-o", str(tmp_path / "o.jsonl"), "--strict"])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.stderr


def test_train_prm_and_eval_meta_commands(tiny_lm, fixtures, tmp_path):
    injected = tmp_path / "injected.jsonl"
    assert runner.invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)]).exit_code == 0
    out = tmp_path / "prm"
    result = runner.invoke(
        app,
        ["train", "prm", str(injected), "-m", str(tiny_lm), "-o", str(out), "--num-train-epochs", "2", "--learning-rate", "1e-3",
         "--max-length", "2048", "--save-steps", "5", "--eval-fraction", "0.2"],
    )
    assert result.exit_code == 0, result.output
    assert f"--verifier prm:{out}" in result.output
    result = runner.invoke(
        app, ["eval", "meta", str(out), "--data", str(injected), "--limit", "4", "--json", "--plot", str(tmp_path / "m.png")]
    )
    assert result.exit_code == 0, result.output
    curve = json.loads(result.stdout)[str(out)]
    assert len(curve) >= 2 and curve[0]["checkpoint"] == str(out / "checkpoint-5")
    steps = [p["step"] for p in curve]
    assert steps == sorted(steps) and steps[-1] > 0  # the final model sits at the run's last step
    assert (tmp_path / "m.png").stat().st_size > 1000


def test_train_reports_a_bad_tag_as_usage_error(tiny_lm, fixtures, tmp_path):
    result = runner.invoke(
        app, ["train", "orm", str(fixtures / "stepwise_sample.jsonl"), "-m", str(tiny_lm), "-o", str(tmp_path / "x"),
              "--step-tag", " <<not-one-token>>"],
    )
    assert result.exit_code == 2 and "must be one" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--max-queue", "-1"], {}, "--max-queue must be at least 0, not -1"),
        (["--max-concurrent-solves", "0"], {}, "--max-concurrent-solves must be at least 1, not 0"),
        ([], {"MINOS_SERVE_API_KEY": "  "}, "--serve-api-key is empty"),  # the key is read from the environment too
    ],
)
def test_serve_options_are_checked_before_anything_loads(args, env, message):
    result = runner.invoke(app, ["serve", *args], env=env)
    assert result.exit_code == 2 and message in result.output, result.output


def test_serve_command_derives_ids_from_the_tokenizer(tiny_lm):
    from transformers import AutoTokenizer

    result = runner.invoke(app, ["train", "serve-command", str(tiny_lm)])
    assert result.exit_code == 0, result.output
    command = result.stdout.strip()
    assert command.startswith(f"vllm serve {tiny_lm} --runner pooling --pooler-config ")
    pooler = json.loads(command.split("--pooler-config ", 1)[1].strip("'"))
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm)
    assert pooler["pooling_type"] == "STEP"
    # the ids decode back to the scheme's strings
    assert tokenizer.decode([pooler["step_tag_id"]]).strip() == "ки"
    assert [tokenizer.decode([i]).strip() for i in pooler["returned_token_ids"]] == ["+", "-"]


def test_batch_with_several_strategies_loads_the_generator_once(monkeypatch, fixtures, tmp_path):
    import minos.generators as generators

    loads = []
    monkeypatch.setattr(generators, "load_generator", lambda spec, model=None, **_: loads.append(spec) or EchoGenerator())
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["batch", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(out), "--strategy", "self_consistency,weighted_vote",
              "--verifier", "symbolic", "--n", "2", "--limit", "2"],
    )
    assert result.exit_code == 0, result.output
    assert loads == ["default"]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["strategy"]) for r in rows] == [(i, s) for i in (rows[0]["id"], rows[2]["id"]) for s in ("self_consistency", "weighted_vote")]


RECIPES = sorted((Path(__file__).resolve().parents[2] / "recipes" / "solve").glob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.stem for r in RECIPES])
def test_every_shipped_recipe_is_a_valid_config(recipe):
    from minos.solver.assemble import resolve
    from minos.solver.config import SETTINGS, check_settings

    values = resolve(recipe=recipe)
    strategies = values["strategy"] if isinstance(values["strategy"], list) else values["strategy"].split(",")
    for strategy in strategies:
        check_settings({name: values[name] for name in SETTINGS} | {"strategy": strategy})  # raises on a bad value


TRAIN_RECIPES = sorted((Path(__file__).resolve().parents[2] / "recipes" / "compare").glob("*.yaml"))


@pytest.mark.parametrize("recipe", TRAIN_RECIPES, ids=[r.stem for r in TRAIN_RECIPES])
def test_every_shipped_training_recipe_is_a_valid_stage_config(recipe, tmp_path):
    import dataclasses

    from minos.core.options import read_recipe
    from minos.training.reward import RewardConfig

    values = read_recipe(recipe, {f.name for f in dataclasses.fields(RewardConfig)})
    config = RewardConfig(model_name_or_path="m", output_dir=str(tmp_path), **values)  # raises on a bad value
    assert config.lr_scheduler_type == "constant" and config.save_total_limit == 2


def test_config_recipe_then_command_line_wins(echo, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("verifier: symbolic\nstrategy: self_consistency\nn: 3\n")
    args = ["solve", "Tom has 3 apples.", "--json", "--config", str(recipe)]
    out = json.loads(runner.invoke(app, args).stdout)
    assert (out["strategy"], len(out["candidates"])) == ("self_consistency", 3)
    out = json.loads(runner.invoke(app, [*args, "--n", "2"]).stdout)
    assert len(out["candidates"]) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nn: 3\n", "r.yaml: unknown option 'nn'"),
        ("- n\n", "r.yaml: a recipe is a mapping"),
        ("n: [unclosed\n", "r.yaml: cannot read the recipe"),
        ("aggregation: median\n", "unknown aggregation 'median'"),
        ("n: 0\n", "must be at least 1"),
    ],
)
def test_a_bad_recipe_is_one_line(echo, tmp_path, text, message):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text)
    result = runner.invoke(app, ["solve", "Tom has 3 apples.", "--config", str(recipe), "--verifier", "symbolic"])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_solver_options_come_from_the_config_fields():
    import dataclasses

    from minos.solver import SolverConfig

    help_text = runner.invoke(app, ["solve", "--help"], env={"COLUMNS": "400"}).stdout
    for f in dataclasses.fields(SolverConfig):
        if f.name not in ("generator", "verifier", "template"):
            assert f"--{f.name.replace('_', '-')}" in help_text and f.metadata["help"] in help_text


def test_train_config_reaches_every_trainer_option(tiny_lm, fixtures, tmp_path):
    """A stage config is a TrainingArguments: a recipe sets the scheduler, warmup and step count, and an
    option given on the command line still wins over the recipe."""
    recipe = tmp_path / "stage2.yaml"
    recipe.write_text("lr_scheduler_type: constant_with_warmup\nwarmup_steps: 2\nmax_steps: 4\nlearning_rate: 1.0e-3\n"
                      "save_steps: 100\nper_device_train_batch_size: 8\n")
    injected = tmp_path / "injected.jsonl"
    assert runner.invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)]).exit_code == 0
    out = tmp_path / "prm"
    result = runner.invoke(app, ["train", "prm", str(injected), "-m", str(tiny_lm), "-o", str(out),
                                 "--config", str(recipe), "--max-length", "2048", "--per-device-train-batch-size", "2"])
    assert result.exit_code == 0, result.output
    import torch

    args = torch.load(out / "training_args.bin", weights_only=False)
    assert args.lr_scheduler_type == "constant_with_warmup" and (args.warmup_steps, args.max_steps) == (2, 4)
    assert args.per_device_train_batch_size == 2  # the command line over the recipe
    (checkpoint,) = out.glob("checkpoint-*")
    rates = [e["learning_rate"] for e in json.loads((checkpoint / "trainer_state.json").read_text())["log_history"]
             if "learning_rate" in e]
    assert rates[0] < rates[-1] == pytest.approx(1e-3)  # warmup, then constant


def test_train_config_with_an_unknown_field_is_one_line(tiny_lm, fixtures, tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("lerning_rate: 1.0\n")
    result = runner.invoke(app, ["train", "prm", str(fixtures / "stepwise_sample.jsonl"), "-m", str(tiny_lm), "-o",
                                 str(tmp_path / "x"), "--config", str(recipe)])
    assert result.exit_code == 2 and "bad.yaml: unknown option 'lerning_rate'" in result.stderr


def test_data_sample_writes_model_solutions_labelled_by_answer(echo, fixtures, tmp_path):
    out = tmp_path / "sampled.jsonl"
    result = runner.invoke(app, ["data", "sample", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(out), "--n", "2", "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6 and all(r["meta"]["label_source"] == "final-answer" for r in rows)
    # the echo generator answers with the question's first number: right only where that is the answer
    assert "6 solutions of 3 problems" in result.output


def test_data_sample_takes_the_generator_options_solve_takes(fixtures, tmp_path):
    """A chat-only server with a key: `--endpoint chat --api-key` reach it as they do from `minos solve`."""
    from tests.servers import json_server

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "m", "object": "model"}]}
        text = "48 / 2 = 24.\n\nThe answer is 24."
        choices = [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"} for i in range(body.get("n") or 1)]
        return 200, {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": choices,
                     "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}}

    log: list = []
    out = tmp_path / "sampled.jsonl"
    with json_server(respond, log=log) as url:
        result = runner.invoke(app, ["data", "sample", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(out), "--n", "1",
                                     "--limit", "1", "--generator", url, "--model", "m", "--endpoint", "chat", "--api-key", "sk-test"])
    assert result.exit_code == 0, result.output
    posts = [(path, headers) for method, path, headers, _ in log if method == "POST"]
    assert posts and all(path.endswith("/chat/completions") and headers["authorization"] == "Bearer sk-test" for path, headers in posts)


def test_batch_plot_of_accuracy_against_n(echo, fixtures, tmp_path):
    out, plot = tmp_path / "out.jsonl", tmp_path / "acc.png"
    result = runner.invoke(app, ["batch", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(out), "--verifier", "symbolic",
                                 "--strategy", "greedy,self_consistency,weighted_vote", "--n", "4", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert plot.stat().st_size > 1000 and f"plot: {plot}" in result.output
    merged, replot = tmp_path / "merged.jsonl", tmp_path / "merged.png"
    result = runner.invoke(app, ["batch", "merge", str(out), "-o", str(merged), "--plot", str(replot)])
    assert result.exit_code == 0, result.output
    assert replot.stat().st_size > 1000 and merged.read_text() == out.read_text()


def test_train_layers_reaches_the_stage_config_and_conflicts_with_lora(tiny_lm, fixtures, tmp_path):
    data = str(fixtures / "stepwise_sample.jsonl")
    result = runner.invoke(app, ["train", "prm", data, "-m", str(tiny_lm), "-o", str(tmp_path / "x"),
                                 "--train-layers", "1", "--lora-rank", "4"])
    assert result.exit_code == 2 and "lora_rank and train_layers are two ways to train; give one" in result.stderr
    injected, out = tmp_path / "injected.jsonl", tmp_path / "partial"
    assert runner.invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)]).exit_code == 0
    result = runner.invoke(app, ["train", "prm", str(injected), "-m", str(tiny_lm), "-o", str(out), "--train-layers", "1",
                                 "--num-train-epochs", "1", "--max-length", "2048", "--eval-fraction", "0.2"])
    assert result.exit_code == 0, result.output
    import torch

    assert torch.load(out / "training_args.bin", weights_only=False).train_layers == 1


@pytest.mark.parametrize(
    ("where", "ours"),
    [
        ("verifier/neural.py", True),
        ("cli/solve.py", True),
        ("generators/llamacpp_local.py", True),
        (".venv/lib/python3.11/site-packages/transformers/modeling_utils.py", False),
        ("tests/cli/test_cli.py", False),
        ("README.md", False),
    ],
)
def test_only_minos_own_warnings_reach_the_terminal(where, ours):
    from minos.cli.main import _is_ours

    assert _is_ours(str(Path(__file__).resolve().parents[2] / where)) is ours


def test_third_party_warnings_go_to_the_minos_logger(echo, caplog):
    import warnings

    result = runner.invoke(app, ["solve", "Tom has 3 apples.", "--n", "1", "--verifier", "symbolic", "--show", "none"])
    assert result.exit_code == 0, result.output
    with caplog.at_level("DEBUG", logger="minos"):
        warnings.warn_explicit("old API", FutureWarning, "/x/site-packages/transformers/modeling_utils.py", 1)
    assert any("FutureWarning: old API" in r.getMessage() for r in caplog.records)


@pytest.mark.slow  # two `minos` processes, each importing the CLI afresh: about 8 s
def test_minos_solve_exits_promptly_with_its_answer_and_exit_code():
    """`minos solve` skips the interpreter's teardown once its answer is out (os._exit): the answer and the
    exit code must still come through, on success and on a usage error."""
    from tests.servers import json_server

    def respond(method, path, body):
        if method == "GET":
            return 200, {"object": "list", "data": [{"id": "m", "object": "model"}]}
        choices = [{"index": i, "text": "6 * 7 = 42.\n\nThe answer is 42.", "finish_reason": "stop"} for i in range(body.get("n") or 1)]
        return 200, {"id": "x", "object": "text_completion", "created": 0, "model": "m", "choices": choices,
                     "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}

    command = [sys.executable, "-m", "minos.cli.main", "solve"]
    with json_server(respond) as url:
        done = subprocess.run([*command, "What is 6 * 7?", "--generator", url, "--model", "m", "--verifier", "symbolic",
                               "--show", "none"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout == "42\n", done.stderr[-2000:]
    empty = subprocess.run([*command, " "], capture_output=True, text=True, timeout=300)
    assert empty.returncode == 2 and empty.stderr.strip() == "error: the problem text is empty"


@pytest.mark.parametrize("option, value", [
    ("--per-device-train-batch-size", "0"), ("--gradient-accumulation-steps", "0"), ("--save-steps", "0"),
    ("--lora-rank", "-1"), ("--train-layers", "-1"), ("--eval-fraction", "0.9"),
])
def test_train_options_out_of_bounds_are_refused_before_loading(option, value, tmp_path):
    result = runner.invoke(app, ["train", "prm", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "x"), option, value])
    assert result.exit_code == 2 and option in result.output


@pytest.mark.parametrize(("command", "stage"), [("sft", "SFTArguments"), ("prm", "RewardArguments")])
def test_train_options_come_from_the_stage_arguments(command, stage):
    import dataclasses

    import minos.training.settings as settings

    help_text = runner.invoke(app, ["train", command, "--help"], env={"COLUMNS": "400"}).stdout
    for f in dataclasses.fields(getattr(settings, stage)):
        if f.name != "mode":  # the command's name is the mode
            flag = (f.metadata.get("flags") or (f"--{f.name.replace('_', '-')}",))[0]
            assert flag in help_text and f.metadata["help"] in help_text, f.name


def test_every_command_takes_one_verifier_option_with_one_default():
    """--verifier is declared once: no command re-declares it with a default of its own, and -v is --verbose."""
    import typer.main

    group = typer.main.get_command(app)
    paths = [("solve",), ("batch", "run"), ("serve",), ("eval", "processbench"), ("eval", "threshold"), ("eval", "rerank")]
    for path in paths:
        command = group
        for name in path:
            command = command.commands[name]
        (option,) = [p for p in command.params if "--verifier" in p.opts]
        assert option.opts == ["--verifier"] and option.default is None and "(default: default)" in option.help, path
