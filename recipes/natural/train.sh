#!/usr/bin/env bash
# The natural-error verifier runs (issue 27), each on one core by default (taskset + OMP_NUM_THREADS=1) so two
# run side by side on the 2-core CPU (CORE=0,1 THREADS=2: one run on both), constant learning rate (any checkpoint
# is a finished run), resumable (--resume).
#
#   python recipes/natural/build_data.py ../shared/data data
#   bash recipes/natural/train.sh stage2 | stage1 | stage2_after_stage1
set -euo pipefail
ONE="taskset -c ${CORE:-0} env OMP_NUM_THREADS=${THREADS:-1}"
case "${1:-}" in
  # stage 2 continued from the shipped adapter on natural errors only (no planted prmbench row)
  stage2) $ONE minos train prm data/nat_mix.jsonl -m verifier/weights -o runs/nat_s2 \
             --config recipes/natural/stage2_cpu.yaml --resume ;;
  # stage 1 continued from the shipped adapter on the natural rows' human-written reasons
  stage1) $ONE minos train sft data/nat_critiques.jsonl -m verifier/weights -o runs/nat_s1 \
             --config recipes/natural/stage1_cpu.yaml --resume ;;
  # stage 2 on natural errors after that stage 1 (the ablation's other arm: STEP=the stage-1 checkpoint; one
  # output folder per stage-1 checkpoint, so --resume never continues the arm of another). It stops at the
  # arms' 20 steps (the learning rate is constant, so checkpoint-20 is the one an endless run would write)
  stage2_after_stage1) mkdir -p "runs/nat_s1_${STEP:?}_s2"
             sed 's/^max_steps: .*/max_steps: 20/' recipes/natural/stage2_cpu.yaml > "runs/nat_s1_${STEP}_s2/stage2_arm.yaml"
             $ONE minos train prm data/nat_mix.jsonl -m "runs/nat_s1/checkpoint-${STEP}" -o "runs/nat_s1_${STEP}_s2" \
             --config "runs/nat_s1_${STEP}_s2/stage2_arm.yaml" --resume ;;
  *) echo "usage: $0 stage2|stage1|stage2_after_stage1" >&2; exit 2 ;;
esac
