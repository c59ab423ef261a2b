"""RocketModel: a booster and a light network learning together in one fit.

The model is a Keras functional model with two outputs, the booster's and the
light net's logits. ``compile`` takes the Rocket Launching settings instead of
a loss; ``compute_loss`` applies

    L = a * H(y, q) + b * H(y, p) + lambda * hint(l, stop_gradient(z))
        [+ kd_weight * T^2 * H(softmax(stop_gradient(z) / T), softmax(l / T))]
        [+ teacher_kd_weight * T^2 * H(softmax(t / T), softmax(l / T))]
        [+ mutual_weight * T^2 * H(softmax(stop_gradient(l) / T), softmax(z / T))]

The first bracketed term is KD from the co-trained booster (on when
``kd_weight > 0``); the second is the Rocket Launching authors' "rocket +
KD": KD from a separately trained, frozen ``teacher`` whose logits ``t`` are
computed in inference mode. The third is the booster learning from the
light net: with ``kd_weight`` it is Deep Mutual Learning (Zhang et al.,
CVPR 2018; the ``dml`` method of ``rocket_keras.methods``). So the standard
Keras ``train_step`` (gradient tape, loss scaling for mixed precision,
``tf.distribute``) does the rest.
"""

import inspect
import warnings

import keras

from rocket_keras import backends, heads, input_checks, losses, model_checks
from rocket_keras import callbacks as _callbacks  # `callbacks` is fit's argument
from rocket_keras.model_checks import HEADS, softmax_layer  # noqa: F401  (softmax_layer: part of this module's API)

# Arguments of keras.Model.compile that are kept in the saved compile config.
_PASSTHROUGH_COMPILE_ARGS = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


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


class _Untracked:
    """Holds a model out of Keras' tracking, so it is neither trained nor saved."""

    def __init__(self, model):
        self.model = model


