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

import numbers
import warnings

import keras
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


@keras.saving.register_keras_serializable(package="rocket_keras")
class RocketModel(keras.Model):
    """A functional model with a booster head and a light head.

    Build one with the zoo (``rocket_keras.zoo.rocket_resnet`` and friends);
    its outputs are ``{"booster": logits, "light": logits}``.

    Example:

    ```python
    from rocket_keras.zoo import rocket_resnet

    model = rocket_resnet(input_shape=(28, 28, 1), num_classes=10)
    model.compile(optimizer="adam", metrics=["accuracy"], hint="logits_mse")
    model.fit(x_train, y_train, epochs=2)  # one label array trains both
    light = model.light_model()  # a plain keras.Model, light weights only
    ```
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
                on top of the hint: the paper's "rocket + KD". 0 (the
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
        self._passthrough_compile_args = {
            k: v for k, v in kwargs.items() if k in _PASSTHROUGH_COMPILE_ARGS
        }

    def _check_teacher(self, teacher, teacher_kd_weight):
        if (teacher is None) != (teacher_kd_weight == 0):
            raise ValueError(
                "`teacher` and `teacher_kd_weight` go together: pass both, or neither. "
                f"Received: teacher={'a model' if teacher is not None else None}, "
                f"teacher_kd_weight={teacher_kd_weight!r}"
            )
        if teacher is None:
            return
        if not isinstance(teacher, keras.Model):
            raise ValueError(f"`teacher` must be a keras.Model. Received: teacher of type {type(teacher).__name__}")
        shared = {id(v) for v in teacher.weights} & {id(v) for v in self.weights}
        if shared:
            raise ValueError(
                "The teacher shares weights with this rocket model; a frozen teacher must be a "
                "separately trained network (e.g. a booster trained alone and loaded from its "
                f".keras file). Received: {len(shared)} shared variables"
            )
        classes = teacher.outputs[0].shape[-1] if getattr(teacher, "outputs", None) else None
        if classes is not None and classes != self.get_layer("light_logits").units:
            raise ValueError(
                f"The teacher must give logits for {self.get_layer('light_logits').units} classes, "
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
        x = input_checks.checked_inputs(x, y, num_classes=self.get_layer("light_logits").units)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def train_step(self, data):
        # Checked before the forward pass, which already updates BatchNorm
        # statistics: a bad batch leaves every weight as it was.
        return super().train_step(self._checked(data))

    def test_step(self, data):
        return super().test_step(self._checked(data))

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
        logits = self.get_layer(f"{head}_logits").output
        return keras.Model(self.input, logits, name=name or f"{self.name}_{head}")
