"""Checks on the batches a RocketModel trains on, run before any weight changes.

Shapes and dtypes are checked when the step is traced (a ``ValueError``);
values (label range, finite inputs) by assertions inside the step, whose
failure ``fit``, ``evaluate`` and the ``*_on_batch`` calls raise as a
``ValueError`` with the messages below (``assertion_message``). ``checked_inputs`` makes
the inputs depend on those assertions, so the forward pass, which already
updates BatchNorm statistics, cannot run before them. Without them, labels out of
range give NaN losses on GPUs and silently wrong models.

XLA drops TensorFlow assertions: with ``compile(jit_compile=True)`` (or
Keras' default ``"auto"``, which picks XLA on a GPU) the value checks do not
run. So under XLA ``RocketModel.fit`` checks the training data once on the
host before the first step (``CheckedSteps.check_before_fit``: arrays whole,
a ``tf.data.Dataset`` by one pass of its pipeline, with the same messages);
on CPU Keras does not use XLA by default and the in-step checks always run.
"""

import re
import warnings

import keras
import numpy as np

from rocket_keras import backends

LABEL_RANGE_MESSAGE = "Labels must be class ids in [0, {num_classes}). Received: {received}."
NON_FINITE_MESSAGE = "Inputs contain NaN or Inf. Received: {received}."


_FAILED_LABEL_ASSERTION = re.compile(
    r"\[Labels must be class ids in \[0, (\d+)\)[^\]]*\] \[label\] \[(-?[\d.e+-]+)\] \[at position\] \[(\d+)\]")


def assertion_message(message):
    """The ``ValueError`` text for a failed in-step check's TensorFlow message; None for other errors.

    Example:

    ```python
    assertion_message("assertion failed: [Labels must be class ids in [0, 10). Received:] [label] [12] [at position] [5] ...")
    # 'Labels must be class ids in [0, 10). Received: label 12 at position 5 of the batch.'
    ```
    """
    label = _FAILED_LABEL_ASSERTION.search(message)
    if label:
        num_classes, value, position = label.groups()
        return LABEL_RANGE_MESSAGE.format(num_classes=num_classes,
                                          received=f"label {value} at position {position} of the batch")
    if NON_FINITE_MESSAGE.split(" Received")[0] in message:
        return NON_FINITE_MESSAGE.format(received="a non-finite input value in the batch")
    return None


def labels_are_one_hot(labels, num_classes):
    """Checks the labels' type and shape; True for one-hot (or soft) targets, False for class ids.

    Raises:
        ValueError: for labels that are not an array, not numeric, or of
            a shape that is neither class ids nor one-hot.

    Example:

    ```python
    labels_are_one_hot(np.array([3, 1]), num_classes=10)  # False
    labels_are_one_hot(np.eye(10)[[3, 1]], num_classes=10)  # True
    ```
    """
    if not hasattr(labels, "dtype"):
        raise ValueError(
            "RocketModel trains both heads on one label array (class ids or one-hot), "
            f"not one per head. Received: labels of type {type(labels).__name__}"
        )
    dtype = keras.backend.standardize_dtype(labels.dtype)
    if not (dtype.startswith(("int", "uint", "float", "bfloat"))):
        raise ValueError(
            "Labels must be integer class ids or one-hot floats. "
            f"Received: labels of dtype {dtype}"
        )
    shape = tuple(labels.shape)
    if len(shape) not in (1, 2):
        raise ValueError(
            "Labels must have shape (batch,) or (batch, 1) for class ids, or "
            f"(batch, {num_classes}) for one-hot. Received: labels of shape {shape}"
        )
    if len(shape) == 2 and shape[-1] not in (1, num_classes, None):
        raise ValueError(
            f"One-hot labels must have {num_classes} columns, one per class. "
            f"Received: labels of shape {shape}"
        )
    return len(shape) == 2 and shape[-1] == num_classes and num_classes != 1


def check_labels(labels, num_classes):
    """Labels: class ids of shape (batch,) or (batch, 1), or one-hot (batch, num_classes).

    Shapes and dtypes raise a ``ValueError`` now; for class ids on
    TensorFlow, returns the range assertions.

    Example:

    ```python
    check_labels(tf.constant([3, 1]), num_classes=10)  # range assertions (run at once when eager)
    check_labels(np.zeros((2, 5)), num_classes=10)  # ValueError: 5 columns for 10 classes
    ```
    """
    if labels_are_one_hot(labels, num_classes):
        return []  # one-hot or soft targets
    # The assertion appends the bad label's value and position.
    message = LABEL_RANGE_MESSAGE.format(num_classes=num_classes, received="").rstrip(" .")
    return backends.assert_labels_in_range(labels, num_classes, message)


