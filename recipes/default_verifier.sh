#!/usr/bin/env bash
# The full recipe for the default verifier: both Math-Minos stages with LoRA on the offline default Gemma 3
# 270M, plus the ablation without stage 1, on one GPU. (The adapter shipped in verifier/weights came from
# shorter runs: stage 2 alone, 90 steps on a GPU, then 60 on a CPU; README, "The shipped verifier".)
#
#   bash recipes/default_verifier.sh BASE_MODEL_DIR DATA_DIR OUT_DIR
#
# DATA_DIR holds train.jsonl and dev.jsonl from recipes/build_data.sh (injected GSM8K train + MATH outside
# MATH-500, split by problem). Every stage resumes from its last checkpoint when run again (--resume).
# On a 2-core CPU the same commands run without --bf16 and with a smaller --per-device-train-batch-size (README).
set -euo pipefail
BASE=$1 DATA=$2 OUT=$3
MINOS=${MINOS:-minos}
COMMON=(--lora-rank 16 --max-length 512 --save-steps 100 --bf16 --resume)
stamp() { echo "[$(date +%T)] $*"; }

stamp "stage 1: SFT on critiques"
$MINOS train sft "$DATA/train.jsonl" -m "$BASE" -o "$OUT/stage1" --num-train-epochs 0.5 --learning-rate 2e-4 --per-device-train-batch-size 64 "${COMMON[@]}"
stamp "stage 2: PRM from the stage-1 adapter"
$MINOS train prm "$DATA/train.jsonl" -m "$OUT/stage1" -o "$OUT/prm" --num-train-epochs 1 --learning-rate 2e-4 --per-device-train-batch-size 64 \
    --eval-fraction 0.02 "${COMMON[@]}"
stamp "ablation: stage 2 straight from the base"
$MINOS train prm "$DATA/train.jsonl" -m "$BASE" -o "$OUT/prm-no-stage1" --num-train-epochs 1 --learning-rate 2e-4 --per-device-train-batch-size 64 \
    --eval-fraction 0.02 "${COMMON[@]}"
stamp "threshold on the dev split (never the test split)"
$MINOS eval threshold "$DATA/dev.jsonl" --verifier "prm:$OUT/prm" --write
$MINOS eval threshold "$DATA/dev.jsonl" --verifier "prm:$OUT/prm-no-stage1" --write
stamp done