@keras.saving.register_keras_serializable(package="rocket_keras")
class RocketModel(input_checks.CheckedSteps, keras.Model):
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
        outputs = model_checks.head_outputs(outputs, booster, light)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        # The input and the heads, by reference: the tensors themselves.
        self._model_inputs = inputs
        self._head_outputs = outputs
        # One mean per loss term, in losses.TERMS order (a list: Keras tracks it).
        self._loss_trackers = [keras.metrics.Mean(name=term) for term in losses.TERMS]
        self._teacher = None
        self._rocket_settings = None
        self._head_metrics = None
        self._head_weighted_metrics = None

    def compile(
        self,
        optimizer="rmsprop",
        metrics=None,
        weighted_metrics=None,
        hint=losses.HINT,
        hint_weight=losses.HINT_WEIGHT,
        temperature=losses.TEMPERATURE,
        gradient_block=True,
        booster_loss_weight=1.0,
        light_loss_weight=1.0,
        kd_weight=0.0,
        teacher=None,
        teacher_kd_weight=0.0,
        mutual_weight=0.0,
        label_smoothing=0.0,
        **kwargs,
    ):
        """Configures rocket training.

        Args:
            optimizer: a Keras optimizer or its name.
            metrics: metrics computed for each head, e.g. ``["accuracy"]``,
                logged as ``booster_accuracy`` and ``light_accuracy``.
            weighted_metrics: like ``metrics``, weighted by the
                ``sample_weight`` given to ``fit``/``evaluate``.
            hint: the hint between the heads' logits: ``"logits_mse"`` (the
                paper's), ``"softmax_mse"``, ``"kd"`` or
                ``"standardized_logits_mse"`` (its size does not follow the
                logits' scale); see ``rocket_keras.losses``.
            hint_weight: lambda, the hint's weight.
            temperature: T of the ``"kd"`` hint and of the KD terms.
            gradient_block: the booster logits are a constant in the hint, so
                the hint never updates booster-only weights.
            booster_loss_weight, light_loss_weight: the heads' cross-entropy weights.
            kd_weight: an extra KD term from the co-trained booster
                (``kd_loss``; 0, the default, leaves it out). A variant of ours.
            teacher: a trained ``keras.Model`` with the same input and
                classes, sharing no weight with this model (e.g. a booster
                trained alone): frozen, run in inference mode, not saved with
                this model (compile again with it after loading).
            teacher_kd_weight: the KD term from ``teacher``
                (``teacher_kd_loss``): the authors' "rocket + KD", whose
                ``alpha`` is ``losses.authors_kd_weight(alpha, num_classes)``.
            mutual_weight: the KD term teaching the booster the light net's
                softened outputs (``mutual_loss``); with ``kd_weight`` equal, no
                hint and no shared layers, Deep Mutual Learning.
            label_smoothing: e in both heads' cross-entropy (0: none).
            **kwargs: other ``keras.Model.compile`` arguments
                (``steps_per_execution``, ``jit_compile``, ...). ``loss``
                and ``loss_weights`` are not accepted: the rocket loss is
                fixed by the arguments above.
        """
        model_checks.check_no_loss_arguments(kwargs)
        weights = {"hint_weight": hint_weight, "booster_loss_weight": booster_loss_weight,
                   "light_loss_weight": light_loss_weight, "kd_weight": kd_weight,
                   "teacher_kd_weight": teacher_kd_weight, "mutual_weight": mutual_weight}
        model_checks.check_compile_settings(hint, temperature, gradient_block, metrics, weighted_metrics, **weights)
        model_checks.check_fraction("label_smoothing", label_smoothing)
        model_checks.check_teacher(self, teacher, teacher_kd_weight)
        super().compile(optimizer=optimizer, metrics=_per_head(metrics), weighted_metrics=_per_head(weighted_metrics),
                        **kwargs)
        # Kept serialized: a list of Metric objects on the model would be
        # tracked by Keras and logged a third time, without a head prefix.
        self._head_metrics = _serialized(metrics)
        self._head_weighted_metrics = _serialized(weighted_metrics)
        self._rocket_settings = {"hint": hint, "temperature": float(temperature),
                                 "gradient_block": bool(gradient_block), "label_smoothing": float(label_smoothing),
                                 **{name: float(value) for name, value in weights.items()}}
        self._teacher = _Untracked(teacher) if teacher is not None else None
        self._label_format = None  # input_checks.CheckedSteps: set by the first batch
        self._passthrough_compile_args = {k: v for k, v in kwargs.items() if k in _PASSTHROUGH_COMPILE_ARGS}

    def fit(self, *args, **kwargs):
        """``keras.Model.fit``; callbacks monitoring a head's metric need no ``mode=``.

        Keras infers ``mode`` from a metric's name, and a head's logged name
        (``val_light_accuracy``) is not a metric's name: ``EarlyStopping``,
        ``ModelCheckpoint(save_best_only=True)`` and ``ReduceLROnPlateau``
        with ``mode="auto"`` get the direction of the head's metric here,
        whether given by keyword or by position.
        """
        callbacks = inspect.signature(keras.Model.fit).bind(self, *args, **kwargs).arguments.get("callbacks")
        _callbacks.set_monitor_modes(callbacks, _callbacks.monitor_modes(HEADS, self._head_metrics,
                                                                         self._head_weighted_metrics))
        return super().fit(*args, **kwargs)

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
        return heads.freeze_booster(self, include_shared)

    @property
    def num_classes(self):
        """The number of classes of both heads."""
        return int(self._head_outputs["light"].shape[-1])

    @property
    def booster_only_weights(self):
        """The weights the booster uses and the light net does not (by identity).

        None of these may ship with the light net; ``export_light`` checks it.
        """
        return heads.booster_only_weights(self)

    @property
    def teacher(self):
        """The frozen teacher given to ``compile``, or ``None``."""
        return self._teacher.model if self._teacher is not None else None

    @property
    def metrics(self):
        logged = losses.logged_terms(self._rocket_settings or {})  # terms that are off stay out of the logs
        return [m for m in super().metrics if not (m in self._loss_trackers and m.name not in logged)]

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

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self._rocket_settings is None:
            raise RuntimeError("Call `compile()` before training or evaluating.")
        if y is None:
            raise ValueError(
                "RocketModel trains on one label array shared by both heads: "
                "pass `y` (integer class ids or one-hot). Received: y=None"
            )
        settings = self._rocket_settings
        teacher_logits = self._teacher.model(x, training=False) if self._teacher is not None else None
        total, means = losses.rocket_loss(y, y_pred["booster"], y_pred["light"], settings,
                                          teacher_logits=teacher_logits, sample_weight=sample_weight)
        if self.losses:
            total = total + keras.ops.cast(keras.ops.sum(self.losses), total.dtype)
        batch_size = keras.ops.shape(y_pred["light"])[0]
        for tracker in self._loss_trackers:
            if tracker.name in means:
                tracker.update_state(means[tracker.name], sample_weight=batch_size)
        return backends.scale_for_replicas(total)

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
        return heads.head_network(self, "light", name)

    def booster_model(self, name=None):
        """The booster network alone: a plain ``keras.Model`` to its logits."""
        return heads.head_network(self, "booster", name)
