"""Speed and memory benchmarks: `python -m benchmarks.run [generators|verifier|solver|all]` prints tables."""
