# The standardised logits hint's weights each pair's validation grid tries
# (issue 28): examples/hint_choice.sh runs them on seed 0 and
# examples/chosen_hint_study.sh chooses among them (best_setting.py). Sourced
# by both, so the two cannot disagree.
# ResNet-20 / ResNet-8, 15 epochs. 0.3 ran first, then 0.1 and 0.03; the light
# net's validation accuracy rose as the weight fell, so 0.01 extends the grid.
RESNET_HINT_WEIGHTS=(0.3 0.1 0.03 0.01)
# MobileNetV2 1.0 / 0.35, the first 5 epochs (the collapse check at 0.1, 0.03
# and 0.01). The light net's validation accuracy rose as the weight fell, so
# 0.003 extended the grid; it ended under 0.01, so the grid stops there.
MOBILENET_HINT_WEIGHTS=(0.1 0.03 0.01 0.003)
# The --method flag of a hint at each weight: hint_methods <hint> <weight>...
hint_methods() {
  local hint=$1 weight
  for weight in "${@:2}"; do echo "--method=rocket:hint=$hint,hint_weight=$weight"; done
}
