#!/usr/bin/env bash
# LoRA vs partial unfreezing vs a head on frozen features, at the same CPU budget (README, "Which way to
# train"): stage 2 from the base Gemma 3 270M on one core each, stopped after MINUTES, then the last
# checkpoint of each read on dev rows it never saw (threshold picked on dev_a, F1 measured on dev_b).
#
#   bash recipes/compare_methods.sh DATA_DIR OUT_DIR [MINUTES]
#
# DATA_DIR holds train_mix.jsonl, dev_a.jsonl and dev_b.jsonl (recipes/build_data.sh, then split the dev
# file by problem). A run is stopped by `timeout`; a rerun goes on from its last checkpoint (--resume).
set -uo pipefail
DATA=$1 OUT=$2 MINUTES=${3:-20}
run() {  # name, then the method's options
    local name=$1; shift
    OMP_NUM_THREADS=1 timeout "${MINUTES}m" minos train prm "$DATA/train_mix.jsonl" -m gemma3-270m -o "$OUT/$name" \
        --config recipes/compare/stage2_cpu.yaml --resume "$@" > "$OUT/$name.log" 2>&1
}
mkdir -p "$OUT"
run lora --lora-rank 16 --learning-rate 2e-4
run partial --train-layers 2 --learning-rate 5e-5
run head --train-layers 0 --learning-rate 1e-3
for name in lora partial head; do
    last=$(ls -d "$OUT/$name"/checkpoint-* | sort -V | tail -1)
    OMP_NUM_THREADS=1 python recipes/heldout_figures.py "prm:$last" "$DATA/dev_b.jsonl" --dev "$DATA/dev_a.jsonl" \
        --out "$OUT/compare.jsonl"
done
