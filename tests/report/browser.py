"""Opening reports in headless Chromium: Debian's `chromium` package driven by Playwright through
`executable_path` (Playwright never downloads a browser here). `python -m tests.report.browser PAGE.html
SHOT.png` takes a screenshot of a report, as the README's."""

from __future__ import annotations

import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path


def chromium_path() -> str:
    """Debian's chromium ($MINOS_CHROMIUM to point elsewhere)."""
    found = os.environ.get("MINOS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("no chromium on PATH: `apt-get install chromium` (Debian's package; .ci/run installs it)")
    return found


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # root (CI) has no user namespace sandbox; /dev/shm is small in containers
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            launched.close()


class Opened:
    """A report open in a page: the page, the console errors and page errors seen, and the seconds from
    navigation until the report said it was drawn."""

    def __init__(self, page, errors: list[str], seconds: float) -> None:
        self.page, self.errors, self.seconds = page, errors, seconds


def open_report(chromium, path: Path, *, width: int = 1280, height: int = 900, timeout_s: float = 60.0) -> Opened:
    page = chromium.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=timeout_s * 1000)
    return Opened(page, errors, time.perf_counter() - started)


def screenshot(report: Path, png: Path, *, width: int = 1280, height: int = 1400) -> None:
    with browser() as chromium:
        opened = open_report(chromium, report, width=width, height=height)
        if opened.errors:
            raise RuntimeError(f"console errors: {opened.errors}")
        opened.page.screenshot(path=str(png), full_page=False)


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
