"""What a template hands to ``dual_head``: a plain description of one network,
and its file format (``spec_to_dict`` / ``save_spec``), convolutions removed
from its blocks included (``WithoutConvs``, the architecture search's layer
space)."""

import dataclasses
import json
from typing import Callable, FrozenSet, Tuple

from rocket_keras import blocks


@dataclasses.dataclass(frozen=True)
class StageSpec:
    """A run of ``blocks`` blocks at one resolution.

    The first block applies ``stride``; ``expansion`` is only used by
    inverted residual blocks. ``inner_filters``, when given, holds one
    inner width per block (a basic block's first convolution, an inverted
    residual block's expansion) in place of the block's default: the
    architecture search shrinks blocks this way.

    Example:

    ```python
    stage = StageSpec(blocks=3, filters=32, stride=2)  # three blocks, the first halves the resolution
    ```
    """

    blocks: int
    filters: int
    stride: int
    expansion: int = 1
    inner_filters: Tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """A network as stem, stages and head, each built by a block function.

    ``stem(x, layers, spec)``, ``block(x, layers, name, filters, stride,
    expansion)`` and ``head(x, layers, spec)`` come from
    ``rocket_keras.blocks``; the logits layer is added by ``dual_head``.

    Example:

    ```python
    from rocket_keras import blocks

    spec = NetworkSpec(name="ResNet-8", stem=blocks.preact_stem, block=blocks.preact_basic_block,
                       head=blocks.preact_head, stem_filters=16,
                       stages=(StageSpec(1, 16, 1), StageSpec(1, 32, 2), StageSpec(1, 64, 2)))
    ```
    """

    name: str
    stem: Callable
    block: Callable
    head: Callable
    stem_filters: int
    stages: Tuple[StageSpec, ...]
    stem_stride: int = 1
    head_filters: int = 0


# -- convolutions removed from blocks (the architecture search's layer-space children) --

# For each block template, the layers that go with each of its convolutions
# when that convolution is removed: in a pre-activation basic block
# (BN1-ReLU1-conv1-BN2-ReLU2-conv2) the BN-ReLU between the two convolutions,
# so what is left is BN1-ReLU1-conv (BN1-ReLU1 also feed a projection
# shortcut); in an inverted residual block (post-activation) the
# convolution's own BN and ReLU6.
REMOVED_WITH = {
    blocks.preact_basic_block: {"conv1": ("conv1", "bn2", "relu2"), "conv2": ("bn2", "relu2", "conv2")},
    blocks.inverted_residual_block: {"expand": ("expand", "expand_bn", "expand_relu"),
                                     "depthwise": ("depthwise", "depthwise_bn", "depthwise_relu"),
                                     "project": ("project", "project_bn")},
}
# The convolution whose output is the block's (added to the shortcut): with
# it removed, the convolution before it takes the block's width.
OUTPUT_CONV = {blocks.preact_basic_block: "conv2", blocks.inverted_residual_block: "project"}


class _Skipping:
    """A layers factory that hands out the identity for the layers named in ``skipped``."""

    def __init__(self, layers, skipped):
        self._layers, self._skipped = layers, skipped

    def __getattr__(self, attribute):
        make = getattr(self._layers, attribute)

        def layer(name, *args, **kwargs):
            return (lambda x: x) if name in self._skipped else make(name, *args, **kwargs)

        return layer


@dataclasses.dataclass(frozen=True)
class WithoutConvs:
    """A block function: ``block`` without the convolutions named in ``removed``.

    ``removed`` holds local names of the built network's layers
    (``"stage1_block2_conv1"``); each removed convolution goes with the
    layers ``REMOVED_WITH`` names. A block never loses all its
    convolutions here: ``layer_space.remove`` drops such a block from its
    stage instead (its shortcut, the identity, is what is left).

    Example:

    ```python
    spec = dataclasses.replace(resnet_spec(8), block=WithoutConvs(blocks.preact_basic_block,
                                                                  frozenset({"stage1_block1_conv1"})))
    build_network(spec, input_shape=(28, 28, 1), num_classes=10)  # no light_stage1_block1_conv1
    ```
    """

    block: Callable
    removed: FrozenSet[str]

    @property
    def __name__(self):
        return f"{self.block.__name__} without {len(self.removed)} convolutions"

    def __call__(self, x, layers, name, filters, stride, expansion=1, inner_filters=None):
        gone = [conv for conv in REMOVED_WITH[self.block] if f"{name}_{conv}" in self.removed]
        if OUTPUT_CONV[self.block] in gone:
            inner_filters = filters  # the convolution left before it gives the block's output
        skipped = {f"{name}_{layer}" for conv in gone for layer in REMOVED_WITH[self.block][conv]}
        inner = {"inner_filters": inner_filters} if inner_filters else {}
        return self.block(x, _Skipping(layers, skipped), name, filters, stride, expansion, **inner)


def base_block(spec):
    """The template's block function of ``spec`` (the block a ``WithoutConvs`` wraps)."""
    return spec.block.block if isinstance(spec.block, WithoutConvs) else spec.block


def removed_convs(spec):
    """The local names of the convolutions removed from ``spec``'s blocks (empty for a template's spec)."""
    return spec.block.removed if isinstance(spec.block, WithoutConvs) else frozenset()


def with_removed_convs(spec, names):
    """``spec`` built without the convolutions ``names`` (none: the template's own block)."""
    block = WithoutConvs(base_block(spec), frozenset(names)) if names else base_block(spec)
    return dataclasses.replace(spec, block=block)


def spec_to_dict(spec):
    """The sizes of ``spec`` as JSON-ready data (its block functions stay with the template).

    Example:

    ```python
    spec_from_dict(spec_to_dict(spec), like=spec) == spec  # True
    ```
    """
    data = {
        "name": spec.name,
        "stem_filters": spec.stem_filters,
        "stem_stride": spec.stem_stride,
        "head_filters": spec.head_filters,
        "stages": [
            {"blocks": st.blocks, "filters": st.filters, "stride": st.stride, "expansion": st.expansion,
             "inner_filters": list(st.inner_filters)}
            for st in spec.stages
        ],
    }
    if removed_convs(spec):
        data["removed_convs"] = sorted(removed_convs(spec))
    return data


def spec_from_dict(data, like):
    """The ``NetworkSpec`` of ``spec_to_dict`` data, with the stem, block and head of ``like``
    (the block without the data's ``removed_convs``, if any)."""
    stages = tuple(
        StageSpec(st["blocks"], st["filters"], st["stride"], st["expansion"], tuple(st["inner_filters"]))
        for st in data["stages"]
    )
    spec = dataclasses.replace(
        like, name=data["name"], stem_filters=data["stem_filters"], stem_stride=data.get("stem_stride", like.stem_stride),
        head_filters=data["head_filters"], stages=stages,
    )
    return with_removed_convs(spec, data.get("removed_convs", ()))


def save_spec(spec, base, path):
    """Writes ``spec`` as JSON: ``{"base": base, "architecture": sizes}``.

    ``base`` is the zoo architecture whose template builds it (e.g.
    ``"resnet14"``); ``rocket_keras.zoo.network_spec(path)`` reads it back.
    """
    with open(path, "w") as f:
        json.dump({"base": base, "architecture": spec_to_dict(spec)}, f, indent=1)
