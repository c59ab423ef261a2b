"""ShuffleNetV2 (Ma et al. 2018) for small images, as light nets.

Channel split, a transformed half, concatenation and channel shuffle; the
stage table of ShuffleNetV2 (4, 8 and 4 units) with its widths for the
multipliers 0.5, 1.0, 1.5 and 2.0. For 28x28 and 32x32 inputs the stem keeps
stride 1 and has no max-pool (the usual CIFAR adaptation), and the stages
take strides 1, 2, 2, so the last feature map is 8x8.
"""

from rocket_keras import blocks
from rocket_keras.zoo.dual_head import build_rocket_model, pair_builder
from rocket_keras.zoo.spec import NetworkSpec, StageSpec

# Output channels of stages 2-4 and of the final 1x1 convolution (Table 5).
WIDTHS = {
    0.5: ((48, 96, 192), 1024),
    1.0: ((116, 232, 464), 1024),
    1.5: ((176, 352, 704), 1024),
    2.0: ((244, 488, 976), 2048),
}
_BLOCKS = (4, 8, 4)


def shufflenet_v2_spec(width, name="width"):
    """The ``NetworkSpec`` of a ShuffleNetV2 with width multiplier ``width``.

    Example:

    ```python
    spec = shufflenet_v2_spec(0.5)
    [stage.filters for stage in spec.stages], spec.head_filters  # [48, 96, 192], 1024
    ```
    """
    if width not in WIDTHS:
        raise ValueError(f"`{name}` must be one of {sorted(WIDTHS)}. Received: {name}={width!r}")
    channels, head = WIDTHS[width]
    return NetworkSpec(
        name=f"ShuffleNetV2-{width:g}",
        stem=blocks.conv_bn_relu_stem,
        block=blocks.shufflenet_v2_block,
        head=blocks.conv_bn_relu_head,
        stem_filters=24,
        stages=tuple(StageSpec(blocks=n, filters=c, stride=s) for n, c, s in zip(_BLOCKS, channels, (1, 2, 2))),
        head_filters=head,
    )


@pair_builder
def rocket_shufflenet(*, booster_width=2.0, light_width=0.5, share="bottom", name="rocket_shufflenet", **pair_arguments):
    """A rocket pair of ShuffleNetV2s differing in width multiplier.

    Args:
        booster_width, light_width: width multipliers, each one of 0.5, 1.0,
            1.5, 2.0.
        share: ``"bottom"`` (default), ``"stem"`` or ``"none"``; widths
            differ, so ``"interval"`` does not apply. ``shared_stages``
            (default 1) may go up to 2, built at the light net's width.

    Example:

    ```python
    model = rocket_shufflenet(input_shape=(28, 28, 1), booster_width=2.0, light_width=0.5)
    ```
    """
    return build_rocket_model(name=name, booster=shufflenet_v2_spec(booster_width, "booster_width"),
                              light=shufflenet_v2_spec(light_width, "light_width"), share=share,
                              interval_ok=False, **pair_arguments)
