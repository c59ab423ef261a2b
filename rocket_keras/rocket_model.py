"""RocketModel: a booster and a light network learning together in one fit.

The model is a Keras functional model with two outputs, the booster's and the
light net's logits. ``compile`` takes the Rocket Launching settings instead of
a loss; ``compute_loss`` applies

    L = a * H(y, q) + b * H(y, p) + lambda * hint(l, stop_gradient(z))
        [+ kd_weight * T^2 * H(softmax(stop_gradient(z) / T), softmax(l / T))]
        [+ teacher_kd_weight * T^2 * H(softmax(t / T), softmax(l / T))]

The first bracketed term is KD from the co-trained booster (on when
``kd_weight > 0``); the second is the Rocket Launching authors' "rocket +
KD": KD from a separately trained, frozen ``teacher`` whose logits ``t`` are
computed in inference mode. So the standard Keras ``train_step`` (gradient tape, loss scaling for mixed
precision, ``tf.distribute``) does the rest.
"""

import itertools
import numbers
import warnings

import keras
import numpy as np
from keras import ops

from rocket_keras import input_checks, losses

HEADS = ("booster", "light")

# Arguments of keras.Model.compile that are kept in the saved compile config.
_PASSTHROUGH_COMPILE_ARGS = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


def _is_number(value):
    """A real number (numpy scalars included), but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_non_negative(**values):
    for name, value in values.items():
        if not _is_number(value) or value < 0:
            raise ValueError(
                f"`{name}` must be a non-negative number. Received: {name}={value!r}"
            )


def _copy_metric(metric):
    """A fresh metric of the same kind, so each head owns its own state."""
    if isinstance(metric, keras.metrics.Metric):
        return metric.__class__.from_config(metric.get_config())
    return metric


def _per_head(metrics):
    """``{"booster": metrics, "light": copies}``, or None for no metrics."""
    if not metrics:
        return None
    return {"booster": list(metrics), "light": [_copy_metric(m) for m in metrics]}


def _serialized(metrics):
    return keras.saving.serialize_keras_object(list(metrics)) if metrics else None


def _batch_mean(values, sample_weight):
    """Mean over the batch, ``sum(w * v) / batch_size`` with sample weights.

    This is Keras' "sum_over_batch_size" reduction, so weighted and
    unweighted losses are on the same scale as the built-in losses.
    """
    if sample_weight is None:
        return ops.mean(values)
    sample_weight = ops.reshape(ops.cast(sample_weight, values.dtype), (-1,))
    return ops.sum(values * sample_weight) / ops.cast(ops.shape(values)[0], values.dtype)


class _Untracked:
    """Holds a model out of Keras' tracking, so it is neither trained nor saved."""

    def __init__(self, model):
        self.model = model


