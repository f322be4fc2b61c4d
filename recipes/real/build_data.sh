#!/usr/bin/env bash
# Data for the shipped verifier (issue 18): real model-written solutions first.
#
#   bash recipes/real/build_data.sh [SHARED_DATA_DIR] [OUT_DIR]
#
# Writes OUT/inj_gsm.jsonl (errors injected into the first 400 GSM8K train problems, with templated critiques:
# a fifth of the stage-2 mix beside the 6,012 real rows of steps/train.jsonl) and the dev split by problem:
# dev_sel_* (threshold, mix, checkpoint are chosen here) and dev_rep_* (figures are reported here, at the
# threshold fixed on dev_sel), each in a GSM8K-style file (every mr-gsm8k and parc-gsm8k row of its problems)
# and a MATH-style one (parc-math, mr-ben, and the first 300 prmbench rows of its problems).
set -euo pipefail
SRC=${1:-../shared/data} OUT=${2:-data}
mkdir -p "$OUT"
head -n 400 "$SRC/gsm8k/train.jsonl" > "$OUT/gsm8k_train400.jsonl"
minos data inject "$OUT/gsm8k_train400.jsonl" -o "$OUT/inj_gsm.jsonl"
python - "$SRC/steps/dev.jsonl" "$OUT" <<'PY'
import json, sys, zlib
src, out = sys.argv[1], sys.argv[2]
GSM8K_STYLE = {"mr-gsm8k", "parc-gsm8k"}
parts, prmbench = {}, {}
for line in open(src, encoding="utf-8"):
    row = json.loads(line)
    part = "dev_sel" if zlib.crc32(row["problem"].encode()) % 2 == 0 else "dev_rep"
    if row["source"] == "prmbench":
        if prmbench.get(part, 0) >= 300:
            continue
        prmbench[part] = prmbench.get(part, 0) + 1
    style = "gsm8k" if row["source"] in GSM8K_STYLE else "math"
    parts.setdefault(f"{part}_{style}", []).append(line)
for name, lines in sorted(parts.items()):
    with open(f"{out}/{name}.jsonl", "w", encoding="utf-8") as f:
        f.writelines(lines)
    print(name, len(lines), "rows")
PY
# the stage-2 continuation's mix: every real train row, the natural-error GSM8K-like rows (parc-orcamath,
# parc-metamathqa, parc-math) three times and the BIG-Bench-Mistake arithmetic rows twice (7,024 rows, shuffled)
python - "$SRC/steps/train.jsonl" "$OUT" <<'PY'
import json, random, sys
src, out = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(src, encoding="utf-8")]
mix = list(rows)
for row in rows:
    mix += [row] * (2 if row["source"].startswith("parc-") else 1 if row["source"] == "bbm-arithmetic" else 0)
random.Random(1).shuffle(mix)
with open(f"{out}/mix_full_gsm.jsonl", "w", encoding="utf-8") as f:
    f.writelines(json.dumps(r) + "\n" for r in mix)
print("mix_full_gsm", len(mix), "rows")
PY
# 200-row selection subsets for comparing checkpoints and runs quickly (about 4 CPU-minutes a checkpoint):
# every parc-gsm8k row of dev_sel (the right GSM8K-style solutions are all there) + 56 mr-gsm8k rows, and the
# parc-math rows of dev_sel + 84 prmbench rows
python - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
g = [json.loads(l) for l in open(f"{out}/dev_sel_gsm8k.jsonl", encoding="utf-8")]
m = [json.loads(l) for l in open(f"{out}/dev_sel_math.jsonl", encoding="utf-8")]
subsets = {
    "sel_small_gsm8k": [r for r in g if r["source"] == "parc-gsm8k"] + [r for r in g if r["source"] == "mr-gsm8k"][:56],
    "sel_small_math": [r for r in m if r["source"] != "prmbench"] + [r for r in m if r["source"] == "prmbench"][:84],
}
for name, rows in subsets.items():
    with open(f"{out}/{name}.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    print(name, len(rows), "rows")
PY
