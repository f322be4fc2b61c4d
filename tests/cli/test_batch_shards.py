"""`minos batch --shard I/K` then `minos batch merge`: two shards against a loopback server, merged, equal an
unsharded run; overlapping or missing shards are errors."""

from __future__ import annotations

import json
import re

import pytest
from minos.cli.main import app
from typer.testing import CliRunner

from tests.servers import json_server

runner = CliRunner()


def _first_number(method, path, body):
    """A completions server that answers each question with its first number, in two steps."""
    if method == "GET":
        return 200, {"object": "list", "data": [{"id": "m", "object": "model"}]}
    number = re.findall(r"\d+", body["prompt"].rsplit("Question:", 1)[-1])[0]
    text = f"We read {number}.\n\nThe answer is {number}."
    choices = [{"index": i, "text": text, "finish_reason": "stop"} for i in range(body.get("n") or 1)]
    return 200, {"id": "x", "object": "text_completion", "created": 0, "model": "m", "choices": choices,
                 "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    data = tmp / "problems.jsonl"
    data.write_text("".join(json.dumps({"question": f"Tom has {i} apples. How many?", "answer": f"#### {i}"}) + "\n" for i in range(30)))
    common = ["--verifier", "symbolic", "--strategy", "self_consistency,weighted_vote", "--n", "2", "--model", "m"]
    with json_server(_first_number) as url:
        for name, extra in (("all", []), ("s0", ["--shard", "0/2"]), ("s1", ["--shard", "1/2"])):
            result = runner.invoke(app, ["batch", str(data), "-o", str(tmp / f"{name}.jsonl"), "--generator", url, *common, *extra])
            assert result.exit_code == 0, result.output
    return tmp, data


def _rows(path):
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in path.read_text().splitlines()]


def test_two_shards_merged_equal_an_unsharded_run(runs):
    tmp, data = runs
    s0, s1 = _rows(tmp / "s0.jsonl"), _rows(tmp / "s1.jsonl")
    assert s0 and s1 and not {r["id"] for r in s0} & {r["id"] for r in s1}  # disjoint shares
    result = runner.invoke(app, ["batch", "merge", str(tmp / "s1.jsonl"), str(tmp / "s0.jsonl"), "-o", str(tmp / "merged.jsonl"),
                                 "--input", str(data)])
    assert result.exit_code == 0, result.output
    assert _rows(tmp / "merged.jsonl") == _rows(tmp / "all.jsonl")
    assert "30" in result.output and "100.0%" in result.output  # the summary of the whole run


def test_overlapping_shards_are_an_error(runs):
    tmp, _ = runs
    result = runner.invoke(app, ["batch", "merge", str(tmp / "s0.jsonl"), str(tmp / "all.jsonl"), "-o", str(tmp / "x.jsonl")])
    assert result.exit_code == 1 and "is in both" in result.output


@pytest.mark.parametrize("with_input", [True, False])
def test_a_missing_shard_is_an_error(runs, with_input):
    tmp, data = runs
    args = ["batch", "merge", str(tmp / "s0.jsonl"), "-o", str(tmp / "x.jsonl")] + (["--input", str(data)] if with_input else [])
    result = runner.invoke(app, args)
    # without --input, the gaps in the input positions show it (unless only the last problems are missing)
    assert result.exit_code == 1 and "in no part" in result.output


@pytest.mark.parametrize(("shard", "message"), [("2/2", "I must be 0 to K-1"), ("x", "write I/K")])
def test_a_bad_shard_is_a_usage_error(runs, shard, message):
    tmp, data = runs
    result = runner.invoke(app, ["batch", str(data), "-o", str(tmp / "y.jsonl"), "--shard", shard, "--verifier", "symbolic"])
    assert result.exit_code == 2 and message in result.output
