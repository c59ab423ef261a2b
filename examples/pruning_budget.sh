#!/usr/bin/env bash
# Pruning during rocket training against pruning after it, at equal budgets
# (issue 34): the Fashion-MNIST demo pair and recipe, seeds 0, 1 and 2, 4
# epochs of training for every pruned net. "During": 4 epochs of rocket
# training, pruning from 0 to the target over the first 70 %. "After": 3
# epochs of rocket training, then 1 epoch at a tenth of the rate, pruning as
# it goes (examples/pruning_results.sh's "after", which had one epoch more
# than its "during"). Unpruned references: rocket for 4 epochs (the same
# budget) and for 3 (the start of "after"). Short runs: they compare the two
# schedules at this budget, not what long training would reach. A run whose
# results.json exists is skipped; then examples/pruning_budget_report.py
# tables them.
#
#   bash examples/pruning_budget.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RECIPE=recipes/resnet14-resnet8/fashion_mnist_demo.txt
OUT=${OUT:-results/pruning/fashion_mnist/resnet14-resnet8.equal_budget}

train() {  # train OUTPUT_DIR FLAGS...: examples/train.py unless OUTPUT_DIR/results.json exists
  local dir=$1
  shift
  [ -f "$dir/results.json" ] || $PY examples/train.py --flagfile=$RECIPE --output_dir="$dir" --noresume --verbose=2 "$@"
}

for seed in 0 1 2; do
  # The start of "after" (git does not keep its model.keras: trained again when missing).
  [ -f "$OUT/rocket_3_epochs-seed$seed/model.keras" ] || rm -f "$OUT/rocket_3_epochs-seed$seed/results.json"
  train "$OUT/rocket_3_epochs-seed$seed" --seed=$seed "$@"
  train "$OUT/rocket_4_epochs-seed$seed" --seed=$seed --epochs=4 "$@"
  for sparsity in 0.5 0.75 0.9; do
    train "$OUT/during_$sparsity-seed$seed" --seed=$seed --epochs=4 --prune_sparsity=$sparsity "$@"
    train "$OUT/after_$sparsity-seed$seed" --seed=$seed --init_from="$OUT/rocket_3_epochs-seed$seed/model.keras" \
      --prune_sparsity=$sparsity --epochs=1 --learning_rate=0.01 "$@"
  done
done
$PY examples/pruning_budget_report.py --runs_dir="$OUT"
