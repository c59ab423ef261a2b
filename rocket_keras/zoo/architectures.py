"""One network by architecture name: ``"resnet8"``, ``"wrn16_1"``, ``"mobilenet0.35"``.

A pair's registered name is its two architectures joined by ``-``
(``"resnet14-resnet8"``), so ``pair_architectures`` splits it and
``network_spec`` gives each side's ``NetworkSpec``. ``get_network`` builds one
network alone, as a plain Keras model: a light net to train by itself, a
teacher, or a network for ``rocket_keras.from_networks``.
"""

import json
import os
import re

from rocket_keras.zoo.dual_head import build_network
from rocket_keras.zoo.mobilenet import mobilenet_v2_spec
from rocket_keras.zoo.registry import get_entry
from rocket_keras.zoo.resnet import resnet_spec
from rocket_keras.zoo.shufflenet import shufflenet_v2_spec
from rocket_keras.zoo.spec import spec_from_dict
from rocket_keras.zoo.squeezenet import squeezenet_spec
from rocket_keras.zoo.wide_resnet import wide_resnet_spec

_NUMBER = r"(\d+(?:\.\d+)?)"
# (pattern, spec function of the matched groups), tried in order.
_FAMILIES = (
    (re.compile(r"resnet(\d+)"), lambda depth: resnet_spec(int(depth))),
    (re.compile(r"wrn(\d+)_(\d+)"), lambda depth, width: wide_resnet_spec(int(depth), int(width))),
    (re.compile(r"mobilenet" + _NUMBER), lambda alpha: mobilenet_v2_spec(float(alpha))),
    (re.compile(r"shufflenet" + _NUMBER), lambda width: shufflenet_v2_spec(float(width))),
    (re.compile(r"squeezenet" + _NUMBER), lambda width: squeezenet_spec(float(width))),
)
ARCHITECTURE_EXAMPLES = ("resnet8", "resnet20", "wrn16_1", "wrn40_2", "mobilenet0.35", "shufflenet0.5", "squeezenet0.5")


def network_spec(architecture):
    """The ``NetworkSpec`` named ``architecture`` (e.g. ``"resnet14"``, ``"wrn16_2"``).

    ``architecture`` may also be the path of a ``.json`` file written by
    ``rocket_keras.zoo.spec.save_spec`` (an architecture search's child).

    Raises:
        ValueError: for a name no template knows, with examples.

    Example:

    ```python
    spec = network_spec("resnet14")
    [stage.blocks for stage in spec.stages]  # [2, 2, 2]
    ```
    """
    if str(architecture).endswith(".json"):
        with open(architecture) as f:
            saved = json.load(f)
        return spec_from_dict(saved["architecture"], like=network_spec(saved["base"]))
    for pattern, make_spec in _FAMILIES:
        match = pattern.fullmatch(str(architecture))
        if match:
            return make_spec(*match.groups())
    raise ValueError(
        f"Unknown architecture {architecture!r}: names look like {', '.join(ARCHITECTURE_EXAMPLES)}. "
        f"Received: architecture={architecture!r}"
    )


def pair_architectures(pair):
    """``(booster, light)`` architecture names of a registered pair.

    Example:

    ```python
    pair_architectures("resnet14-resnet8")  # ("resnet14", "resnet8")
    ```
    """
    name = get_entry(pair).name
    parts = name.split("-")
    if len(parts) != 2:
        raise ValueError(
            f"Pair {name!r} is not named '<booster>-<light>' after two zoo architectures, so its nets are "
            f"unknown. Received: pair={pair!r}"
        )
    return tuple(parts)


def get_network(architecture, *, input_shape=(32, 32, 3), num_classes=10, name=None, input_normalization=None):
    """One network of the zoo, alone, as a ``keras.Model`` from images to logits.

    Example:

    ```python
    teacher = get_network("resnet14", input_shape=(28, 28, 1), num_classes=10)
    teacher.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```
    """
    return build_network(
        network_spec(architecture),
        input_shape=input_shape,
        num_classes=num_classes,
        name=name or os.path.splitext(os.path.basename(str(architecture)))[0],
        input_normalization=input_normalization,
    )
