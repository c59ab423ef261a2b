"""RocketModel: a booster and a light network learning together in one fit.

The model is a Keras functional model with two outputs, the booster's and the
light net's logits. ``compile`` takes the Rocket Launching settings instead of
a loss; ``compute_loss`` applies

    L = a * H(y, q) + b * H(y, p) + lambda * hint(l, stop_gradient(z))
        [+ kd_weight * T^2 * H(softmax(stop_gradient(z) / T), softmax(l / T))]

(the bracketed term is the paper's "rocket + KD", on when ``kd_weight > 0``),
so the standard Keras ``train_step`` (gradient tape, loss scaling for mixed
precision, ``tf.distribute``) does the rest.
"""

import numbers

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
        }
        self._passthrough_compile_args = {
            k: v for k, v in kwargs.items() if k in _PASSTHROUGH_COMPILE_ARGS
        }

    @property
    def metrics(self):
        metrics = super().metrics
        if not (self._rocket_settings or {}).get("kd_weight"):
            # No KD term: keep `kd_loss` out of the logs.
            metrics = [m for m in metrics if m is not self.kd_loss_tracker]
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
