"""Verifier scoring on CPU: throughput, one pass vs a pass per step prefix, achieved FLOP rate.

Models: a tiny random Llama (tests/tiny.py) and the offline default's architecture and size (Gemma 3
270M, the real converted weights), both read through `NeuralVerifier` exactly as the solver reads them.
"""

from __future__ import annotations

import tempfile
import time

from benchmarks.common import best_of, matmul_flops, print_table

QUESTION = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)
STEPS = [
    "In April Natalia sold 48 clips.",
    "In May she sold half as many, so 48 / 2 = 24 clips.",
    "Together that is 48 + 24 = 72 clips.",
    "We double check: 72 - 48 = 24, which is May's amount.",
    "And 24 * 2 = 48, which is April's amount.",
    "So the two months add up to 72 clips.",
    "No other months are asked about.",
    "The answer is 72.",
]


def _steps(k: int) -> list[str]:
    return [STEPS[i % len(STEPS)] for i in range(k)]


def _verifier(kind: str):
    from minos.verifier.neural import NeuralVerifier
    from minos.verifier.scheme import StepTagScheme

    if kind == "tiny":
        from tests.tiny import build_tiny_lm

        return NeuralVerifier(build_tiny_lm(tempfile.mkdtemp(prefix="minos-bench-")), device="cpu")
    from minos.core.models import default_model_path

    # Gemma's tokenizer keeps " ки" as one token; + / - are its label tokens as for our own PRMs.
    return NeuralVerifier(default_model_path(), scheme=StepTagScheme(), device="cpu", batch_size=8)


def _flops_per_pass(verifier, tokens: int, scored: int) -> float:
    """2 x parameters touched per token (embeddings are a lookup), plus the LM head where it is applied."""
    model = verifier.model
    embed = model.get_input_embeddings().weight
    head = model.get_output_embeddings().weight
    body = sum(p.numel() for p in model.parameters()) - embed.numel() - (0 if head is embed else head.numel())
    return 2 * body * tokens + 2 * head.numel() * scored


def eval_path(verifier, problems: int = 8, candidates: int = 16, repeats: int = 2) -> list:
    """`minos eval processbench` / `rerank` score rows of many problems with `score_batch`; the solver scores
    one problem's candidates per call. Tokens/s of each over the same items (candidates of 4 to 12 steps)."""
    batch = [(f"{QUESTION} (variant {p})", [_steps(4 + (p + c) % 9) for c in range(candidates)]) for p in range(problems)]
    items = [(q, s) for q, cands in batch for s in cands]
    tokens = sum(len(verifier.encode(q, s)[0]) for q, s in items)
    per_problem = best_of(lambda: [verifier.score(q, c) for q, c in batch], repeats)
    together = best_of(lambda: verifier.score_batch(items), repeats)
    return [f"{problems} x {candidates}", tokens / per_problem, tokens / together, per_problem / together]


