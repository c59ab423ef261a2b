"""What a template hands to ``dual_head``: a plain description of one network."""

import dataclasses
from typing import Callable, Tuple


@dataclasses.dataclass(frozen=True)
class StageSpec:
    """A run of ``blocks`` blocks at one resolution.

    The first block applies ``stride``; ``expansion`` is only used by
    inverted residual blocks.
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
    """

    name: str
    stem: Callable
    block: Callable
    head: Callable
    stem_filters: int
    stages: Tuple[StageSpec, ...]
    stem_stride: int = 1
    head_filters: int = 0
