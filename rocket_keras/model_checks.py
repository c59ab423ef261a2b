"""Checks on what a RocketModel is built and compiled with, each a ``ValueError`` that says what it received.

- ``head_outputs``: the two heads give logits of the same classes, no softmax;
- ``check_compile_settings``: the rocket loss settings of ``compile``;
- ``check_teacher``: a frozen teacher for rocket + KD.

Example:

```python
check_compile_settings(hint="logits_mse", hint_weight=-1.0)  # ValueError: ... Received: hint_weight=-1.0
```
"""

import numbers

import keras
import numpy as np

from rocket_keras import losses

HEADS = ("booster", "light")


def is_number(value):
    """A real number (numpy scalars included), but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _last_layer(tensor):
    """The layer that computes ``tensor``, looking inside nested models."""
    layer = tensor._keras_history.operation
    while isinstance(layer, keras.Model) and len(getattr(layer, "outputs", None) or []) == 1:
        layer = layer.outputs[0]._keras_history.operation
    return layer


def softmax_layer(tensor):
    """The layer computing ``tensor`` if it is a softmax (so the tensor is not logits), else None."""
    layer = _last_layer(tensor)
    if isinstance(layer, keras.layers.Softmax) or getattr(layer, "activation", None) is keras.activations.softmax:
        return layer
    return None


def head_outputs(outputs, booster, light):
    """``{"booster": z, "light": l}`` from either way of naming the heads, checked."""
    if booster is not None or light is not None:
        if outputs is not None:
            raise ValueError(
                "Pass the heads either as `booster=` and `light=` or as "
                "`outputs={'booster': ..., 'light': ...}`, not both. "
                f"Received: outputs={outputs!r}"
            )
        outputs = {"booster": booster, "light": light}
    if not isinstance(outputs, dict) or set(outputs) != set(HEADS) or any(v is None for v in outputs.values()):
        raise ValueError(
            "A RocketModel needs two heads: RocketModel(inputs, booster=booster_logits, "
            f"light=light_logits). Received: outputs={outputs!r}"
        )
    shapes = {head: tuple(outputs[head].shape) for head in HEADS}
    if any(len(shape) == 2 and shape[-1] is not None and shape[-1] < 2 for shape in shapes.values()):
        raise ValueError(
            "Each head needs one logit per class, at least 2 (a softmax over one logit is always 1 and "
            "cannot learn): for a yes/no task give 2 classes, e.g. Dense(2) with labels 0 and 1. "
            f"Received: booster logits of shape {shapes['booster']}, light logits of shape {shapes['light']}"
        )
    if any(len(shape) != 2 for shape in shapes.values()) or shapes["booster"][-1] != shapes["light"][-1]:
        raise ValueError(
            "Both heads must give logits of shape (batch, num_classes) with the same number "
            f"of classes. Received: booster logits of shape {shapes['booster']}, light logits "
            f"of shape {shapes['light']}"
        )
    for head in HEADS:
        layer = softmax_layer(outputs[head])
        if layer is not None:
            raise ValueError(
                f"The {head} head ends in a softmax; RocketModel needs logits (its losses apply "
                "the softmax). Build the network without it, e.g. "
                "keras.applications.MobileNetV2(..., classifier_activation=None). "
                f"Received: {head} output from layer {layer.name!r}"
            )
    # Dict order fixes the order of the model's outputs: booster, then light.
    return {head: outputs[head] for head in HEADS}


def check_no_loss_arguments(compile_kwargs):
    """RocketModel computes its own loss: ``loss`` and ``loss_weights`` are refused (and taken out of ``compile_kwargs``)."""
    for name in ("loss", "loss_weights"):
        value = compile_kwargs.pop(name, None)
        if value is not None:
            raise ValueError(
                f"RocketModel computes its own loss; do not pass `{name}`. "
                "Use `hint`, `hint_weight`, `booster_loss_weight` and "
                f"`light_loss_weight` (and `kd_weight`) instead. Received: {name}={value!r}"
            )


def check_fraction(name, value):
    """``value`` must be a number in [0, 1)."""
    if not is_number(value) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")


def check_compile_settings(hint, temperature=losses.TEMPERATURE, gradient_block=True, metrics=None,
                           weighted_metrics=None, **weights):
    """The rocket arguments of ``RocketModel.compile``; ``weights`` are the terms' weights by argument name."""
    losses.get_hint(hint)
    for name, value in weights.items():
        if not is_number(value) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative number. Received: {name}={value!r}")
    if not isinstance(gradient_block, (bool, np.bool_)):
        raise ValueError(
            "`gradient_block` must be True or False (a string such as 'false' would count as True). "
            f"Received: gradient_block={gradient_block!r}"
        )
    if not is_number(temperature) or temperature <= 0:
        raise ValueError(f"`temperature` must be a positive number. Received: temperature={temperature!r}")
    for name, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        if value is not None and not isinstance(value, (list, tuple)):
            raise ValueError(
                f"`{name}` must be a list applied to both heads, e.g. ['accuracy']. Received: {name}={value!r}"
            )


