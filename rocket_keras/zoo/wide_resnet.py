"""WideResNet (Zagoruyko & Komodakis 2016): depth 6n+4, widths 16k-32k-64k.

WRN-16-1 is n=2, k=1; WRN-40-1 is n=6, k=1. The stem has 16 filters at any
width. Blocks are the pre-activation basic blocks of the CIFAR ResNet.
"""

from rocket_keras.zoo import checks
from rocket_keras.zoo.dual_head import build_rocket_model, pair_builder
from rocket_keras.zoo.resnet import preact_resnet_spec


def wide_resnet_spec(depth, width, depth_name="depth", width_name="width"):
    """The ``NetworkSpec`` of WRN-``depth``-``width`` (depth 6n+4, widths 16k-32k-64k).

    ``depth_name`` and ``width_name`` are the arguments named in errors.

    Example:

    ```python
    spec = wide_resnet_spec(16, 2)
    spec.name, [stage.filters for stage in spec.stages]  # "WRN-16-2", [32, 64, 128]
    ```
    """
    n = checks.blocks_per_stage(depth_name, depth, 4, "10, 16, 22, 28, 40")
    checks.check_positive_int(width_name, width)
    return preact_resnet_spec(
        f"WRN-{depth}-{width}", n, (16 * width, 32 * width, 64 * width)
    )


@pair_builder
def rocket_wide_resnet(*, booster_depth=40, booster_width=1, light_depth=16, light_width=1, share="interval", name="rocket_wide_resnet", **pair_arguments):
    """A rocket pair of WideResNets; defaults are the paper's WRN-40-1/WRN-16-1.

    Args:
        booster_depth, booster_width: booster WRN-depth-width (depth 6n+4).
        light_depth, light_width: light WRN-depth-width (depth 6n+4).
        share: ``"interval"`` (default; needs equal widths), ``"bottom"``,
            ``"stem"`` (only the stem shared) or ``"none"``.

    Example:

    ```python
    model = rocket_wide_resnet(booster_depth=40, light_depth=16)
    ```
    """
    return build_rocket_model(name=name, booster=wide_resnet_spec(booster_depth, booster_width, "booster_depth", "booster_width"),
                              light=wide_resnet_spec(light_depth, light_width, "light_depth", "light_width"), share=share, **pair_arguments)
