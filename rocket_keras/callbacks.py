"""Callbacks for safe rocket training."""

import math

import keras

from rocket_keras import data, losses


class NonFiniteLossError(FloatingPointError):
    """Raised when a loss term becomes NaN or infinite during training.

    Example:

    ```python
    try:
        model.fit(train, epochs=3, callbacks=[StopOnNonFiniteLoss()])
    except NonFiniteLossError as error:
        print(error)  # names the terms that went non-finite
    ```
    """


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training at the first batch whose loss terms are not finite.

    Unlike ``keras.callbacks.TerminateOnNaN``, it raises
    ``NonFiniteLossError`` naming the terms that went non-finite
    (``booster_loss``, ``light_loss``, ``hint_loss``, ...) instead of letting
    the epoch end: callbacks that save at the end of an epoch
    (``ModelCheckpoint``, ``BackupAndRestore``) therefore never write the
    broken weights, and the last good checkpoint stays intact.

    Args:
        monitor: names of the logged loss terms to check; ``None``
            (default): ``loss``, ``booster_loss``, ``light_loss``,
            ``hint_loss``, ``kd_loss`` and ``teacher_kd_loss`` (those
            missing from the logs are skipped).

    Example:

    ```python
    checkpoint = keras.callbacks.ModelCheckpoint("rocket.keras")
    model.fit(train, epochs=15, callbacks=[StopOnNonFiniteLoss(), checkpoint])
    ```
    """

    def __init__(self, monitor=None):
        super().__init__()
        self.monitor = tuple(monitor or ("loss",) + losses.TERMS)

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        bad = {
            name: float(logs[name])
            for name in self.monitor
            if name in logs and not math.isfinite(float(logs[name]))
        }
        if bad:
            self.model.stop_training = True
            terms = ", ".join(f"{name}={value}" for name, value in bad.items())
            raise NonFiniteLossError(
                f"Training stopped at batch {batch}: non-finite loss terms {terms}. "
                "Check the inputs for NaN/Inf, or lower the learning rate. The "
                "last checkpoint written before this batch is untouched."
            )


class StudentCheckpoint(keras.callbacks.Callback):
    """Saves a distiller's student (``model.student``) to ``filepath`` after each epoch.

    ``keras.callbacks.ModelCheckpoint`` would save the whole distiller,
    teacher included; what ships is the student.

    Args:
        filepath: the ``.keras`` file written (overwritten each epoch).

    Example:

    ```python
    distiller = knowledge_distillation(teacher, student, 4.0)
    distiller.fit(train, epochs=15, callbacks=[StudentCheckpoint("student.keras")])
    ```
    """

    def __init__(self, filepath):
        super().__init__()
        self.filepath = filepath

    def on_epoch_end(self, epoch, logs=None):
        self.model.student.save(self.filepath)


def set_monitor_modes(callbacks, modes):
    """Gives ``mode=`` to callbacks left at ``"auto"`` that watch a name in ``modes``.

    Keras infers ``mode`` from a metric's name, and a head's logged name
    (``val_light_accuracy``) is not a metric's name: ``EarlyStopping``,
    ``ModelCheckpoint(save_best_only=True)`` and ``ReduceLROnPlateau`` with
    ``mode="auto"`` get the direction from ``modes`` (``{"light_accuracy":
    "max", ...}``, names without ``val_``) instead.
    """
    for callback in callbacks or []:
        monitor = getattr(callback, "monitor", None)
        if getattr(callback, "mode", None) == "auto" and getattr(callback, "monitor_op", 0) is None:
            mode = modes.get(str(monitor).removeprefix("val_"))
            if mode:
                callback.mode = mode


def monitor_modes(heads, *serialized_metric_lists):
    """``"min"`` or ``"max"`` for each name a RocketModel logs: its loss terms and each head's metrics.

    Example:

    ```python
    monitor_modes(("booster", "light"), ["accuracy"])["light_accuracy"]  # "max"
    ```
    """
    modes = {name: "min" for name in ("loss",) + losses.TERMS}
    for serialized in serialized_metric_lists:
        for metric in keras.saving.deserialize_keras_object(serialized) or []:
            try:
                direction = getattr(keras.metrics.get(metric), "_direction", None)
            except ValueError:
                continue
            name = metric if isinstance(metric, str) else metric.name
            if direction in ("up", "down"):
                for head in heads:
                    modes[f"{head}_{name}"] = "max" if direction == "up" else "min"
    return modes


def batch_norm_layers(model):
    """The trainable ``BatchNormalization`` layers of ``model`` and of every model or layer nested in it."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]


