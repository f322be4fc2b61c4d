"""`python -m benchmarks.run [generators|verifier|solver|batch|checker|serve|report|all] [--quick]`: run benchmarks, print tables."""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", nargs="?", default="all", choices=["generators", "verifier", "solver", "batch", "checker", "serve", "report", "all"])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes")
    parser.add_argument("--cold", action="store_true", help="also time a cold GGUF conversion (about 45 s)")
    args = parser.parse_args()
    if args.which in ("verifier", "all"):
        from benchmarks import bench_verifier

        bench_verifier.main(quick=args.quick)
    if args.which in ("generators", "all"):
        from benchmarks import bench_generators

        bench_generators.main(quick=args.quick, cold=args.cold)
    if args.which in ("batch", "all"):
        from benchmarks import bench_batch

        bench_batch.main(quick=args.quick)
    if args.which in ("checker", "all"):
        from benchmarks import bench_checker

        bench_checker.main(quick=args.quick)
    if args.which in ("report", "all"):
        from benchmarks import bench_report

        bench_report.main(quick=args.quick)
    if args.which in ("solver", "all"):
        from benchmarks import bench_solver

        bench_solver.main(quick=args.quick)
    if args.which in ("serve", "all"):
        from benchmarks import bench_serve

        bench_serve.main(quick=args.quick)


if __name__ == "__main__":
    main()
