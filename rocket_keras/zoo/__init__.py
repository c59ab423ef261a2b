"""The model zoo: rocket pairs of ResNet, WideResNet, MobileNetV2, ShuffleNetV2 and SqueezeNet.

```python
from rocket_keras.zoo import get_model, list_models, rocket_resnet

model = rocket_resnet(input_shape=(28, 28, 1), num_classes=10)
print(list_models())
```
"""

from rocket_keras.zoo.architectures import get_network, network_spec, pair_architectures
from rocket_keras.zoo.mobilenet import rocket_mobilenet
from rocket_keras.zoo.presets import from_preset, list_presets, load_preset_config, save_preset
from rocket_keras.zoo.registry import get_entry, get_model, list_models, register_deprecated_name, register_model
from rocket_keras.zoo.resnet import rocket_resnet
from rocket_keras.zoo.shufflenet import rocket_shufflenet
from rocket_keras.zoo.squeezenet import rocket_squeezenet
from rocket_keras.zoo.wide_resnet import rocket_wide_resnet

__all__ = [
    "from_preset",
    "get_entry",
    "get_model",
    "get_network",
    "list_models",
    "list_presets",
    "load_preset_config",
    "network_spec",
    "pair_architectures",
    "register_deprecated_name",
    "register_model",
    "rocket_mobilenet",
    "rocket_resnet",
    "rocket_shufflenet",
    "rocket_squeezenet",
    "rocket_wide_resnet",
    "save_preset",
]

# Registered names are architectures only, as in keras.applications: input
# shape and classes are builder arguments (default 32x32x3, 10 classes).
# Recipes per pair and dataset live in recipes/<pair>/.
register_model(
    "resnet14-resnet8",
    rocket_resnet,
    "The demo pair: ResNet-14 booster, ResNet-8 light, interval sharing.",
    booster_depth=14, light_depth=8, share="interval",
)
register_model(
    "resnet20-resnet8",
    rocket_resnet,
    "The evidence study's pair: ResNet-20 booster, ResNet-8 light, interval sharing (the light net reuses "
    "1 of 3 booster blocks a stage, the ratio of WRN-40-1 / WRN-16-1).",
    booster_depth=20, light_depth=8, share="interval",
)
register_model(
    "resnet56-resnet20",
    rocket_resnet,
    "ResNet-56 booster, ResNet-20 light, interval sharing.",
    booster_depth=56, light_depth=20, share="interval",
)
register_model(
    "wrn40_1-wrn16_1",
    rocket_wide_resnet,
    "The paper's pair: WRN-40-1 booster, WRN-16-1 light, interval sharing.",
    booster_depth=40, booster_width=1, light_depth=16, light_width=1, share="interval",
)
register_model(
    "wrn40_2-wrn16_2",
    rocket_wide_resnet,
    "The paper's pair: WRN-40-2 booster, WRN-16-2 light, interval sharing.",
    booster_depth=40, booster_width=2, light_depth=16, light_width=2, share="interval",
)
register_model(
    "mobilenet1.0-mobilenet0.35",
    rocket_mobilenet,
    "MobileNetV2 pair: alpha 1.0 booster, alpha 0.35 light, bottom sharing: the widths differ, so the "
    "booster's convolutions cannot be the light net's as under interval sharing; the stem and the first "
    "stage are computed once, at the light net's width, so the shipped net stays within its budget.",
    booster_alpha=1.0, light_alpha=0.35, share="bottom", shared_stages=1,
)
register_model(
    "shufflenet2.0-shufflenet0.5",
    rocket_shufflenet,
    "ShuffleNetV2 pair: width 2.0 booster, width 0.5 light, bottom sharing.",
    booster_width=2.0, light_width=0.5, share="bottom", shared_stages=1,
)
register_model(
    "squeezenet1.0-squeezenet0.5",
    rocket_squeezenet,
    "SqueezeNet pair: full-width booster, half-width light, bottom sharing.",
    booster_width=1.0, light_width=0.5, share="bottom", shared_stages=1,
)
_FASHION_MNIST = {"input_shape": (28, 28, 1), "num_classes": 10}
register_deprecated_name("resnet14-resnet8_fmnist", "resnet14-resnet8", **_FASHION_MNIST)
register_deprecated_name("mobilenet1.0-mobilenet0.35_fmnist", "mobilenet1.0-mobilenet0.35", **_FASHION_MNIST)
