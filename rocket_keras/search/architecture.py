"""A network as the sequence of units the N2N policies read, and the two actions on it.

In the block space (this module's ``describe``, ``remove`` and ``shrink``)
the units of a ``NetworkSpec`` are its stem, each block in order, and its
head. Each unit is described by the paper's layer features x_t = (type,
kernel size, stride, padding, outputs, skip start, skip end).

**Which units can be removed** (the rule ``describe`` applies and the tests
check): a block whose shortcut is the identity, that is stride 1 and as many
input channels as outputs, so that dropping it leaves the shapes on both of
its sides equal. The stem, the head and every block that changes the
resolution or the width stay, as the N2N authors' code keeps every strided
layer and the classifier. A child with no block left is degenerate.

This is the search's default space, ``removal="block"``: one unit per
block. The layer space (``removal="layer"``, ``rocket_keras.search.
layer_space``) has one unit per convolution; its children remove single
convolutions, which a ``NetworkSpec`` records as a ``WithoutConvs`` block
function (``rocket_keras.zoo.spec``: ``spec_to_dict`` and ``save_spec`` keep
it in files, which ``zoo.network_spec`` and ``train.py --light_net`` read).

**How a unit shrinks**: a block's ratio scales its inner width (a basic
block's first convolution, an inverted residual block's expansion); the
first block of each stage also scales the stage's width, which the
identity-shortcut blocks after it must share (their outputs are added to
it). The stem's ratio scales the stem; a head with a convolution
(MobileNetV2) scales it, a head without one takes no action. Blocks adapt
their shortcuts to the widths they get, so every choice of ratios builds.
"""

import dataclasses
import json

from rocket_keras import blocks
from rocket_keras.zoo.spec import base_block, removed_convs, spec_to_dict, with_removed_convs  # noqa: F401  (re-exported)

UNIT_TYPES = ("stem", "block", "head")
# Blocks whose inner width the search can set (their ``inner_filters``).
_SHRINKABLE_BLOCKS = (blocks.preact_basic_block, blocks.inverted_residual_block)
FEATURES = len(UNIT_TYPES) + 6


@dataclasses.dataclass(frozen=True)
class Unit:
    """One stem, block or head of a network, as the policies see it.

    ``index`` is the unit's position, ``skip_start`` / ``skip_end`` the
    units whose output the block's shortcut leaves from and is added at
    (-1 without a shortcut), ``inner`` the block's inner width (0: none),
    ``outputs`` its output channels (0 for a head without a convolution).
    Units of the layer space (``layer_space.describe``) are convolutions:
    ``layer`` names the convolution in its block (``"conv1"``,
    ``"depthwise"``, ...) and ``scales`` the width its shrink ratio sets
    (``"stem"``, ``"inner"``, ``"stage"``, ``"head"``; ``""``: none).
    """

    index: int
    kind: str
    stage: int
    block: int
    kernel_size: int
    stride: int
    padding: int
    outputs: int
    skip_start: int
    skip_end: int
    inner: int
    removable: bool
    shrinkable: bool
    layer: str = ""
    scales: str = ""

    def features(self, num_units, max_outputs, types=UNIT_TYPES):
        """x_t as numbers of order one: the type one-hot (over ``types``), then the six sizes scaled."""
        one_hot = [float(self.kind == kind) for kind in types]
        return one_hot + [
            self.kernel_size / 7.0,
            self.stride / 2.0,
            self.padding / 3.0,
            self.outputs / max(max_outputs, 1),
            (self.skip_start + 1) / num_units,
            (self.skip_end + 1) / num_units,
        ]


def check_supported(spec):
    """Raises a ``ValueError`` unless the search can shrink and remove ``spec``'s blocks."""
    if base_block(spec) not in _SHRINKABLE_BLOCKS:
        raise ValueError(
            "The architecture search knows pre-activation residual blocks (ResNet, WideResNet) and "
            f"inverted residual blocks (MobileNetV2). Received: {spec.name!r} built with "
            f"{getattr(spec.block, '__name__', spec.block)!r}"
        )


def block_inner(spec, stage, b, in_channels):
    """The inner width of block ``b`` of ``stage``: its ``inner_filters`` entry or the block's default."""
    if stage.inner_filters:
        return stage.inner_filters[b]
    if base_block(spec) is blocks.inverted_residual_block:
        return 0 if stage.expansion == 1 else in_channels * stage.expansion
    return stage.filters


def describe(spec):
    """The units of ``spec``: stem, every block in order, head.

    Example:

    ```python
    units = describe(resnet_spec(14))
    [u.kind for u in units]  # ["stem", "block", "block", "block", "block", "block", "block", "head"]
    [u.removable for u in units]  # stage 1's two blocks and the second block of stages 2 and 3
    ```
    """
    check_supported(spec)
    if removed_convs(spec):
        raise ValueError(f"{spec.name!r} has convolutions removed from its blocks: describe it with "
                         f"layer_space.describe (removal='layer'). Received: {sorted(removed_convs(spec))}")
    units = [stem_unit(spec)]
    channels = spec.stem_filters
    for s, stage in enumerate(spec.stages):
        for b in range(stage.blocks):
            stride = stage.stride if b == 0 else 1
            identity = stride == 1 and channels == stage.filters
            has_shortcut = spec.block is blocks.preact_basic_block or identity
            inner = block_inner(spec, stage, b, channels)
            i = len(units)
            units.append(Unit(
                i, "block", s, b, 3, stride, 1, stage.filters,
                i - 1 if has_shortcut else -1, i if has_shortcut else -1,
                inner, identity, True,
            ))
            channels = stage.filters
    units.append(head_unit(spec, len(units)))
    return units