def precision_and_start(quick: bool = False) -> None:
    """The shipped verifier on 24 real model-written GSM8K solutions (tests/fixtures/real_first_errors.jsonl):
    the path before (float32, 8 rows padded to the longest) against bfloat16 and batches of like length (the
    default on CPUs that multiply bfloat16 natively), and its start: merging the adapter at load vs reading
    the merged copy cached once."""
    from pathlib import Path

    import torch
    from minos.core.data import load_labelled
    from minos.core.models import base_of
    from minos.verifier import load_verifier
    from minos.verifier.neural import cpu_has_bf16
    from minos.verifier.spec import DEFAULT_VERIFIER

    rows = load_labelled(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real_first_errors.jsonl")
    items = [(r.problem.question, list(r.steps)) for r in rows]
    ways = [  # (name, precision, padded tokens a batch at most: no bound = 8 rows padded to the longest)
        ("float32, 8 rows padded (before)", "float32", 10**9),
        ("bfloat16, 8 rows padded", "auto", 10**9),
        ("float32, like lengths <= 1,024 tokens", "float32", 1024),
        ("bfloat16, like lengths <= 1,024 tokens (now)", "auto", 1024),
    ]
    results, table = {}, []
    for name, precision, budget in ways:
        verifier = load_verifier("default", precision=precision, max_batch_tokens=budget)
        tokens = sum(len(verifier.encode(q, s)[0]) for q, s in items)

        def run(name=name, verifier=verifier):
            results[name] = verifier.score_batch(items)

        seconds = best_of(run, 1 if quick else 2)
        table.append([name, len(items), tokens, seconds, tokens / seconds])
    before = results[ways[0][0]]
    for row in table:
        row.append(table[0][3] / row[3])
        row.append(max(abs(a - b) for x, y in zip(before, results[row[0]], strict=True) for a, b in zip(x, y, strict=True)))
    print_table(
        f"shipped verifier, real solutions (CPU bfloat16 support: {cpu_has_bf16()}, {torch.get_num_threads()} threads)",
        ["way", "solutions", "tokens", "seconds", "tokens/s", "speed-up (goal >= 2)", "step-score gap (goal <= 0.02)"], table,
    )

    def merge_at_load():
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_of(DEFAULT_VERIFIER)), str(DEFAULT_VERIFIER)).merge_and_unload()

    def cached():
        from minos.core.models import merged_adapter
        from transformers import AutoModelForCausalLM

        AutoModelForCausalLM.from_pretrained(merged_adapter(DEFAULT_VERIFIER))

    print_table("shipped verifier's weights at start (tokenizer aside)", ["way", "seconds"],
                [["base + adapter, merged at load (before)", best_of(merge_at_load, 1)], ["merged copy, cached once (now)", best_of(cached, 1)]])

    def from_folder():
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(base_of(DEFAULT_VERIFIER))

    def pickled():
        from minos.core.models import load_tokenizer

        load_tokenizer(DEFAULT_VERIFIER)

    pickled()  # the first load writes the pickle
    print_table("shipped verifier's tokenizer at start", ["way", "seconds"],
                [["transformers, from tokenizer.json (before)", best_of(from_folder, 1)], ["pickled under the Minos cache (now)", best_of(pickled, 1)]])


def main(quick: bool = False) -> None:
    import torch

    torch.set_num_threads(torch.get_num_threads())
    precision_and_start(quick)
    from minos.verifier.neural import cpu_has_bf16

    precision = "bfloat16" if cpu_has_bf16() else "float32"  # what the verifier multiplies in by default
    peak = matmul_flops(dtype=precision)
    rows_throughput, rows_ratio, rows_eval = [], [], []
    for kind in ("tiny", "gemma3-270m"):
        verifier = _verifier(kind)
        rows_eval.append([kind, *eval_path(verifier, problems=4 if quick else 8)])
        candidates = [_steps(8) for _ in range(8 if quick else 16)]
        tokens = sum(len(verifier.encode(QUESTION, c)[0]) for c in candidates)
        scored = sum(len(c) for c in candidates)
        seconds = best_of(lambda v=verifier, c=candidates: v.score(QUESTION, c), 1 if quick else 3)
        flops = _flops_per_pass(verifier, tokens, scored) / seconds
        rows_throughput.append([kind, len(candidates), tokens, seconds, tokens / seconds, flops / 1e9, flops / peak])
        for k in (1, 2, 4, 8, 16):
            steps = _steps(k)
            one = best_of(lambda v=verifier, s=steps: v.score(QUESTION, [s]), 1 if quick else 3)

            def naive(v=verifier, s=steps):  # one forward pass per prefix, reading the last tag
                return [v.score(QUESTION, [s[: i + 1]])[0][-1] for i in range(len(s))]

            per_prefix = best_of(naive, 1 if quick else 3)
            rows_ratio.append([kind, k, one * 1e3, per_prefix * 1e3, per_prefix / one])
        del verifier
    print_table(
        f"verifier scoring throughput (CPU, {torch.get_num_threads()} threads, {precision} matmul peak {peak / 1e9:.1f} GFLOP/s)",
        ["model", "candidates", "tokens", "seconds", "tokens/s", "GFLOP/s", "of matmul peak"],
        rows_throughput,
    )
    print_table(
        "evaluation path (score_batch across problems, length-sorted) vs the solver's per-problem call, same batch size",
        ["model", "problems x candidates", "per problem tok/s", "eval path tok/s", "ratio (goal >= 0.8)"],
        rows_eval,
    )
    print_table(
        "one pass for all steps vs one pass per step prefix (one candidate)",
        ["model", "steps", "one pass ms", "per-prefix ms", "speed-up"],
        rows_ratio,
    )


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"{time.time() - started:.0f} s")
