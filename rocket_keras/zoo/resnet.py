"""CIFAR-style ResNet (He et al. 2016): depth 6n+2, widths 16-32-64.

Pre-activation basic blocks, n per stage, three stages with strides 1, 2, 2.
ResNet-20 is n=3, ResNet-56 n=9.
"""

from rocket_keras import blocks
from rocket_keras.zoo import checks
from rocket_keras.zoo.dual_head import build_rocket_model, pair_builder
from rocket_keras.zoo.spec import NetworkSpec, StageSpec


def preact_resnet_spec(name, blocks_per_stage, widths, stem_filters=16):
    """A three-stage pre-activation ResNet as a ``NetworkSpec``.

    Args:
        name: the network's name.
        blocks_per_stage: n, basic blocks in each stage.
        widths: filters of the three stages (strides 1, 2, 2).
        stem_filters: filters of the stem convolution.

    Example:

    ```python
    spec = preact_resnet_spec("ResNet-20", blocks_per_stage=3, widths=(16, 32, 64))
    [stage.stride for stage in spec.stages]  # [1, 2, 2]
    ```
    """
    return NetworkSpec(
        name=name,
        stem=blocks.preact_stem,
        block=blocks.preact_basic_block,
        head=blocks.preact_head,
        stem_filters=stem_filters,
        stages=tuple(
            StageSpec(blocks=blocks_per_stage, filters=w, stride=s)
            for w, s in zip(widths, (1, 2, 2))
        ),
    )


def resnet_spec(depth, name="depth"):
    """The ``NetworkSpec`` of the CIFAR ResNet of ``depth`` (6n+2).

    ``name`` is the argument named in the error for an invalid depth.

    Example:

    ```python
    spec = resnet_spec(20)
    spec.name, spec.stages[0].blocks  # "ResNet-20", 3
    ```
    """
    n = checks.blocks_per_stage(name, depth, 2, "8, 14, 20, 32, 56, 110")
    return preact_resnet_spec(f"ResNet-{depth}", n, (16, 32, 64))


@pair_builder
def rocket_resnet(*, booster_depth=20, light_depth=8, share="interval", name="rocket_resnet", **pair_arguments):
    """A rocket pair of CIFAR-style ResNets.

    Args:
        booster_depth: booster depth, 6n+2 (e.g. 56).
        light_depth: light net depth, 6n+2 (e.g. 20).
        share: ``"interval"`` (default, the paper's best), ``"bottom"``,
            ``"stem"`` (only the stem shared) or ``"none"``.

    Example:

    ```python
    model = rocket_resnet(input_shape=(28, 28, 1), num_classes=10)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    ```
    """
    return build_rocket_model(name=name, booster=resnet_spec(booster_depth, "booster_depth"),
                              light=resnet_spec(light_depth, "light_depth"), share=share, **pair_arguments)
