"""What a template hands to ``dual_head``: a plain description of one network."""

import dataclasses
import json
from typing import Callable, Tuple


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


def spec_to_dict(spec):
    """The sizes of ``spec`` as JSON-ready data (its block functions stay with the template).

    Example:

    ```python
    spec_from_dict(spec_to_dict(spec), like=spec) == spec  # True
    ```
    """
    return {
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


def spec_from_dict(data, like):
    """The ``NetworkSpec`` of ``spec_to_dict`` data, with the stem, block and head of ``like``."""
    stages = tuple(
        StageSpec(st["blocks"], st["filters"], st["stride"], st["expansion"], tuple(st["inner_filters"]))
        for st in data["stages"]
    )
    return dataclasses.replace(
        like, name=data["name"], stem_filters=data["stem_filters"], stem_stride=data.get("stem_stride", like.stem_stride),
        head_filters=data["head_filters"], stages=stages,
    )


def save_spec(spec, base, path):
    """Writes ``spec`` as JSON: ``{"base": base, "architecture": sizes}``.

    ``base`` is the zoo architecture whose template builds it (e.g.
    ``"resnet14"``); ``rocket_keras.zoo.network_spec(path)`` reads it back.
    """
    with open(path, "w") as f:
        json.dump({"base": base, "architecture": spec_to_dict(spec)}, f, indent=1)
