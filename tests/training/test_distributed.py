"""Stage 2 with two processes (CPU, gloo) under torchrun, which is what `accelerate launch --multi_gpu`
runs underneath: the data-parallel code path of the trainer, minus GPUs. (`accelerate launch --cpu` starts
one process unless mpirun is set up, so it would not test anything here.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow


def test_prm_trains_data_parallel_with_two_processes(tiny_lm, fixtures, tmp_path):
    from minos.cli.main import app
    from minos.verifier import load_verifier
    from typer.testing import CliRunner

    injected = tmp_path / "injected.jsonl"
    assert CliRunner().invoke(app, ["data", "inject", str(fixtures / "gsm8k_sample.jsonl"), "-o", str(injected)]).exit_code == 0
    out = tmp_path / "prm"

    def launch() -> subprocess.CompletedProcess:
        command = [
            sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
            "-m", "minos.cli.main", "train", "prm", str(injected), "-m", str(tiny_lm), "-o", str(out),
            "--num-train-epochs", "2", "--learning-rate", "1e-3", "--max-length", "2048", "--save-steps", "3", "--eval-fraction", "0.2",
        ]
        env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}
        return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)

    done = launch()
    if done.returncode != 0 and "terminate called without an active exception" in done.stderr:
        # now and then one rank aborts in the interpreter's exit, after training has finished, while gloo's
        # threads still run (seen once in a CI run, in none of 8 runs here); such a run is repeated once,
        # from scratch. Destroying the process group before exit made it hang instead (1 run in 3).
        shutil.rmtree(out, ignore_errors=True)
        done = launch()
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("stage 2 (prm) done") == 1  # one report, from the main process
    state = json.loads(next(out.glob("checkpoint-*/trainer_state.json")).read_text())
    # two processes, batch 4 each: a step consumes 8 examples of the 12 training rows
    assert state["max_steps"] == 2 * 2
    row = json.loads(injected.read_text().splitlines()[0])
    (scores,) = load_verifier(f"prm:{out}").score(row["problem"]["question"], [row["steps"]])
    assert len(scores) == len(row["steps"])
