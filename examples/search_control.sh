#!/usr/bin/env bash
# N2N's policies against random search (issue 34): the layer space of a
# ResNet-20 teacher on Fashion-MNIST (--removal=layer, the authors' 11 shrink
# actions), the same child budget and number of drawn children for both
# samplers (5 rollouts x (4 removal + 8 shrink updates) = 60 children; each
# distilled 2 epochs on 10,000 images, scored on 2,000 validation images),
# seeds 0, 1 and 2. A seed draws its own validation split, so each seed has
# its own teacher (3 epochs on 15,000 images of that seed's training split,
# search.py's default), trained by the policy search and read by the random
# one from its teacher.keras, which is committed (about 1 MB) so that a search
# resumed elsewhere uses the same teacher. A finished search (its
# summary.json) is skipped; an interrupted one resumes. The budget counts
# drawn children; the policy draws ones it has trained before more often,
# which cost nothing, so examples/search_control_report.py --write_children
# then takes each search's best children among its first <common> trained,
# the number every search reached: both samplers at the same cost. Before
# any claim (issue 34 item 2), those best children and the most accurate
# ones within ResNet-8's parameters are trained like the zoo's light net (the
# Fashion-MNIST demo recipe, light alone, seeds 0-2) beside ResNet-8 itself,
# in $OUT/retrained/<child>/ (compare.py skips finished runs), and
# examples/search_control_report.py writes control.png and control.md.
# RETRAIN_FLAGS holds more compare.py flags for those runs (a smoke run:
# RETRAIN_FLAGS="--dataset=synthetic --extra=--train_size=256").
#
#   bash examples/search_control.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/search/fashion_mnist-resnet20-layer}
BUDGET=(--model=resnet20-resnet8 --dataset=fashion_mnist --removal=layer --ratios=authors
        --rollouts=5 --removal_updates=4 --shrink_updates=8 "$@")
for seed in 0 1 2; do
  for sampler in policy random; do
    dir=$OUT/$sampler-seed$seed
    [ -f "$dir/summary.json" ] && continue
    teacher=()
    if [ $sampler = random ]; then
      path=$OUT/policy-seed$seed/teacher.keras
      [ -f "$path" ] || { echo "no $path: the policy search of seed $seed trains the teacher first" >&2; exit 1; }
      teacher=(--teacher="$path")
    fi
    [ $seed = 0 ] && [ $sampler = policy ] || teacher+=(--noreference)
    $PY examples/search.py "${BUDGET[@]}" "${teacher[@]}" --sampler=$sampler --seed=$seed --output_dir="$dir"
  done
done
retrain() {  # retrain NAME [train.py flags]: light alone on seeds 0-2, the zoo light net's recipe
  local name=$1 extra=()
  shift
  for flag in "$@"; do extra+=("--extra=$flag"); done
  # shellcheck disable=SC2086  # RETRAIN_FLAGS is a list of flags
  $PY examples/compare.py --model=resnet20-resnet8 --dataset=fashion_mnist \
    --recipe=recipes/resnet14-resnet8/fashion_mnist_demo.txt --method=light --seeds=0,1,2 \
    --results_dir="$OUT/retrained/$name" ${RETRAIN_FLAGS:-} "${extra[@]}"
}
$PY examples/search_control_report.py --search_dir="$OUT" --write_children
retrain resnet8
for seed in 0 1 2; do
  for sampler in policy random; do
    retrain $sampler-seed$seed-best --light_net="$OUT/$sampler-seed$seed/best_child_common.json"
    within=$OUT/$sampler-seed$seed/best_child_within_resnet8_common.json  # absent when no child is that small
    [ ! -f "$within" ] || retrain $sampler-seed$seed-within_resnet8 --light_net="$within"
  done
done
$PY examples/search_control_report.py --search_dir="$OUT"
