"""MobileNetV2 (Sandler et al. 2018) for small images.

Inverted residual blocks (1x1 expansion, 3x3 depthwise, linear 1x1
projection) with MobileNetV2's stage table and width multiplier ``alpha``,
channel counts rounded to multiples of 8 as in ``keras.applications``. For
28x28 and 32x32 inputs the stem and the second stage keep stride 1 (the usual
CIFAR adaptation), so the last feature map is 4x4.
"""

from rocket_keras import blocks
from rocket_keras.zoo import checks
from rocket_keras.zoo.dual_head import build_rocket_model, pair_builder
from rocket_keras.zoo.spec import NetworkSpec, StageSpec

# (expansion, channels, blocks, stride) as in MobileNetV2's Table 2, with the
# CIFAR strides.
_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 1),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def make_divisible(value, divisor=8):
    """Rounds a channel count as keras.applications.MobileNetV2 does.

    To the nearest multiple of ``divisor``, at least ``divisor``, and never
    more than 10 % below ``value``.

    Example:

    ```python
    make_divisible(32 * 0.35)  # 16 (8 would be more than 10 % below 11.2)
    make_divisible(24 * 0.5)  # 16
    ```
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def mobilenet_v2_spec(alpha, name="alpha"):
    """The ``NetworkSpec`` of a MobileNetV2 with width multiplier ``alpha``.

    ``name`` is the argument named in the error for an invalid ``alpha``.

    Example:

    ```python
    spec = mobilenet_v2_spec(0.35)
    spec.stem_filters, spec.head_filters  # 16, 1280
    ```
    """
    checks.check_positive_number(name, alpha)
    return NetworkSpec(
        name=f"MobileNetV2-{alpha:g}",
        stem=blocks.mobilenet_stem,
        block=blocks.inverted_residual_block,
        head=blocks.mobilenet_head,
        stem_filters=make_divisible(32 * alpha),
        stages=tuple(
            StageSpec(blocks=n, filters=make_divisible(c * alpha), stride=s, expansion=t)
            for t, c, n, s in _STAGES
        ),
        head_filters=make_divisible(1280 * alpha) if alpha > 1.0 else 1280,
    )


@pair_builder
def rocket_mobilenet(*, booster_alpha=1.0, light_alpha=0.35, share="bottom", name="rocket_mobilenet", **pair_arguments):
    """A rocket pair of MobileNetV2s differing in width multiplier.

    Args:
        booster_alpha: booster width multiplier.
        light_alpha: light net width multiplier.
        share: ``"bottom"`` (default), ``"stem"`` or ``"none"``; widths differ, so
            ``"interval"`` does not apply. ``shared_stages`` (default 1) may
            go up to 6, built at the light net's width.

    Example:

    ```python
    model = rocket_mobilenet(booster_alpha=1.0, light_alpha=0.35)
    ```
    """
    return build_rocket_model(name=name, booster=mobilenet_v2_spec(booster_alpha, "booster_alpha"),
                              light=mobilenet_v2_spec(light_alpha, "light_alpha"), share=share,
                              interval_ok=False, **pair_arguments)