def recompute_batch_norm_statistics(model, data, steps=200):
    """Sets every BatchNormalization layer's moving statistics to their mean over ``steps`` batches of ``data``.

    What ``torch.optim.swa_utils.update_bn`` does for averaged weights: the
    weights change (here, an average is swapped in) but the moving mean and
    variance still describe the old ones, and a net evaluated with them can
    lose many points (a CIFAR-10 ResNet-8 averaged with momentum 0.999 lost
    12). Each layer's statistics are reset and then averaged over the
    batches with equal weights (momentum ``k / (k + 1)`` at batch ``k``);
    no other variable changes. ``data`` yields ``(x, y)`` batches or ``x``.

    Example:

    ```python
    model.fit(train, epochs=15)  # an optimizer with use_ema=True: fit ends with the average
    recompute_batch_norm_statistics(model, train)
    ```
    """
    layers = batch_norm_layers(model)
    if not layers:
        return
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.moving_mean.assign(keras.ops.zeros(layer.moving_mean.shape, layer.moving_mean.dtype))
        layer.moving_variance.assign(keras.ops.ones(layer.moving_variance.shape, layer.moving_variance.dtype))
    try:
        for k, batch in enumerate(data):
            if steps is not None and k >= steps:
                break
            x, _, _ = keras.utils.unpack_x_y_sample_weight(batch)
            for layer in layers:
                layer.momentum = k / (k + 1)
            model(x, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum


class RecomputeBatchNormStatistics(keras.callbacks.Callback):
    """At the end of ``fit``, recomputes the BatchNormalization statistics for the final weights.

    An optimizer with ``use_ema=True`` swaps the averaged weights into the
    model when ``fit`` ends, but keeps the moving statistics of the last
    raw weights; this callback recomputes them from ``data``
    (``recompute_batch_norm_statistics``), so that what is evaluated, saved
    and exported afterwards is consistent.

    Args:
        data: the training data, batches of ``(x, y)`` or ``x``.
        steps: batches to average over; ``None``: all of ``data``.

    Example:

    ```python
    optimizer = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.999)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(train, epochs=15, callbacks=[RecomputeBatchNormStatistics(train)])
    ```
    """

    def __init__(self, data, steps=200):
        super().__init__()
        self.data, self.steps = data, steps

    def on_train_end(self, logs=None):
        recompute_batch_norm_statistics(self.model, self.data, self.steps)


# Iterators Keras 3.15's `fit` opens over a training dataset per epoch, each drawing
# the next shuffle order and crops (measured; tests/test_reliability.py and
# tests/test_jax.py fail if a Keras version changes the count). TensorFlow's
# epoch iterator opens the next epoch's at the end of an epoch when the dataset's size
# is known, and with no `steps_per_epoch` opens another at the next epoch's start; JAX's
# opens one per epoch (and peeks at one more before the first, which a resumed run does too).
def _iterators_per_epoch(train_data):
    if keras.backend.backend() == "tensorflow" and int(train_data.cardinality()) > 0:
        return 2
    return 1


class BackupAndRestoreDataOrder(keras.callbacks.BackupAndRestore):
    """``keras.callbacks.BackupAndRestore`` that also resumes the training data's order.

    ``BackupAndRestore`` restores the weights, the optimizer and the epoch,
    but a new process starts a seeded ``tf.data`` pipeline's shuffle and
    augmentation from the beginning: without this, the epoch after a resume
    sees the first epoch's order and crops again. Here, when a backup of
    ``k`` finished epochs is restored, the training data is moved on by the
    passes ``fit`` opened in those ``k`` epochs (``data.skip_passes``: no
    batch is read), so that a resumed run sees the data of an uninterrupted
    one and, under op determinism, ends with its weights to the bit.
    Checked on one device with the TensorFlow and JAX backends of Keras
    3.15 (``tests/test_reliability.py``, ``tests/test_jax.py``), whose
    ``fit`` opens a set number of iterators per epoch; not under a
    ``tf.distribute`` strategy with several replicas. Epoch-level backups
    only (``save_freq="epoch"``). Data that is not a ``tf.data.Dataset``
    (arrays, which ``fit`` shuffles itself) is left as it is.

    Args:
        backup_dir: as for ``BackupAndRestore``.
        train_data: the ``tf.data.Dataset`` passed to ``fit`` (the same
            object: its random state is what moves).
        delete_checkpoint: as for ``BackupAndRestore``: remove the backup
            when ``fit`` ends. ``False`` keeps it until the caller removes it,
            so that work after ``fit`` (evaluation, export) interrupted by a
            kill resumes from the last epoch instead of training again.

    Example:

    ```python
    model.fit(train, epochs=15, callbacks=[BackupAndRestoreDataOrder("run/backup", train)])
    ```
    """

    def __init__(self, backup_dir, train_data, delete_checkpoint=True):
        super().__init__(backup_dir, delete_checkpoint=delete_checkpoint)
        self.train_data = train_data

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        # The epoch fit starts from: BackupAndRestore sets it from its backup (None without one).
        epochs = self.model._initial_epoch
        if not epochs or not hasattr(self.train_data, "cardinality"):  # no backup, or not a tf.data.Dataset
            return
        data.skip_passes(self.train_data, epochs * _iterators_per_epoch(self.train_data))
        print(f"Resumed after epoch {epochs}: the training data continues in the order of an uninterrupted run.")
