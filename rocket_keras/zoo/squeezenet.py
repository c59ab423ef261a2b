"""SqueezeNet (Iandola et al. 2016) for small images, as light nets.

Fire modules (a 1x1 squeeze, then 1x1 and 3x3 expands concatenated), with
BatchNorm for training with SGD at 0.1, in SqueezeNet 1.1's layout: 3x3
stem, fires of 128, 256, 384 and 512 output channels in four stages of two,
max-pools between the first three, and logits from the global average (the
``width`` multiplier scales every fire). For small images the stem keeps
stride 1.
"""

from rocket_keras import blocks
from rocket_keras.zoo import checks
from rocket_keras.zoo.dual_head import build_rocket_model, pair_builder
from rocket_keras.zoo.spec import NetworkSpec, StageSpec

# (fires, output channels, stride of the first) for width 1.0.
_STAGES = ((2, 128, 1), (2, 256, 2), (2, 384, 2), (2, 512, 1))


def squeezenet_spec(width, name="width"):
    """The ``NetworkSpec`` of a SqueezeNet whose fires are ``width`` times as wide.

    Channel counts are rounded to multiples of 16 (so the squeeze, 1/8 of
    the output, is a whole number of channels).

    Example:

    ```python
    spec = squeezenet_spec(0.5)
    [stage.filters for stage in spec.stages]  # [64, 128, 192, 256]
    ```
    """
    checks.check_positive_number(name, width)
    return NetworkSpec(
        name=f"SqueezeNet-{width:g}",
        stem=blocks.conv_bn_relu_stem,
        block=blocks.fire_block,
        head=blocks.pool_head,
        stem_filters=max(16, int(round(64 * width / 16)) * 16),
        stages=tuple(
            StageSpec(blocks=n, filters=max(16, int(round(c * width / 16)) * 16), stride=s) for n, c, s in _STAGES
        ),
    )


@pair_builder
def rocket_squeezenet(*, booster_width=1.0, light_width=0.5, share="bottom", name="rocket_squeezenet", **pair_arguments):
    """A rocket pair of SqueezeNets differing in width.

    Args:
        booster_width, light_width: width multipliers of the fires.
        share: ``"bottom"`` (default), ``"stem"`` or ``"none"``.
            ``shared_stages`` (default 1) may go up to 3, built at the light
            net's width.

    Example:

    ```python
    model = rocket_squeezenet(input_shape=(28, 28, 1), booster_width=1.0, light_width=0.5)
    ```
    """
    return build_rocket_model(name=name, booster=squeezenet_spec(booster_width, "booster_width"),
                              light=squeezenet_spec(light_width, "light_width"), share=share,
                              interval_ok=False, **pair_arguments)