def check_teacher(model, teacher, teacher_kd_weight):
    """A frozen teacher for ``model``: one separate network giving logits for its inputs and classes."""
    if (teacher is None) != (teacher_kd_weight == 0):
        raise ValueError(
            "`teacher` and `teacher_kd_weight` go together: pass both, or neither. "
            f"Received: teacher={'a model' if teacher is not None else None}, "
            f"teacher_kd_weight={teacher_kd_weight!r}"
        )
    if teacher is None:
        return
    if callable(getattr(teacher, "light_model", None)):  # a RocketModel (which imports this module)
        raise ValueError(
            "`teacher` must be one network giving logits, not a rocket pair: pass its booster, "
            "e.g. teacher=pair.booster_model(). Received: a RocketModel"
        )
    if not isinstance(teacher, keras.Model):
        raise ValueError(f"`teacher` must be a keras.Model. Received: teacher of type {type(teacher).__name__}")
    if tuple(teacher.inputs[0].shape[1:]) != tuple(model.inputs[0].shape[1:]):
        raise ValueError(
            f"The teacher must take this model's inputs, of shape {tuple(model.inputs[0].shape[1:])}. "
            f"Received: a teacher with inputs of shape {tuple(teacher.inputs[0].shape[1:])}"
        )
    layer = softmax_layer(teacher.outputs[0])
    if layer is not None:
        raise ValueError(
            "The teacher ends in a softmax; its KD term needs logits. Build it without the softmax. "
            f"Received: teacher output from layer {layer.name!r}"
        )
    shared = {id(v) for v in teacher.weights} & {id(v) for v in model.weights}
    if shared:
        raise ValueError(
            "The teacher shares weights with this rocket model; a frozen teacher must be a "
            "separately trained network (e.g. a booster trained alone and loaded from its "
            f".keras file). Received: {len(shared)} shared variables"
        )
    classes = teacher.outputs[0].shape[-1] if getattr(teacher, "outputs", None) else None
    if classes is not None and classes != model.num_classes:
        raise ValueError(
            f"The teacher must give logits for {model.num_classes} classes, "
            f"like this model. Received: a teacher with {classes} outputs"
        )


def check_network(name, model, logits=True):
    """A network a user brings: a built, one-input, one-output ``keras.Model`` that gives logits.

    A subclassed or unbuilt network has no symbolic input: the error says how
    to wrap it. The output is probed on a small random batch: rows that are
    non-negative and sum to 1 are probabilities, whatever layer or op made
    them (``Activation("softmax")``, ``keras.ops.softmax``, a ``Lambda``).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`{name}` must be a keras.Model. Received: {name} of type {type(model).__name__}")
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise ValueError(
            f"`{name}` has no input layer: it is subclassed, or a Sequential built without keras.Input. "
            "Give it one: `x = keras.Input(shape); net = keras.Model(x, your_net(x))` (for a Sequential, "
            f"start it with keras.Input(shape)). Received: a {type(model).__name__} named {model.name!r}"
        )
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"`{name}` must have one input and one output (logits). Received: {len(inputs)} inputs "
            f"and {len(outputs)} outputs"
        )
    if not logits:
        return
    shape = tuple(d if d is not None else 32 for d in inputs[0].shape[1:])
    if not keras.backend.is_float_dtype(keras.backend.standardize_dtype(inputs[0].dtype)):
        return  # token ids or pixels as integers: no random probe
    probe = keras.ops.convert_to_numpy(model(np.random.default_rng(0).random((4, *shape), dtype="float32"),
                                             training=False))
    if probe.ndim == 2 and probe.shape[-1] > 1 and np.all(probe >= 0) and np.allclose(probe.sum(-1), 1.0, atol=1e-4):
        raise ValueError(
            f"`{name}` outputs probabilities (its rows are non-negative and sum to 1): RocketModel needs "
            "logits, and its losses apply the softmax. Remove the final softmax (keras.applications: "
            f"classifier_activation=None). Received: {name} outputs such as {[round(float(v), 3) for v in probe[0]]}"
        )
