"""Self-contained HTML reports of Minos runs: `minos report`, `minos solve --html`, `minos eval processbench --html`.

A report is one HTML file with its styles, scripts (KaTeX included) and data inline: it opens from disk in a
browser with no server and no network. Its data are the run's own rows (`SolveResult.to_dict()` as
`minos batch` writes them, or labelled solutions with their step scores), read through `minos.core.types`.
"""

from minos.report.build import processbench_report, run_report

__all__ = ["processbench_report", "run_report"]