def check_inputs_finite(x):
    """Inputs must not hold NaN or Inf: they would poison both heads.

    Returns ``x``, on TensorFlow behind an ``assert_all_finite`` check for
    float inputs.

    Example:

    ```python
    x = check_inputs_finite(tf.constant([[0.5, 1.0]]))  # x, unchanged
    check_inputs_finite(tf.constant([[float("nan")]]))  # InvalidArgumentError
    ```
    """
    if not keras.backend.is_float_dtype(keras.backend.standardize_dtype(x.dtype)):
        return x  # integer images (uint8 pixels) cannot be NaN or Inf
    return backends.assert_finite(x, NON_FINITE_MESSAGE.format(received="a non-finite input value"))


def checked_inputs(x, y, num_classes):
    """``(x, label assertions)``: ``x`` made dependent on all checks of ``x`` and ``y`` (see module docstring).

    Example:

    ```python
    x, _ = checked_inputs(tf.zeros((2, 28, 28, 1)), tf.constant([3, 1]), num_classes=10)
    checked_inputs(tf.zeros((2, 28, 28, 1)), tf.constant([3, 12]), num_classes=10)  # InvalidArgumentError
    ```
    """
    assertions = check_labels(y, num_classes) if y is not None else []
    # ``x`` may be a dict or list of arrays (e.g. ``{"image": images}``).
    return backends.after_assertions(assertions, x, check_inputs_finite), assertions


def check_dataset(dataset, num_classes):
    """Checks every batch of ``dataset`` on the host: label shapes and range, finite inputs.

    For training where the in-step assertions do not run (XLA). Iterates
    the dataset once; raises a ``ValueError`` naming the first bad batch.

    Example:

    ```python
    check_dataset(splits.train, num_classes=10)
    model.compile(..., jit_compile=True)
    ```
    """
    for step, batch in enumerate(dataset):
        check_batch(batch, num_classes, where=f"of batch {step}")


def _host_parts(tensor):
    """The values of ``tensor`` held by this process, as numpy arrays (a
    sharded JAX array across processes is checked shard by shard)."""
    shards = getattr(tensor, "addressable_shards", None)
    if shards is not None:
        return [np.asarray(shard.data) for shard in shards]
    return [np.asarray(tensor)]


def check_batch(batch, num_classes, where="of the batch"):
    """Checks one ``(x, y[, sample_weight])`` batch on the host, with the in-step messages.

    Label shapes and dtypes raise as in ``check_labels``; class ids outside
    ``[0, num_classes)`` and NaN or Inf inputs raise a ``ValueError``.
    Used by ``check_dataset`` and, on the JAX backend, before every
    training and evaluation step (JAX compiles the step, so values cannot
    be asserted inside it).

    Example:

    ```python
    check_batch((np.zeros((2, 8, 8, 1), "float32"), np.array([0, 3])), num_classes=10)
    ```
    """
    x, y, _ = keras.utils.unpack_x_y_sample_weight(batch)
    if y is not None and not labels_are_one_hot(y, num_classes):
        for labels in _host_parts(y):
            if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
                position = int(np.flatnonzero((labels.ravel() < 0) | (labels.ravel() >= num_classes))[0])
                received = f"label {labels.ravel()[position]} at position {position} {where}"
                raise ValueError(LABEL_RANGE_MESSAGE.format(num_classes=num_classes, received=received))
    for tensor in keras.tree.flatten(x):
        for values in _host_parts(tensor):
            if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
                raise ValueError(NON_FINITE_MESSAGE.format(received=f"a non-finite value {where}"))


def _data_arguments(args, kwargs):
    """``(x, y)`` of a ``fit`` or ``evaluate`` call, given by position or by name."""
    return args[0] if args else kwargs.get("x"), args[1] if len(args) > 1 else kwargs.get("y")


