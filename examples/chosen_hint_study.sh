#!/usr/bin/env bash
# Issue 28 items 1 and 4: the scale-free hint chosen on the validation split,
# measured on seeds 0, 1 and 2 beside today's rocket, on both pairs.
#
#   bash examples/chosen_hint_study.sh resnet
#       ResNet-20 / ResNet-8 at the study's paper recipe: the standardised
#       logits hint at the weight whose light net did best on validation in
#       `examples/hint_choice.sh resnet` (seed 0, 15 epochs), on seeds 0-2
#       (seed 0 is that grid's own run, so it is not trained again). Today's
#       rocket and the light net alone on the same seeds are the study's
#       (results/cifar10/resnet20-resnet8).
#   bash examples/chosen_hint_study.sh mobilenet
#       MobileNetV2 1.0 / 0.35 at the same recipe, in the order that answers
#       the most per CPU hour: the standardised hint at the weight whose light
#       net did best on validation after the 5 epochs of
#       `HINT=standardized_logits_mse bash examples/hint_choice.sh mobilenet`,
#       15 epochs on seed 0; the light net alone on seeds 1 and 2; the hint on
#       seeds 1 and 2; then the rest of item 1: booster alone, KD in the
#       weighting tuned on the ResNet pair's validation split (KD_TUNED: hard-
#       label weight 0.1, T = 4; results/cifar10/resnet20-resnet8.kd_grid, where
#       the authors' weighting left the student under the light net alone;
#       not re-tuned on this pair: a grid of six MobileNet KD runs is about
#       ten CPU hours here) and today's rocket on seeds 0-2, the booster of
#       the same seed as KD's teacher; last, KD with the authors' weighting
#       (alpha 0.9), which the issue names, on seeds 0-2. The booster of seed 0 is
#       trained again there: its weights were not kept (the run predates
#       booster.keras), so compare.py reruns it for KD and its record replaces
#       the committed one (84.44 % on test), which the study's notes must then say.
#
# The chosen hint's runs land in results/cifar10/<pair>.hint_choice, the
# others in the pair's study, results/cifar10/<pair>; finished runs are
# skipped and an interrupted one resumes (compare.py), so the script can be
# run again until it ends. `python examples/report.py` pairs the hint's runs
# by seed with the study's rocket and light net. More compare.py flags may
# follow the first argument (a smoke run, after hint_choice.sh's smoke run with
# the same flags: --dataset=synthetic --results_dir=/tmp/hint_choice
# --extra=--train_size=512 --extra=--epochs=1 --seeds=0).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
source examples/hint_weights.sh
case "${1:-}" in
  resnet)
    PAIR=resnet20-resnet8
    WEIGHTS=("${RESNET_HINT_WEIGHTS[@]}")
    CHOICE_STUDY=$PAIR.hint_choice ;;
  mobilenet)
    PAIR=mobilenet1.0-mobilenet0.35
    WEIGHTS=("${MOBILENET_HINT_WEIGHTS[@]}")
    CHOICE_STUDY=$PAIR.first_5_epochs ;;
  *)
    echo "usage: bash examples/chosen_hint_study.sh resnet|mobilenet [compare.py flags]" >&2; exit 2 ;;
esac
RECIPE=recipes/$PAIR/cifar10_paper.txt
# KD's setting chosen on the ResNet pair's validation split (resnet20-resnet8.kd_grid).
KD_TUNED=kd:student_loss_weight=0.1,temperature=4
EXTRA=("${@:2}")
compare() { $PY examples/compare.py --recipe=$RECIPE "$@" "${EXTRA[@]}"; }
mapfile -t GRID < <(hint_methods standardized_logits_mse "${WEIGHTS[@]}")
CHOICE_DIR=$(compare --study=$CHOICE_STUDY --print_study_dir)
hint=$($PY examples/best_setting.py --study_dir="$CHOICE_DIR" "${GRID[@]}")
echo "Chosen on validation (seed 0, $CHOICE_STUDY): $hint"
case "$1" in
  resnet)
    compare --study=$PAIR.hint_choice --method="$hint" --seeds=0,1,2 ;;
  mobilenet)
    compare --study=$PAIR.hint_choice --method="$hint" --seeds=0
    compare --method=light --seeds=0,1,2
    compare --study=$PAIR.hint_choice --method="$hint" --seeds=0,1,2
    compare --method=light --method=booster --method="$KD_TUNED" --method=rocket --seeds=0,1,2
    compare --method=kd:alpha=0.9 --seeds=0,1,2 ;;
esac
