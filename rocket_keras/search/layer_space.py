"""The layer space (``removal="layer"``): one unit per convolution, removed and shrunk on its own.

The units are the stem, every convolution of every block in order (a basic
block's ``conv1``, ``conv2``; an inverted residual block's ``expand``,
``depthwise``, ``project``) and the head. Projection shortcuts are no unit:
they follow the widths around them. Each unit reads the paper's
x_t = (type, kernel size, stride, padding, outputs, skip start, skip end),
with the types ``UNIT_TYPES``; a convolution inside a block with a shortcut
has the unit before the block as skip start and the block's last
convolution as skip end.

**Which convolutions can be removed** (``Unit.removable``, tested on every
supported template): one of stride 1 with as many output channels as its
input has, so that its input can take its place and every shape stays
valid: in a basic block with inner width == width either 3x3 convolution
of an identity-shortcut block, and the second convolution of a stage's
first block; in an inverted residual block a stride-1 depthwise
convolution (a 1x1 convolution changes the width, so MobileNetV2 keeps
them all). Strided convolutions, the stem, the head and the shortcuts stay.
A removed convolution takes its BN and ReLU with it
(``rocket_keras.zoo.spec.REMOVED_WITH``); when every convolution of a block is
removed the block goes and its shortcut, the identity, is what is left.

**How a unit shrinks**: each convolution's ratio scales its own output
width where that width is free: the stem, a basic block's ``conv1`` and an
inverted residual block's ``expand`` (the block's inner width) and a head
convolution. A convolution whose output is added to a shortcut carries the
width its stage shares: the first such convolution of a stage (the first
block's ``conv2`` or ``project``) takes a ratio for the stage, the others
follow it and take no action, as in the block space. A depthwise
convolution keeps its input's width.

**What follows the N2N authors' code** (github.com/anubhavashok/N2N;
``architecture.py``, ``utils.py``, ``run.py``,
``resnet_ar_run_param_clean.py``): single layers, not blocks, are removed;
strided convolutions, the first layer, pooling and the classifier never
are; shortcuts take no action; each layer's output width gets a ratio, in
a residual block the width added to the shortcut follows it. **What does
not**: their removal units are every leaf layer (convolution, BN, ReLU)
and a kept layer is resized to the width it receives, so they may remove a
convolution that changes the width; here the units are convolutions and
only width-preserving ones go. A block emptied by their removal computes
``ReLU(x + x)``; here it is the identity. Their stage-1 width follows the
stem (ResNet-18's first blocks have no projection); here the stage's first
block carries it and projects its shortcut when it differs. Their widths
round down with a floor of 10 channels; here to the nearest with a floor of
1. Their released runs feed the policies five features (skip start and end
off, ``run.py``); here all seven. They did not search MobileNetV2.
"""

import dataclasses

from rocket_keras import blocks
from rocket_keras.search import architecture
from rocket_keras.search.architecture import Unit

UNIT_TYPES = ("stem", "conv", "depthwise", "head")
FEATURES = len(UNIT_TYPES) + 6


def _name(stage, block, conv):
    return f"stage{stage + 1}_block{block + 1}_{conv}"


def describe(spec):
    """The units of ``spec``: stem, every convolution of every block in order, head.

    Example:

    ```python
    units = describe(resnet_spec(8))
    [(u.kind, u.layer, u.removable) for u in units[1:3]]  # [("conv", "conv1", True), ("conv", "conv2", True)]
    ```
    """
    architecture.check_supported(spec)
    removed = architecture.removed_convs(spec)
    basic = architecture.base_block(spec) is blocks.preact_basic_block
    units = [architecture.stem_unit(spec)]
    channels = spec.stem_filters
    for s, stage in enumerate(spec.stages):
        carried = False  # whether a convolution of the stage already takes the stage's ratio
        for b in range(stage.blocks):
            stride = stage.stride if b == 0 else 1
            inner = architecture.block_inner(spec, stage, b, channels)
            convs = [c for c in architecture.block_convs(spec, stage) if _name(s, b, c) not in removed]
            pointwise = [c for c in convs if c != "depthwise"]
            has_shortcut = basic or (stride == 1 and channels == stage.filters)
            skip_start, skip_end = (len(units) - 1, len(units) + len(convs) - 1) if has_shortcut else (-1, -1)
            for conv in convs:
                if conv == "depthwise":
                    outputs, scales = channels, ""
                elif conv == pointwise[-1]:
                    outputs, scales = stage.filters, "stage"
                else:
                    outputs, scales = inner, "inner"
                conv_stride = stride if conv in ("conv1", "depthwise") else 1
                kernel = 1 if conv in ("expand", "project") else 3
                units.append(Unit(
                    len(units), "depthwise" if conv == "depthwise" else "conv", s, b, kernel, conv_stride,
                    kernel // 2, outputs, skip_start, skip_end, inner,
                    removable=conv_stride == 1 and outputs == channels,
                    shrinkable=scales == "inner" or (scales == "stage" and not carried),
                    layer=conv, scales=scales,
                ))
                carried = carried or scales == "stage"
                channels = outputs
    units.append(architecture.head_unit(spec, len(units)))
    return units


