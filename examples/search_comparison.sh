#!/usr/bin/env bash
# The N2N search's children against the hand-designed ResNet-8, trained the
# same way (the Fashion-MNIST demo recipe, 3 epochs: short runs), alone and
# with rocket; the booster is the pair's ResNet-14 and nothing is shared
# (--share=none), since a shrunk child's widths differ from the booster's.
# Results land in results/search/comparison/<light net>/; finished runs are skipped.
#
#   bash examples/search_comparison.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SEARCH=results/search/fashion_mnist-resnet14
compare() {  # compare NAME SEEDS [train.py flags]
  local name=$1 seeds=$2
  shift 2
  local extra=()
  for flag in --share=none "$@"; do extra+=("--extra=$flag"); done
  $PY examples/compare.py --model=resnet14-resnet8 --dataset=fashion_mnist \
    --recipe=recipes/resnet14-resnet8/fashion_mnist_demo.txt --method=light --method=rocket \
    --seeds="$seeds" --results_dir="results/search/comparison/$name" "${extra[@]}"
}
compare resnet8 0,1,2
compare n2n_within_resnet8 0,1,2 --light_net=$SEARCH/best_child_within_resnet8.json
compare n2n_best_reward 0,1,2 --light_net=$SEARCH/best_child.json
