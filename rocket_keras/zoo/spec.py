"""What a template hands to ``dual_head``: a plain description of one network."""

import dataclasses
from typing import Callable, Tuple


@dataclasses.dataclass(frozen=True)
class StageSpec:
    """A run of ``blocks`` blocks at one resolution.

    The first block applies ``stride``; ``expansion`` is only used by
    inverted residual blocks.

    Example:

    ```python
    stage = StageSpec(blocks=3, filters=32, stride=2)  # three blocks, the first halves the resolution
    ```
    """

    blocks: int
    filters: int
    stride: int
    expansion: int = 1


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