def _scale_for_replicas(loss):
    """Divides a per-replica loss by the number of replicas in sync.

    Each replica's gradients are summed across replicas, so each replica's
    loss must be its share of the global mean. Keras does this inside its own
    losses; a hand-written loss has to do it itself or updates double.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / ops.cast(replicas, loss.dtype)
    return loss


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


def _head_outputs(outputs, booster, light):
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


@keras.saving.register_keras_serializable(package="rocket_keras")
class RocketModel(keras.Model):
    """A functional model with a booster head and a light head.

    Built from an input and the two heads' logits; the model keeps the heads
    itself (no layer needs a particular name). The zoo builds them
    (``rocket_keras.zoo.rocket_resnet`` and friends), and
    ``rocket_keras.from_networks`` pairs any two Keras networks.

    Args:
        inputs: the input tensor(s) (``keras.Input``).
        booster: the booster's logits, a tensor computed from ``inputs``.
        light: the light net's logits, computed from ``inputs``; the same
            number of classes as the booster.
        name: model name.
        outputs: the heads as ``{"booster": z, "light": l}`` instead (how
            saved models are rebuilt).

    Example:

    ```python
    inputs = keras.Input((28, 28, 1))
    features = keras.layers.Flatten()(inputs)
    booster = keras.layers.Dense(10)(keras.layers.Dense(256, activation="relu")(features))
    light = keras.layers.Dense(10)(keras.layers.Dense(32, activation="relu")(features))
    model = RocketModel(inputs, booster=booster, light=light)
    model.compile(optimizer="adam", metrics=["accuracy"], hint="logits_mse")
    model.fit(x_train, y_train, epochs=2)  # one label array trains both
    light_net = model.light_model()  # a plain keras.Model, no booster-only weight
    ```
    """

    def __init__(self, inputs=None, outputs=None, name=None, *, booster=None, light=None, **kwargs):
        outputs = _head_outputs(outputs, booster, light)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        # The input and the heads, by reference: the tensors themselves.
        self._model_inputs = inputs
        self._head_outputs = outputs
        self.booster_loss_tracker = keras.metrics.Mean(name="booster_loss")
        self.light_loss_tracker = keras.metrics.Mean(name="light_loss")
        self.hint_loss_tracker = keras.metrics.Mean(name="hint_loss")
        self.kd_loss_tracker = keras.metrics.Mean(name="kd_loss")
        self.teacher_kd_loss_tracker = keras.metrics.Mean(name="teacher_kd_loss")
        self._teacher = None
        self._rocket_settings = None
        self._head_metrics = None
        self._head_weighted_metrics = None

    def compile(
        self,
        optimizer="rmsprop",
        metrics=None,
        weighted_metrics=None,
        hint="logits_mse",
        hint_weight=0.03,
        temperature=4.0,
        gradient_block=True,
        booster_loss_weight=1.0,
        light_loss_weight=1.0,
        kd_weight=0.0,
        teacher=None,
        teacher_kd_weight=0.0,
        **kwargs,
    ):
        """Configures rocket training.

        Args:
            optimizer: a Keras optimizer or its name.
            metrics: metrics computed for each head, e.g. ``["accuracy"]``,
                logged as ``booster_accuracy`` and ``light_accuracy``.
            weighted_metrics: like ``metrics``, weighted by the
                ``sample_weight`` given to ``fit``/``evaluate``.
            hint: ``"logits_mse"`` (the paper's default), ``"softmax_mse"``
                or ``"kd"`` (Hinton distillation with ``temperature``).
            hint_weight: lambda, the weight of the hint term.
            temperature: softening temperature T of the ``"kd"`` hint and
                of the ``kd_weight`` term.
            gradient_block: treat the booster logits as a constant in the
                hint, so the hint never updates booster-only weights.
            booster_loss_weight: weight of the booster's cross-entropy.
            light_loss_weight: weight of the light net's cross-entropy.
            kd_weight: weight of an extra Hinton KD term (temperature
                ``temperature``, T^2-scaled, gradient-blocked like the hint)
                from the co-trained booster, on top of the hint: a variant of
                ours (the paper's "rocket + KD" distils a frozen, separately
                trained booster: ``teacher`` and ``teacher_kd_weight``). 0 (the
                default) leaves it out; above 0 the logs carry ``kd_loss``.
            teacher: a trained ``keras.Model`` with the same input and
                number of classes, sharing no weight with this model (e.g.
                a booster trained alone). It stays frozen: it runs in
                inference mode, is never updated, and is not saved with
                this model (compile again with it after loading).
            teacher_kd_weight: weight of the KD term from ``teacher``
                (temperature ``temperature``, T^2-scaled), logged as
                ``teacher_kd_loss``: the authors' "rocket + KD". Their
                ``alpha`` corresponds to
                ``rocket_keras.losses.authors_kd_weight(alpha, num_classes)``.
            **kwargs: other ``keras.Model.compile`` arguments
                (``steps_per_execution``, ``jit_compile``, ...). ``loss``
                and ``loss_weights`` are not accepted: the rocket loss is
                fixed by the arguments above.
        """
        for name in ("loss", "loss_weights"):
            kwargs_value = kwargs.pop(name, None)
            if kwargs_value is not None:
                raise ValueError(
                    f"RocketModel computes its own loss; do not pass `{name}`. "
                    "Use `hint`, `hint_weight`, `booster_loss_weight` and "
                    f"`light_loss_weight` (and `kd_weight`) instead. Received: {name}={kwargs_value!r}"
                )
        losses.get_hint(hint)
        _check_non_negative(
            hint_weight=hint_weight,
            booster_loss_weight=booster_loss_weight,
            light_loss_weight=light_loss_weight,
            kd_weight=kd_weight,
            teacher_kd_weight=teacher_kd_weight,
        )
        self._check_teacher(teacher, teacher_kd_weight)
        if not isinstance(gradient_block, (bool, np.bool_)):
            raise ValueError(
                "`gradient_block` must be True or False (a string such as 'false' would count as True). "
                f"Received: gradient_block={gradient_block!r}"
            )
        if not _is_number(temperature) or temperature <= 0:
            raise ValueError(
                f"`temperature` must be a positive number. Received: temperature={temperature!r}"
            )
        for name, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple)):
                raise ValueError(
                    f"`{name}` must be a list applied to both heads, e.g. "
                    f"['accuracy']. Received: {name}={value!r}"
                )
        super().compile(
            optimizer=optimizer,
            metrics=_per_head(metrics),
            weighted_metrics=_per_head(weighted_metrics),
            **kwargs,
        )
        # Kept serialized: a list of Metric objects on the model would be
        # tracked by Keras and logged a third time, without a head prefix.
        self._head_metrics = _serialized(metrics)
        self._head_weighted_metrics = _serialized(weighted_metrics)
        self._rocket_settings = {
            "hint": hint,
            "hint_weight": float(hint_weight),
            "temperature": float(temperature),
            "gradient_block": bool(gradient_block),
            "booster_loss_weight": float(booster_loss_weight),
            "light_loss_weight": float(light_loss_weight),
            "kd_weight": float(kd_weight),
            "teacher_kd_weight": float(teacher_kd_weight),
        }
        self._teacher = _Untracked(teacher) if teacher is not None else None
        self._label_format = None
        self._passthrough_compile_args = {
            k: v for k, v in kwargs.items() if k in _PASSTHROUGH_COMPILE_ARGS
        }

    def fit(self, *args, callbacks=None, **kwargs):
        """``keras.Model.fit``; callbacks monitoring a head's metric need no ``mode=``.

        Keras infers ``mode`` from a metric's name, and a head's logged name
        (``val_light_accuracy``) is not a metric's name: ``EarlyStopping``,
        ``ModelCheckpoint(save_best_only=True)`` and ``ReduceLROnPlateau``
        with ``mode="auto"`` get the direction of the head's metric here.
        """
        modes = self._monitor_modes()
        for callback in callbacks or []:
            monitor = getattr(callback, "monitor", None)
            if getattr(callback, "mode", None) == "auto" and getattr(callback, "monitor_op", 0) is None:
                mode = modes.get(str(monitor).removeprefix("val_"))
                if mode:
                    callback.mode = mode
        if callbacks is not None:
            kwargs["callbacks"] = callbacks
        return super().fit(*args, **kwargs)

    def _monitor_modes(self):
        """``"min"`` or ``"max"`` for each name this model logs."""
        modes = {name: "min" for name in ("loss", "booster_loss", "light_loss", "hint_loss", "kd_loss",
                                          "teacher_kd_loss")}
        for serialized in (self._head_metrics, self._head_weighted_metrics):
            for metric in keras.saving.deserialize_keras_object(serialized) or []:
                try:
                    direction = getattr(keras.metrics.get(metric), "_direction", None)
                except ValueError:
                    continue
                name = metric if isinstance(metric, str) else metric.name
                if direction in ("up", "down"):
                    for head in HEADS:
                        modes[f"{head}_{name}"] = "max" if direction == "up" else "min"
        return modes

    def freeze_booster(self, include_shared=False):
        """Stops training the booster's own layers; returns the names of the layers frozen.

        ``booster_model().trainable = False`` would freeze every layer the
        booster uses, and under "interval" or "bottom" sharing most of those
        are the light net's too. This freezes only layers whose weights are
        all booster-only (``booster_only_weights``), so the light net keeps
        training; ``include_shared=True`` also freezes the layers shared
        with the light net. Call ``compile`` afterwards, as for any change
        of ``trainable``.

        Example:

        ```python
        frozen = model.freeze_booster()
        model.compile(optimizer="sgd", metrics=["accuracy"])
        ```
        """
        booster_only = {id(w) for w in self.booster_only_weights}
        light = {id(w) for w in self.light_model().weights}
        frozen = []
        for layer in self.booster_model()._flatten_layers(include_self=False, recursive=False):
            ids = [id(w) for w in layer.weights]
            if not ids:
                continue
            if all(i in booster_only for i in ids) or (include_shared and any(i in light for i in ids)):
                layer.trainable = False
                frozen.append(layer.name)
        return frozen

    @property
    def num_classes(self):
        """The number of classes of both heads."""
        return int(self._head_outputs["light"].shape[-1])

    @property
    def booster_only_weights(self):
        """The weights the booster uses and the light net does not (by identity).

        None of these may ship with the light net; ``export_light`` checks it.
        """
        light = {id(w) for w in self.light_model().weights}
        return [w for w in self.booster_model().weights if id(w) not in light]

    def _check_teacher(self, teacher, teacher_kd_weight):
        if (teacher is None) != (teacher_kd_weight == 0):
            raise ValueError(
                "`teacher` and `teacher_kd_weight` go together: pass both, or neither. "
                f"Received: teacher={'a model' if teacher is not None else None}, "
                f"teacher_kd_weight={teacher_kd_weight!r}"
            )
        if teacher is None:
            return
        if isinstance(teacher, RocketModel):
            raise ValueError(
                "`teacher` must be one network giving logits, not a rocket pair: pass its booster, "
                "e.g. teacher=pair.booster_model(). Received: a RocketModel"
            )
        if not isinstance(teacher, keras.Model):
            raise ValueError(f"`teacher` must be a keras.Model. Received: teacher of type {type(teacher).__name__}")
        if tuple(teacher.inputs[0].shape[1:]) != tuple(self.inputs[0].shape[1:]):
            raise ValueError(
                f"The teacher must take this model's inputs, of shape {tuple(self.inputs[0].shape[1:])}. "
                f"Received: a teacher with inputs of shape {tuple(teacher.inputs[0].shape[1:])}"
            )
        layer = softmax_layer(teacher.outputs[0])
        if layer is not None:
            raise ValueError(
                "The teacher ends in a softmax; its KD term needs logits. Build it without the softmax. "
                f"Received: teacher output from layer {layer.name!r}"
            )
        shared = {id(v) for v in teacher.weights} & {id(v) for v in self.weights}
        if shared:
            raise ValueError(
                "The teacher shares weights with this rocket model; a frozen teacher must be a "
                "separately trained network (e.g. a booster trained alone and loaded from its "
                f".keras file). Received: {len(shared)} shared variables"
            )
        classes = teacher.outputs[0].shape[-1] if getattr(teacher, "outputs", None) else None
        if classes is not None and classes != self.num_classes:
            raise ValueError(
                f"The teacher must give logits for {self.num_classes} classes, "
                f"like this model. Received: a teacher with {classes} outputs"
            )

    @property
    def teacher(self):
        """The frozen teacher given to ``compile``, or ``None``."""
        return self._teacher.model if self._teacher is not None else None

    @property
    def metrics(self):
        metrics = super().metrics
        settings = self._rocket_settings or {}
        # Terms that are off stay out of the logs.
        if not settings.get("kd_weight"):
            metrics = [m for m in metrics if m is not self.kd_loss_tracker]
        if not settings.get("teacher_kd_weight"):
            metrics = [m for m in metrics if m is not self.teacher_kd_loss_tracker]
        return metrics

    @property
    def rocket_settings(self):
        """The rocket loss settings given to ``compile`` (a copy)."""
        return dict(self._rocket_settings or {})

    def get_compile_config(self):
        if not self.compiled or self._rocket_settings is None:
            return {}
        return {
            "optimizer": keras.saving.serialize_keras_object(self.optimizer),
            "metrics": self._head_metrics,
            "weighted_metrics": self._head_weighted_metrics,
            **self._rocket_settings,
            **self._passthrough_compile_args,
        }

    def compile_from_config(self, config):
        config = dict(config)
        if config.get("teacher_kd_weight"):
            warnings.warn(
                "This model was compiled with a frozen teacher, which is not saved with it. "
                "It is compiled again without the teacher KD term; to continue rocket + KD, call "
                "`compile(..., teacher=teacher, teacher_kd_weight=...)` with the teacher.",
                stacklevel=2,
            )
            config["teacher_kd_weight"] = 0.0
        config["optimizer"] = keras.saving.deserialize_keras_object(config["optimizer"])
        for name in ("metrics", "weighted_metrics"):
            config[name] = keras.saving.deserialize_keras_object(config.get(name))
        self.compile(**config)
        if self.built:
            # Create the optimizer's variables now, so that the saved ones
            # (momentum, iteration count) can be loaded into them.
            self.optimizer.build(self.trainable_variables)

    def _checked(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = input_checks.checked_inputs(x, y, num_classes=self.num_classes)
        if y is not None:
            self._check_label_format(y)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def _check_label_format(self, y):
        """One label format per compile: Keras builds the head metrics for the first one it sees."""
        label_format = "one-hot" if input_checks.labels_are_one_hot(y, self.num_classes) else "class ids"
        seen = getattr(self, "_label_format", None)
        if seen is None:
            self._label_format = label_format
        elif seen != label_format:
            raise ValueError(
                f"This model's metrics were built for labels as {seen}, and Keras keeps that choice: "
                f"keep to {seen}, or call compile() again to switch. Received: labels as {label_format}"
            )

    # JAX compiles the whole step, so the value checks (label range, finite
    # inputs) run on the host, on each batch before the step: a bad batch
    # changes no weight. TensorFlow asserts inside the step instead.
    def make_train_function(self, force=False):
        super().make_train_function(force)
        self.train_function = self._host_checked(self.train_function, training=True)

    def make_test_function(self, force=False):
        super().make_test_function(force)
        self.test_function = self._host_checked(self.test_function, training=False)

    def _host_checked(self, function, training):
        """``function(state, iterator)`` with each batch checked on the host first (JAX only)."""
        if keras.backend.backend() != "jax" or getattr(function, "_rocket_checked", False):
            return function

        def checked(state, iterator):
            # The batches of one call (steps_per_execution of them), checked
            # before the compiled step donates the state: on a bad batch the
            # model's variables get the state back (the JAX trainer took them
            # out for the loop) and the error goes up.
            batches = list(itertools.islice(iterator, self.steps_per_execution))
            try:
                for batch in batches:
                    input_checks.check_batch(batch, self.num_classes)
            except ValueError:
                self._restore_jax_state(state, training)
                raise
            return function(state, iter(batches))

        checked._rocket_checked = True
        return checked

    def _restore_jax_state(self, state, training):
        groups = [self.trainable_variables, self.non_trainable_variables]
        groups += [self.optimizer.variables] if training else []
        groups += [self.metrics_variables]
        for variables, values in zip(groups, state):
            for variable, value in zip(variables, values):
                variable.assign(value)
        self._jax_state = None

    # The data is the last argument on every backend: TensorFlow's trainer
    # calls train_step(data), JAX's train_step(state, data).
    def train_step(self, *args):
        # Checked before the forward pass, which already updates BatchNorm
        # statistics: a bad batch leaves every weight as it was.
        return super().train_step(*args[:-1], self._checked(args[-1]))

    def test_step(self, *args):
        return super().test_step(*args[:-1], self._checked(args[-1]))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self._rocket_settings is None:
            raise RuntimeError("Call `compile()` before training or evaluating.")
        if y is None:
            raise ValueError(
                "RocketModel trains on one label array shared by both heads: "
                "pass `y` (integer class ids or one-hot). Received: y=None"
            )
        settings = self._rocket_settings
        terms = losses.rocket_loss_terms(
            y,
            y_pred["booster"],
            y_pred["light"],
            hint=settings["hint"],
            temperature=settings["temperature"],
            gradient_block=settings["gradient_block"],
            with_kd=settings["kd_weight"] > 0,
        )
        means = {name: _batch_mean(value, sample_weight) for name, value in terms.items()}
        total = (
            settings["booster_loss_weight"] * means["booster_loss"]
            + settings["light_loss_weight"] * means["light_loss"]
            + settings["hint_weight"] * means["hint_loss"]
        )
        trackers = [
            (self.booster_loss_tracker, "booster_loss"),
            (self.light_loss_tracker, "light_loss"),
            (self.hint_loss_tracker, "hint_loss"),
        ]
        if "kd_loss" in means:
            total = total + settings["kd_weight"] * means["kd_loss"]
            trackers.append((self.kd_loss_tracker, "kd_loss"))
        if self._teacher is not None:
            teacher_logits = ops.stop_gradient(ops.cast(self._teacher.model(x, training=False), "float32"))
            light_logits = ops.cast(y_pred["light"], "float32")
            means["teacher_kd_loss"] = _batch_mean(
                losses.kd(light_logits, teacher_logits, settings["temperature"]), sample_weight
            )
            total = total + settings["teacher_kd_weight"] * means["teacher_kd_loss"]
            trackers.append((self.teacher_kd_loss_tracker, "teacher_kd_loss"))
        if self.losses:
            total = total + ops.cast(ops.sum(self.losses), total.dtype)
        batch_size = ops.shape(terms["booster_loss"])[0]
        for tracker, name in trackers:
            tracker.update_state(means[name], sample_weight=batch_size)
        return _scale_for_replicas(total)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        # One label array serves both heads.
        return super().compute_metrics(
            x, {head: y for head in HEADS}, y_pred, sample_weight=sample_weight
        )

    def light_model(self, name=None):
        """The light network alone: a plain ``keras.Model`` to its logits.

        It shares its layers (and so its weights) with this model and holds
        no booster-only weight; export or fine-tune it like any model.
        """
        return self._head_model("light", name)

    def booster_model(self, name=None):
        """The booster network alone: a plain ``keras.Model`` to its logits."""
        return self._head_model("booster", name)

    def _head_model(self, head, name):
        model = keras.Model(self._model_inputs, self._head_outputs[head], name=name or f"{self.name}_{head}")
        shape = self._model_inputs.shape if hasattr(self._model_inputs, "shape") else None
        if shape is not None and None not in shape[1:]:
            # One call on a dummy batch, as after any use: Keras' own
            # export(format="onnx") refuses a model that has never been called.
            model(ops.zeros((1,) + tuple(shape[1:]), dtype=self._model_inputs.dtype))
        return model
