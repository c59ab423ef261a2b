"""A network as the sequence of units the N2N policies read, and the two actions on it.

The units of a ``NetworkSpec`` are its stem, each block in order, and its
head. Each unit is described by the paper's layer features x_t = (type,
kernel size, stride, padding, outputs, skip start, skip end).

**Which units can be removed** (the rule ``describe`` applies and the tests
check): a block whose shortcut is the identity, that is stride 1 and as many
input channels as outputs, so that dropping it leaves the shapes on both of
its sides equal. The stem, the head and every block that changes the
resolution or the width stay, as the N2N authors' code keeps every strided
layer and the classifier. A child with no block left is degenerate.

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
from rocket_keras.zoo.spec import spec_to_dict

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

    def features(self, num_units, max_outputs):
        """x_t as numbers of order one: the type one-hot, then the six sizes scaled."""
        one_hot = [float(self.kind == kind) for kind in UNIT_TYPES]
        return one_hot + [
            self.kernel_size / 7.0,
            self.stride / 2.0,
            self.padding / 3.0,
            self.outputs / max(max_outputs, 1),
            (self.skip_start + 1) / num_units,
            (self.skip_end + 1) / num_units,
        ]


def _check_supported(spec):
    if spec.block not in _SHRINKABLE_BLOCKS:
        raise ValueError(
            "The architecture search knows pre-activation residual blocks (ResNet, WideResNet) and "
            f"inverted residual blocks (MobileNetV2). Received: {spec.name!r} built with "
            f"{getattr(spec.block, '__name__', spec.block)!r}"
        )


def _default_inner(spec, stage, in_channels):
    if spec.block is blocks.inverted_residual_block:
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
    _check_supported(spec)
    units = [Unit(0, "stem", -1, -1, 3, spec.stem_stride, 1, spec.stem_filters, -1, -1, 0, False, True)]
    channels = spec.stem_filters
    for s, stage in enumerate(spec.stages):
        for b in range(stage.blocks):
            stride = stage.stride if b == 0 else 1
            identity = stride == 1 and channels == stage.filters
            has_shortcut = spec.block is blocks.preact_basic_block or identity
            inner = stage.inner_filters[b] if stage.inner_filters else _default_inner(spec, stage, channels)
            i = len(units)
            units.append(Unit(
                i, "block", s, b, 3, stride, 1, stage.filters,
                i - 1 if has_shortcut else -1, i if has_shortcut else -1,
                inner, identity, True,
            ))
            channels = stage.filters
    units.append(Unit(len(units), "head", -1, -1, 1, 1, 0, spec.head_filters, -1, -1, 0, False, spec.head_filters > 0))
    return units


def features(units):
    """The policies' input for ``units``: a list of x_t, one per unit."""
    max_outputs = max(u.outputs for u in units)
    return [u.features(len(units), max_outputs) for u in units]


def num_blocks(spec):
    """Blocks left in ``spec``; a child with none is degenerate."""
    return sum(stage.blocks for stage in spec.stages)


def _units_for(spec, actions, name):
    """``describe(spec)``, checking that ``actions`` has one entry per unit."""
    units = describe(spec)
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
    units = _units_for(spec, keep, "keep")
    stages = []
    for s, stage in enumerate(spec.stages):
        kept = [u for u in units if u.stage == s and (keep[u.index] or not u.removable)]
        inner = tuple(u.inner for u in kept) if stage.inner_filters else ()
        stages.append(dataclasses.replace(stage, blocks=len(kept), inner_filters=inner))
    return dataclasses.replace(spec, name=f"{spec.name} (removed)", stages=tuple(stages))


def _scaled(width, ratio):
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
    units = _units_for(spec, ratios, "ratios")
    stages = []
    for s, stage in enumerate(spec.stages):
        stage_units = [u for u in units if u.stage == s]
        if not stage_units:
            stages.append(stage)
            continue
        inner = tuple(_scaled(u.inner, ratios[u.index]) if u.inner else 0 for u in stage_units)
        stages.append(dataclasses.replace(
            stage,
            filters=_scaled(stage.filters, ratios[stage_units[0].index]),
            inner_filters=inner,
        ))
    head = units[-1]
    return dataclasses.replace(
        spec,
        name=f"{spec.name} (shrunk)",
        stem_filters=_scaled(spec.stem_filters, ratios[0]),
        stages=tuple(stages),
        head_filters=_scaled(spec.head_filters, ratios[head.index]) if head.shrinkable else spec.head_filters,
    )


def key(spec):
    """A string that is equal for two specs exactly when they build the same network."""
    data = spec_to_dict(spec)
    del data["name"]
    for stage in data["stages"]:
        if stage["blocks"] == 0:
            stage.update(filters=0, inner_filters=[])
    return json.dumps(data, sort_keys=True)
