#!/usr/bin/env bash
# Every export of one trained model, each measured on the whole test set
# through its runtime: writes <run>/export-<mode>.json for the README table.
#   examples/export_table.sh results/fashion_mnist/resnet14-resnet8/rocket-seed0
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${1:-results/fashion_mnist/resnet14-resnet8/rocket-seed0}
DATASET=${DATASET:-fashion_mnist}
if [ ! -f "$RUN/model.keras" ]; then
  # git keeps a run's results.json, not its model file: retrain it first.
  echo "No $RUN/model.keras (git does not keep model files). Retrain it with the run's recorded command:" >&2
  if [ -f "$RUN/results.json" ]; then
    "$PY" -c "import json, sys; from rocket_keras.training.results import current_command
print(current_command(json.load(open(sys.argv[1] + '/results.json')), sys.argv[1]))" "$RUN" >&2
  fi
  exit 1
fi
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
