#!/usr/bin/env bash
# Every export of one trained model, each measured on the whole test set
# through its runtime: writes <run>/export-<mode>.json for the README table.
#   examples/export_table.sh results/fashion_mnist/resnet14-resnet8/rocket-seed0
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${1:-results/fashion_mnist/resnet14-resnet8/rocket-seed0}
DATASET=${DATASET:-fashion_mnist}
TMP=$(mktemp -d)
for mode in float32 float16 dynamic int8; do
  q=""; [ "$mode" != float32 ] && q="--quantization=$mode"
  "$PY" examples/export.py --model="$RUN/model.keras" --format=litert $q --dataset="$DATASET" \
    --output="$TMP/light_$mode.tflite" --json_out="$RUN/export-tflite_$mode.json"
done
"$PY" examples/export.py --model="$RUN/model.keras" --format=tf_saved_model --dataset="$DATASET" \
  --output="$TMP/light_saved_model" --json_out="$RUN/export-saved_model.json"
"$PY" examples/export.py --model="$RUN/model.keras" --format=onnx --dataset="$DATASET" \
  --output="$TMP/light.onnx" --json_out="$RUN/export-onnx.json"
rm -rf "$TMP"
