"""Data for the natural-error verifier (issue 27): train on natural mistakes, choose on what looks like the test.

    python recipes/natural/build_data.py [SHARED_DATA_DIR] [OUT_DIR]

Writes, under OUT (default data/):
- `nat_mix.jsonl`: stage-2 rows: every natural-error row of steps/train.jsonl (mr-ben*, parc-*, vtg-gsm8k,
  bbm-*), the GSM8K-like ones (vtg-gsm8k, parc-*, bbm-arithmetic) twice; no planted `prmbench` row.
- `nat_critiques.jsonl`: stage-1 rows: the natural rows that carry a human reason (or are right), less those
  whose reason names steps but not the labelled first wrong one (label cleaning: the verdict and the label
  disagree, so one of them is wrong and stage 1 would learn the disagreement).
- the selection / report split of dev.jsonl by problem (crc32 parity, as recipes/real/build_data.sh):
  `sel_nat_gsm8k`, `sel_nat_math` (natural rows only; thresholds, checkpoints and calibration are chosen
  here) and `rep_nat_gsm8k`, `rep_nat_math`, `rep_prmbench` (figures are reported here; planted apart).
- `sel_omni.jsonl`: the ProcessBench Omni-MATH selection set (all 1,000); `sel_omni300.jsonl` and its first half
  `sel_omni150.jsonl`: fixed random subsets for comparing checkpoints quickly on a CPU; `sel_omni_more.jsonl`:
  350 others (a fixed random draw from the rows not in `sel_omni150`), held out of every choice by choose.py: the
  MATH-style report figure (the natural MATH-style report half is 20 rows); `sel_omni_rest.jsonl`: the other 500,
  chosen on beside `sel_omni150`.
- `rr_sel.jsonl` / `rr_rep.jsonl`: the recorded GPT-3 GSM8K solutions split in halves by problem id: the
  loop's aggregation, combination and confidence are fitted on `rr_sel`, and reported on `rr_rep`.
"""

import json
import random
import re
import sys
import zlib
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "data")
OUT.mkdir(parents=True, exist_ok=True)

PLANTED = {"prmbench"}
GSM8K_LIKE = {"vtg-gsm8k", "parc-gsm8k", "parc-orcamath", "parc-metamathqa", "parc-math", "bbm-arithmetic", "mr-gsm8k"}
GSM8K_STYLE = {"mr-gsm8k", "parc-gsm8k", "vtg-gsm8k"}


def rows(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write(name, items):
    with open(OUT / f"{name}.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in items)
    print(f"{name}: {len(items)} rows")


def half(text: str) -> str:
    return "sel" if zlib.crc32(text.encode()) % 2 == 0 else "rep"


train = [r for r in rows(SRC / "steps/train.jsonl") if r["source"] not in PLANTED]
mix = train + [r for r in train if r["source"] in GSM8K_LIKE]
random.Random(1).shuffle(mix)
write("nat_mix", mix)


def names_other_step(row) -> bool:
    """The reason names steps ("the mistake in step 3"; steps are numbered from 1) but not the labelled one."""
    named = {int(n) for n in re.findall(r"\b[Ss]tep\s*(\d+)", row.get("reason") or "")}
    return bool(named) and row["label"] + 1 not in named


critiqued = [r for r in train if r["label"] == -1 or (r.get("reason") or "").strip()]
kept = [r for r in critiqued if r["label"] == -1 or not names_other_step(r)]
print(f"label cleaning: {len(critiqued) - len(kept)} critiques name another step than their label, dropped")
critiqued = kept
random.Random(2).shuffle(critiqued)
write("nat_critiques", critiqued)

parts: dict[str, list] = {}
for r in rows(SRC / "steps/dev.jsonl"):
    part = half(r["problem"])
    if r["source"] in PLANTED:
        if part == "rep" and len(parts.get("rep_prmbench", [])) < 300:
            parts.setdefault("rep_prmbench", []).append(r)
        continue
    style = "gsm8k" if r["source"] in GSM8K_STYLE else "math"
    parts.setdefault(f"{part}_nat_{style}", []).append(r)
for name, items in sorted(parts.items()):
    write(name, items)

omni = rows(SRC / "steps/select_processbench_omnimath.jsonl")
write("sel_omni", omni)
sample = random.Random(3).sample(omni, 300)
write("sel_omni300", sample)
write("sel_omni150", sample[:150])
first = {r["id"] for r in sample[:150]}
more = [r for r in omni if r["id"] not in first]
random.Random(27).shuffle(more)
write("sel_omni_more", more[:350])
write("sel_omni_rest", more[350:])  # the other 500: selection rows too (chosen on with sel_omni150)

rerank = rows(SRC / "rerank/gsm8k_gpt3.jsonl")
write("rr_sel", [r for r in rerank if half(r["id"]) == "sel"])
write("rr_rep", [r for r in rerank if half(r["id"]) == "rep"])
write("rr_rep150", [r for r in rerank if half(r["id"]) == "rep"][:150])  # what a CPU afternoon can score
