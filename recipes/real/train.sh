#!/usr/bin/env bash
# The runs behind the shipped verifier (issue 18), as they ran on the 2-core CPU: each on one core
# (taskset + OMP_NUM_THREADS=1) so two run side by side, stopped at a checkpoint (constant learning rate:
# any checkpoint is a finished run of that length), all resumable with --resume.
#
#   bash recipes/real/build_data.sh ../shared/data data     # inj_gsm.jsonl, dev_sel_* / dev_rep_*
#   bash recipes/real/train.sh stage1 | stage2 | gsmmix | nostage1 | warm
set -euo pipefail
REAL=../shared/data/steps/train.jsonl
ONE="taskset -c ${CORE:-0} env OMP_NUM_THREADS=1"
case "${1:-}" in
  # stage 1: SFT on critiques (the annotators' reasons for real rows, templated ones for injected rows),
  # LoRA rank 16 from the base Gemma 3 270M; the runs here stopped at checkpoint-150 (600 critiques)
  stage1) $ONE minos train sft "$REAL" data/inj_gsm.jsonl -m gemma3-270m -o runs/s1 --lora-rank 16 \
              --config recipes/real/stage1_cpu.yaml ;;
  # stage 2 from the stage-1 adapter (the same adapter trained on)
  stage2) $ONE minos train prm "$REAL" data/inj_gsm.jsonl -m runs/s1/checkpoint-150 -o runs/s2_s1 \
              --config recipes/real/stage2_cpu.yaml ;;
  # stage 2 continued on a mix weighted towards natural GSM8K-like errors (data/mix_full_gsm.jsonl, from
  # build_data.sh) + the injected rows; the shipped adapter is its checkpoint-150
  gsmmix) $ONE minos train prm data/mix_full_gsm.jsonl data/inj_gsm.jsonl -m runs/s2_s1/checkpoint-225 -o runs/s2_mix2 \
              --config recipes/real/stage2_cpu.yaml ;;
  # the ablation: the same stage 2 from the base model, no stage 1
  nostage1) $ONE minos train prm "$REAL" data/inj_gsm.jsonl -m gemma3-270m -o runs/s2_nos1 --lora-rank 16 \
              --config recipes/real/stage2_cpu.yaml ;;
  # stage 2 on real rows from the previous shipped adapter (trained on injected errors only)
  warm) $ONE minos train prm "$REAL" data/inj_gsm.jsonl -m runs/old_weights -o runs/s2_old \
              --config recipes/real/stage2_cpu.yaml ;;
  *) echo "usage: $0 stage1|stage2|gsmmix|nostage1|warm" >&2; exit 2 ;;
esac
