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
# summary.json) is skipped; an interrupted one resumes. Then
# examples/search_control_report.py writes control.png and control.md.
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
$PY examples/search_control_report.py --search_dir="$OUT"