def stem_unit(spec):
    """The stem's unit: never removed, its ratio scales the stem."""
    return Unit(0, "stem", -1, -1, 3, spec.stem_stride, 1, spec.stem_filters, -1, -1, 0, False, True, scales="stem")


def head_unit(spec, index):
    """The head's unit: never removed, shrinkable when it has a convolution (MobileNetV2)."""
    return Unit(index, "head", -1, -1, 1, 1, 0, spec.head_filters, -1, -1, 0, False, spec.head_filters > 0,
                scales="head")


def features(units, types=UNIT_TYPES):
    """The policies' input for ``units``: a list of x_t, one per unit."""
    max_outputs = max(u.outputs for u in units)
    return [u.features(len(units), max_outputs, types) for u in units]


def num_blocks(spec):
    """Blocks left in ``spec``; a child with none is degenerate."""
    return sum(stage.blocks for stage in spec.stages)


def units_for(spec, actions, name, describe_spec=None):
    """``describe_spec(spec)`` (default ``describe``), checking that ``actions`` has one entry per unit."""
    units = (describe_spec or describe)(spec)
    if len(actions) != len(units):
        raise ValueError(
            f"`{name}` needs one entry per unit ({len(units)} for {spec.name}). Received: {len(actions)} entries"
        )
    return units


def remove(spec, keep):
    """The child of ``spec`` without the units whose ``keep`` is false.

    ``keep`` has one entry per unit of ``describe(spec)``; entries of units
    that cannot be removed are ignored (they stay). A stage may end with no
    block (its blocks were all identities).

    Example:

    ```python
    teacher = resnet_spec(14)
    keep = [u.kind != "block" or not u.removable for u in describe(teacher)]
    [stage.blocks for stage in remove(teacher, keep).stages]  # [0, 1, 1]
    ```
    """
    units = units_for(spec, keep, "keep")
    stages = []
    for s, stage in enumerate(spec.stages):
        kept = [u for u in units if u.stage == s and (keep[u.index] or not u.removable)]
        inner = tuple(u.inner for u in kept) if stage.inner_filters else ()
        stages.append(dataclasses.replace(stage, blocks=len(kept), inner_filters=inner))
    return dataclasses.replace(spec, name=f"{spec.name} (removed)", stages=tuple(stages))


def scaled(width, ratio):
    """``width`` times ``ratio``, rounded, at least 1 channel."""
    return max(1, int(round(width * ratio)))


def shrink(spec, ratios):
    """The child of ``spec`` with each unit's width scaled by its ratio.

    ``ratios`` has one entry per unit of ``describe(spec)`` (see the module
    docstring for what each unit's ratio scales); widths round to the
    nearest whole channel, at least one.

    Example:

    ```python
    spec = resnet_spec(8)  # stem, three blocks, head
    child = shrink(spec, [0.5, 1.0, 0.5, 0.25, 1.0])
    child.stem_filters, [s.filters for s in child.stages], [s.inner_filters for s in child.stages]
    # 8, [16, 16, 16], [(16,), (16,), (16,)]
    ```
    """
    units = units_for(spec, ratios, "ratios")
    stages = []
    for s, stage in enumerate(spec.stages):
        stage_units = [u for u in units if u.stage == s]
        if not stage_units:
            stages.append(stage)
            continue
        inner = tuple(scaled(u.inner, ratios[u.index]) if u.inner else 0 for u in stage_units)
        stages.append(dataclasses.replace(
            stage,
            filters=scaled(stage.filters, ratios[stage_units[0].index]),
            inner_filters=inner,
        ))
    head = units[-1]
    return dataclasses.replace(
        spec,
        name=f"{spec.name} (shrunk)",
        stem_filters=scaled(spec.stem_filters, ratios[0]),
        stages=tuple(stages),
        head_filters=scaled(spec.head_filters, ratios[head.index]) if head.shrinkable else spec.head_filters,
    )


def key(spec):
    """A string that is equal for two specs exactly when they build the same network."""
    data = spec_to_dict(spec)
    del data["name"]
    for stage in data["stages"]:
        if stage["blocks"] == 0:
            stage.update(filters=0, inner_filters=[])
    return json.dumps(data, sort_keys=True)


# -- convolutions removed from blocks: rocket_keras.zoo.spec records them (WithoutConvs) --


def block_convs(spec, stage):
    """The names of a block's convolutions in ``stage``, in order (``("conv1", "conv2")``, ...)."""
    if base_block(spec) is blocks.preact_basic_block:
        return ("conv1", "conv2")
    return ("depthwise", "project") if stage.expansion == 1 else ("expand", "depthwise", "project")
