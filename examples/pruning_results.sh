#!/usr/bin/env bash
# The pruning and light-template measurements of results/pruning/ (issue 19),
# on the Fashion-MNIST demo recipe: 3-epoch runs, one seed, so they show what
# each tool does to size, speed and accuracy at this budget, not what long
# training would reach. A run whose results.json exists is skipped.
#
#   bash examples/pruning_results.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RECIPE=recipes/resnet14-resnet8/fashion_mnist_demo.txt
OUT=results/pruning/fashion_mnist/resnet14-resnet8

train() {  # train OUTPUT_DIR FLAGS...: examples/train.py unless OUTPUT_DIR/results.json exists
  local dir=$1
  shift
  [ -f "$dir/results.json" ] || $PY examples/train.py --flagfile=$RECIPE --output_dir="$dir" --noresume --verbose=2 "$@"
}

# The unpruned rocket pair: the reference, and the start of "after" (git
# does not keep its model.keras, so it is trained again when missing).
[ -f "$OUT/rocket/model.keras" ] || rm -f "$OUT/rocket/results.json"
train "$OUT/rocket"

for sparsity in 0.5 0.75 0.9; do
  # During rocket training: from 0 to the target over the first 70 % of it.
  train "$OUT/during-$sparsity" --prune_sparsity=$sparsity
  # After it: one more epoch of rocket training at a tenth of the rate, pruning as it goes.
  train "$OUT/after-$sparsity" --init_from="$OUT/rocket/model.keras" --prune_sparsity=$sparsity \
    --epochs=1 --learning_rate=0.01
done

# Per-layer sensitivity of the trained light net (validation split), and a
# run that prunes each layer to its own target.
[ -f "$OUT/sensitivity/sensitivity.json" ] || $PY examples/prune_sensitivity.py \
  --model_file="$OUT/rocket/model.keras" --dataset=fashion_mnist --output_dir="$OUT/sensitivity"
train "$OUT/during-targets" --prune_targets="$OUT/sensitivity/sensitivity.json"

# The ShuffleNetV2 and SqueezeNet light nets, alone and with rocket ("bottom"
# sharing), in the main result tree (report.py and the model cards read them).
for pair in shufflenet2.0-shufflenet0.5 squeezenet1.0-squeezenet0.5; do
  $PY examples/compare.py --model=$pair --dataset=fashion_mnist --recipe=$RECIPE \
    --method=light --method=rocket --seeds=0
done
