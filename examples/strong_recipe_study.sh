#!/usr/bin/env bash
# Issue 33 items 2 and 3: every method under the strong recipe
# as adopted after its ablation (recipes/resnet20-resnet8/cifar10_strong_v2.txt:
# the pilot's cifar10_strong.txt with coupled L2 on kernels only), rocket's and
# KD's settings re-chosen under it on the validation split, then 3 seeds.
#
#   bash examples/strong_recipe_study.sh
#
# 1. Seed 0 grids: KD (Hinton's weighting, hard-label weight 0.1 / 0.5,
#    T = 1 / 4; the teacher is the study's booster of the same seed) and
#    rocket's hint weight (0.01, 0.03 = the recipe's, 0.1).
# 2. The best of each grid by the light net's validation accuracy at the last
#    epoch (examples/best_setting.py; never the test split).
# 3. Light alone, booster alone, the chosen KD and the chosen rocket on seeds
#    0, 1 and 2 (seed 0 of the booster, the teacher of the KD grid, and of the chosen
#    KD and rocket is already run by then; the light net alone starts here).
# Runs land in results/cifar10/resnet20-resnet8.strong_v2 (the pilot's and the
# ablation's runs are in resnet20-resnet8.strong*); finished runs are
# skipped and an interrupted one resumes (compare.py), so the script can be
# run again until it ends. More compare.py flags may follow (a smoke run:
# --dataset=synthetic --results_dir=/tmp/strong --extra=--train_size=512 --extra=--epochs=1).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RECIPE=recipes/resnet20-resnet8/cifar10_strong_v2.txt
STUDY=resnet20-resnet8.strong_v2
compare() { $PY examples/compare.py --recipe=$RECIPE --study=$STUDY "$@"; }
KD_GRID=(kd:student_loss_weight=0.1,temperature=4 kd:student_loss_weight=0.5,temperature=4
         kd:student_loss_weight=0.1,temperature=1 kd:student_loss_weight=0.5,temperature=1)
ROCKET_GRID=(rocket rocket:hint_weight=0.01 rocket:hint_weight=0.1)
DIR=$(compare --print_study_dir "$@")  # where compare.py writes, by its own rule

compare "${KD_GRID[@]/#/--method=}" "${ROCKET_GRID[@]/#/--method=}" --seeds=0 "$@"
kd=$($PY examples/best_setting.py --study_dir="$DIR" "${KD_GRID[@]/#/--method=}")
rocket=$($PY examples/best_setting.py --study_dir="$DIR" "${ROCKET_GRID[@]/#/--method=}")
echo "Chosen on validation (seed 0): $kd, $rocket"
compare --method=light --method=booster --method="$kd" --method="$rocket" --seeds=0,1,2 "$@"
