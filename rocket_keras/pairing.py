"""Bring your own networks: any two Keras models as a rocket pair.

The zoo builds pairs whose layers are shared by design ("interval",
"bottom"); ``from_networks`` pairs networks you already have:

* ``from_networks(booster, light)``: two models on the same input, nothing
  shared; rocket training couples them through the hint alone.
* ``from_networks(booster_head, light_head, trunk=trunk)``: a shared trunk
  computed once, and two heads on its output (the paper's "bottom" sharing
  with networks of your own). The light net that ships is trunk + light head.

Each network must output logits (no softmax) for the same classes.
"""

import keras

from rocket_keras.model_checks import check_network
from rocket_keras.rocket_model import RocketModel


def _input_shape(model):
    return tuple(model.inputs[0].shape[1:])


def from_networks(booster, light, trunk=None, name="rocket_model"):
    """A ``RocketModel`` from two Keras networks (and optionally a shared trunk).

    Args:
        booster: the large network, a functional ``keras.Model`` from an
            image (or the trunk's output) to logits.
        light: the small network that ships, the same kind of model with
            the same number of classes.
        trunk: optional ``keras.Model`` computed once whose output feeds
            both ``booster`` and ``light`` (then they are heads, taking the
            trunk's output as their input).
        name: the rocket model's name.

    Returns:
        A ``RocketModel``; ``light_model()`` is ``light`` (after ``trunk``).

    Raises:
        ValueError: when a network is not a built, one-input, one-output
            Keras model (subclassed and unbuilt ones included, with how to
            wrap them), when their input shapes differ, or when the heads'
            logits differ in number of classes, number fewer than 2, or are
            probabilities (any softmax, found by probing the output).

    Example:

    ```python
    booster = keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=10,
                                            classifier_activation=None)
    light = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10,
                                           alpha=0.35, classifier_activation=None)
    model = rocket_keras.from_networks(booster, light)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    ```
    """
    check_network("booster", booster)
    check_network("light", light)
    if booster.name == light.name:
        raise ValueError(
            "The two networks need different names (they become layers of one model). "
            f"Build one with name=... . Received: both named {booster.name!r}"
        )
    if trunk is not None:
        check_network("trunk", trunk, logits=False)  # features, not logits
        feature_shape = tuple(trunk.outputs[0].shape[1:])
        for head_name, head in (("booster", booster), ("light", light)):
            if _input_shape(head) != feature_shape:
                raise ValueError(
                    f"The {head_name} head must take the trunk's output, of shape {feature_shape}. "
                    f"Received: a {head_name} head with input shape {_input_shape(head)}"
                )
    elif _input_shape(booster) != _input_shape(light):
        raise ValueError(
            "The booster and the light net must take the same input. Received: input shapes "
            f"{_input_shape(booster)} (booster) and {_input_shape(light)} (light)"
        )
    first = trunk if trunk is not None else booster
    inputs = keras.Input(shape=_input_shape(first), dtype=first.inputs[0].dtype, name="image")
    features = trunk(inputs) if trunk is not None else inputs
    return RocketModel(inputs, booster=booster(features), light=light(features), name=name)
