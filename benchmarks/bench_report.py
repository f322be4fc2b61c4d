"""`minos report` on a large run: build time, file size, and the time headless Chromium takes to open it
and to draw one problem (10,000 problems x 16 candidates, three strategies sharing one draw)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import print_table


def main(quick: bool = False) -> None:
    from minos.report import run_report
    from minos.report.build import read_runs

    from tests.report.browser import browser, open_report
    from tests.report.runs import synthetic_rows, write_rows

    rows_of = []
    for problems in ((1_000,) if quick else (1_000, 10_000)):
        with tempfile.TemporaryDirectory() as folder:
            run = write_rows(Path(folder) / "run.jsonl", synthetic_rows(problems, candidates=16))
            output = Path(folder) / "report.html"
            started = time.perf_counter()
            sizes = run_report(read_runs([run]), output)
            build = time.perf_counter() - started
            with browser() as chromium:
                opens = []
                for _ in range(3):
                    opened = open_report(chromium, output)
                    opens.append(opened.seconds)
                    assert not opened.errors, opened.errors
                    started = time.perf_counter()
                    opened.page.locator("details.problem summary").first.click()
                    opened.page.wait_for_selector("details.problem .card")
                    expand = time.perf_counter() - started
                    opened.page.close()
            rows_of.append([f"{problems:,} x 16 candidates, 3 strategies", f"{run.stat().st_size / 1e6:,.1f} MB",
                            f"{sizes['bytes'] / 1e6:,.1f} MB", build, min(opens), expand])
    print_table("minos report: a large run (synthetic GSM8K-like rows)",
                ["run", "JSONL", "HTML", "build s", "open s (best of 3)", "first problem drawn s"], rows_of)