def features(units):
    """The policies' input for ``units``: a list of x_t, one per unit."""
    return architecture.features(units, UNIT_TYPES)


def remove(spec, keep):
    """The child of ``spec`` without the convolutions whose ``keep`` is false.

    ``keep`` has one entry per unit of ``describe(spec)``; entries of units
    that cannot be removed are ignored. A block left without convolutions
    is dropped from its stage (the blocks after it are numbered on).

    Example:

    ```python
    teacher = resnet_spec(8)
    keep = [not u.removable for u in describe(teacher)]
    child = remove(teacher, keep)  # stage 1's block gone, stages 2 and 3 without their conv2
    sorted(architecture.removed_convs(child))  # ["stage1_block1_conv2", "stage2_block1_conv2"]
    ```
    """
    units = architecture.units_for(spec, keep, "keep", describe)
    removed = set(architecture.removed_convs(spec))
    removed.update(_name(u.stage, u.block, u.layer) for u in units if u.removable and not keep[u.index])
    stages, names = [], set()
    for s, stage in enumerate(spec.stages):
        convs = architecture.block_convs(spec, stage)
        kept = []  # (block, its removed convolutions) of each block that keeps one
        for b in range(stage.blocks):
            gone = [c for c in convs if _name(s, b, c) in removed]
            if len(gone) < len(convs):
                kept.append((b, gone))
        names.update(_name(s, new, c) for new, (_, gone) in enumerate(kept) for c in gone)
        inner = tuple(stage.inner_filters[b] for b, _ in kept) if stage.inner_filters else ()
        stages.append(dataclasses.replace(stage, blocks=len(kept), inner_filters=inner))
    child = dataclasses.replace(spec, name=f"{spec.name} (removed)", stages=tuple(stages))
    return architecture.with_removed_convs(child, names)


def shrink(spec, ratios):
    """The child of ``spec`` with each shrinkable convolution's width scaled by its ratio.

    ``ratios`` has one entry per unit of ``describe(spec)``; entries of
    units that take no action (``shrinkable`` false) are ignored. Widths
    round to the nearest whole channel, at least one.

    Example:

    ```python
    spec = resnet_spec(8)  # stem, conv1 and conv2 of three blocks, head
    child = shrink(spec, [0.5, 0.25, 1.0, 1.0, 0.5, 0.5, 0.25, 1.0])
    child.stem_filters, [s.filters for s in child.stages], [s.inner_filters for s in child.stages]
    # 8, [16, 16, 16], [(4,), (32,), (32,)]
    ```
    """
    units = architecture.units_for(spec, ratios, "ratios", describe)
    # The width each shrinkable unit sets: the stem, a block's inner width, a stage's, the head.
    widths = {(u.scales, u.stage, u.block if u.scales == "inner" else -1):
              architecture.scaled(u.outputs, ratios[u.index]) for u in units if u.shrinkable}
    # A block without an inner convolution (one removed, or none) records 0,
    # so that children building the same network have the same key.
    stages = [dataclasses.replace(stage, filters=widths.get(("stage", s, -1), stage.filters),
                                  inner_filters=tuple(widths.get(("inner", s, b), 0) for b in range(stage.blocks)))
              for s, stage in enumerate(spec.stages)]
    return dataclasses.replace(
        spec,
        name=f"{spec.name} (shrunk)",
        stem_filters=widths[("stem", -1, -1)],
        stages=tuple(stages),
        head_filters=widths.get(("head", -1, -1), spec.head_filters),
    )
