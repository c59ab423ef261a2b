#!/usr/bin/env bash
# Issue 33 item 1, second round: the adopted strong recipe
# (recipes/resnet20-resnet8/cifar10_strong_v2.txt) with one piece changed per
# run, ResNet-8 alone, chosen on the validation split. The pieces come from a
# literature read (the fast CIFAR recipes at this budget), most promising first:
#   lr_0.1     the one-cycle peak at 0.1 (Page's DAWNBench rate scaled to batch 128; 0.2 today)
#   pad_2      the crop's largest shift 2 pixels (airbench; 4 today)
#   warmup_0.15  the peak after 15 % of training (Page: about 21 %; 25 % today)
#   lr_0.05    the peak at 0.05 (not in the default list since lr_0.1 lost 2 points on seed 0)
#
#   bash examples/strong_recipe_ablation.sh            # seed 0 of each
#   SEEDS=1 bash examples/strong_recipe_ablation.sh lr_0.1 pad_2   # a second seed of some
#
# Runs land in results/cifar10/resnet20-resnet8.strong_v2.<piece>; the
# recipe's own run of each seed, the baseline they are compared with, is
# results/cifar10/resnet20-resnet8.strong.no_l2_norm_and_bias/light-seed<k> (the
# strong_v2 recipe's flags exactly). Finished runs are skipped and an
# interrupted one resumes (compare.py). More compare.py flags may follow the
# pieces after `--` (a smoke run: -- --dataset=synthetic --results_dir=/tmp/ablation
# --extra=--train_size=512 --extra=--epochs=1).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
declare -A FLAGS=([lr_0.1]=--learning_rate=0.1 [pad_2]=--pad=2 [warmup_0.15]=--lr_warmup=0.15
                  [lr_0.05]=--learning_rate=0.05)
PIECES=()
while (($#)) && [[ $1 != -- ]]; do PIECES+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
((${#PIECES[@]})) || PIECES=(lr_0.1 pad_2 warmup_0.15)
for piece in "${PIECES[@]}"; do
  [[ -n ${FLAGS[$piece]:-} ]] || { echo "unknown piece $piece; one of: ${!FLAGS[*]}" >&2; exit 2; }
  $PY examples/compare.py --recipe=recipes/resnet20-resnet8/cifar10_strong_v2.txt \
    --study=resnet20-resnet8.strong_v2.$piece --method=light --seeds="${SEEDS:-0}" \
    --extra="${FLAGS[$piece]}" "$@"
done