class CheckedSteps:
    """A ``keras.Model`` mixin: every training and evaluation batch checked before the step uses it.

    On TensorFlow the value checks are assertions inside the step, before
    the forward pass (which already updates BatchNorm statistics), so a bad
    batch leaves every weight as it was; on JAX, which compiles the whole
    step, each batch is checked on the host first
    (``backends.host_checked_step``). Labels keep one format (class ids or
    one-hot) per ``compile``: Keras builds the metrics for the first one it
    sees. The model needs ``num_classes``.
    """

    # TensorFlow's failed in-step checks surface as ValueErrors, as on JAX.
    def fit(self, *args, **kwargs):
        x, y = _data_arguments(args, kwargs)
        self.check_before_fit(x, y)
        self._build_before_tracing(x, y)
        with backends.value_errors_from_assertions(assertion_message):
            history = super().fit(*args, **kwargs)
        # The epoch fit started from, by Keras' own rule: a BackupAndRestore
        # backup of the last epoch leaves no epoch to train, and that is no error.
        initial_epoch = getattr(self, "_initial_epoch", None) or kwargs.get("initial_epoch", 0)
        if not history.history and kwargs.get("epochs", 1) > initial_epoch:
            # Keras only warns and returns an empty history: nothing was learned.
            raise ValueError("`fit` got no training batch: the data is empty. Received: data that gave no batch "
                             f"(an empty history for epochs={kwargs.get('epochs', 1)})")
        return history

    def evaluate(self, *args, **kwargs):
        self._build_before_tracing(*_data_arguments(args, kwargs))
        with backends.value_errors_from_assertions(assertion_message):
            return super().evaluate(*args, **kwargs)

    def _build_before_tracing(self, x, y):
        """Checks the labels' type and shape, then builds the optimizer and the metrics from them.

        Before ``fit`` or ``evaluate`` traces its first step, so that the step
        is traced once (``backends.build_before_tracing``).
        """
        batch = backends.symbolic_batch(x, y)
        if batch is not None:
            self._check_label_format(batch[1] if y is None else y)
        backends.build_before_tracing(self, batch)

    def train_on_batch(self, *args, **kwargs):
        with backends.value_errors_from_assertions(assertion_message):
            return super().train_on_batch(*args, **kwargs)

    def test_on_batch(self, *args, **kwargs):
        with backends.value_errors_from_assertions(assertion_message):
            return super().test_on_batch(*args, **kwargs)

    def make_train_function(self, force=False):
        super().make_train_function(force)
        self.train_function = backends.host_checked_step(self, self.train_function, self._check_batch, training=True)

    def make_test_function(self, force=False):
        super().make_test_function(force)
        self.test_function = backends.host_checked_step(self, self.test_function, self._check_batch, training=False)

    def _check_batch(self, batch):
        check_batch(batch, self.num_classes)

    # The data is the last argument on every backend: TensorFlow's trainer
    # calls train_step(data), JAX's train_step(state, data).
    # The whole step waits for the checks: the optimizer's iteration count too.
    def train_step(self, *args):
        data, assertions = self._checked(args[-1])
        with backends.waiting_for(self, assertions):
            return super().train_step(*args[:-1], data)

    def test_step(self, *args):
        data, assertions = self._checked(args[-1])
        with backends.waiting_for(self, assertions):
            return super().test_step(*args[:-1], data)

    def _checked(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x, assertions = checked_inputs(x, y, num_classes=self.num_classes)
        if y is not None:
            self._check_label_format(y)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight), assertions

    def check_before_fit(self, x, y=None):
        """Under XLA (TensorFlow, ``jit_compile``), which drops in-step assertions, checks the data on the host once.

        Arrays are checked whole; a ``tf.data.Dataset`` is read once (one
        pass of its pipeline); other inputs (generators, ``PyDataset``) are
        not read twice and get a warning instead.
        """
        if not backends.drops_assertions(self):
            return
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            check_dataset(x, self.num_classes)
        elif y is not None and hasattr(y, "shape"):
            check_batch((x, y), self.num_classes, where="of the training data")
        else:
            warnings.warn("Under jit_compile=True, TensorFlow drops the in-step label checks and this data "
                          f"(a {type(x).__name__}) is not read twice to check it on the host: out-of-range "
                          "labels would train to NaN. Check it with rocket_keras.input_checks.check_dataset, or "
                          "compile with jit_compile=False.", stacklevel=3)

    def _check_label_format(self, y):
        label_format = "one-hot" if labels_are_one_hot(y, self.num_classes) else "class ids"
        seen = getattr(self, "_label_format", None)
        if seen is None:
            self._label_format = label_format
        elif seen != label_format:
            raise ValueError(
                f"This model's metrics were built for labels as {seen}, and Keras keeps that choice: "
                f"keep to {seen}, or call compile() again to switch. Received: labels as {label_format}"
            )
