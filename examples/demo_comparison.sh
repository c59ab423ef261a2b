#!/usr/bin/env bash
# Rocket vs the same light net trained alone, on the demo recipe, 3 seeds.
# Writes results/fashion_mnist/resnet14-resnet8/<method>-seed<k>/;
# a run whose results.json exists is skipped, so the script can be resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=results/fashion_mnist/resnet14-resnet8
for seed in 0 1 2; do
  for method in rocket light; do
    dir=$OUT/$method-seed$seed
    [ -f "$dir/results.json" ] && continue
    "$PY" examples/train.py --flagfile=recipes/resnet14-resnet8/fashion_mnist_demo.txt \
      --method=$method --seed=$seed --output_dir="$dir" --verbose=2
    rm -rf "$dir/backup" "$dir/logs"
  done
done
