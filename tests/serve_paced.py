"""`python -m tests.serve_paced PORT [SERVE OPTIONS]`: `minos serve`'s app and runner (uvicorn, SIGTERM
drain) in a process of its own, with a paced scripted generator (`[sleep S]` in a question: S seconds a
solve) and a table verifier, so server tests control how long solves take."""

from __future__ import annotations

import argparse

from minos.solver.config import ServeConfig, SolverConfig
from minos.solver.server import create_app, run

from tests.fakes import PacedGenerator, TableVerifier

RIGHT = "48 / 2 = 24.\n\nThe answer is 24."
WRONG = "48 / 2 = 26.\n\nThe answer is 26."


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--serve-api-key")
    parser.add_argument("--max-concurrent-solves", type=int, default=8)
    parser.add_argument("--max-queue", type=int, default=32)
    args = parser.parse_args()
    config = SolverConfig(generator=PacedGenerator([RIGHT, WRONG, RIGHT]), verifier=TableVerifier({"48 / 2 = 26.": 0.0}),
                          strategy="weighted_vote", n=3, max_tokens=64)
    serve = ServeConfig(args.serve_api_key, args.max_concurrent_solves, args.max_queue)
    run(create_app(config, serve=serve), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
