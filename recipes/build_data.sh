#!/usr/bin/env bash
# Verifier training and evaluation data from ../shared/data, split by problem so that no evaluation problem
# (GSM8K test, MATH-500) and no dev problem is ever trained on.
#
#   bash recipes/build_data.sh [SHARED_DATA_DIR] [OUT_DIR] [SAMPLED.jsonl]
#
# SAMPLED: solutions written by a generator for training problems (`minos data sample`), mixed into
# train_mix.jsonl. Also written: dev_a / dev_b (60 dev problems each: pick a threshold on one, measure on
# the other) and the held-out subsets the README's figures use (first 110 GSM8K test, first 85 MATH-500
# problems).
set -euo pipefail
SRC=${1:-../shared/data} OUT=${2:-data} SAMPLED=${3:-}
mkdir -p "$OUT/split"
# train / dev by problem: the last 473 GSM8K train problems and the last 300 MATH training problems are dev
head -n 7000 "$SRC/gsm8k/train.jsonl" > "$OUT/split/gsm8k_train.jsonl"
tail -n +7001 "$SRC/gsm8k/train.jsonl" > "$OUT/split/gsm8k_dev.jsonl"
minos data inject "$OUT/split/gsm8k_train.jsonl" -o "$OUT/gsm8k_train_inj.jsonl"
minos data inject "$OUT/split/gsm8k_dev.jsonl" -o "$OUT/gsm8k_dev_inj.jsonl" --seed 1
# MATH: the 4,500 test5000 problems outside MATH-500 (--exclude matches on the problem text)
minos data inject "$SRC/math/test5000.jsonl" -o "$OUT/math_all_inj.jsonl" --exclude "$SRC/math/math500.jsonl"
python - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/math_all_inj.jsonl")]
ids = list(dict.fromkeys(r["problem"]["id"] for r in rows))  # problems in file order
dev = set(ids[-300:])
for name, keep in (("math_train_inj", lambda i: i not in dev), ("math_dev_inj", lambda i: i in dev)):
    with open(f"{out}/{name}.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows if keep(r["problem"]["id"]))
PY
cat "$OUT/gsm8k_train_inj.jsonl" "$OUT/math_train_inj.jsonl" > "$OUT/train.jsonl"
cat "$OUT/gsm8k_dev_inj.jsonl" "$OUT/math_dev_inj.jsonl" > "$OUT/dev.jsonl"
# held-out test sets: every GSM8K test problem and MATH-500
minos data inject "$SRC/gsm8k/test.jsonl" -o "$OUT/gsm8k_test_inj.jsonl" --seed 2
minos data inject "$SRC/math/math500.jsonl" -o "$OUT/math500_inj.jsonl" --seed 2
cat "$OUT/train.jsonl" ${SAMPLED:+"$SAMPLED"} > "$OUT/train_mix.jsonl"
python - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]

def problems(name):  # rows grouped by problem, in file order
    groups = {}
    for line in open(f"{out}/{name}.jsonl"):
        groups.setdefault(json.loads(line)["problem"]["id"], []).append(line)
    return list(groups.values())

def write(name, groups):
    with open(f"{out}/{name}.jsonl", "w") as f:
        f.writelines(line for group in groups for line in group)

gsm, math = problems("gsm8k_dev_inj"), problems("math_dev_inj")
write("dev_a", gsm[:40] + math[:20])
write("dev_b", gsm[40:80] + math[20:40])
write("gsm8k_test_110", problems("gsm8k_test_inj")[:110])
write("math500_85", problems("math500_inj")[:85])
PY
minos data errors "$OUT/train_mix.jsonl"
