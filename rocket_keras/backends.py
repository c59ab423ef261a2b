"""The one seam between rocket_keras and Keras' backends.

Everything that differs between TensorFlow and JAX lives here, so the rest of
the package reads the same on both:

- **replicas**: under a ``tf.distribute`` strategy each replica's loss is its
  share of the global mean (``replicas_in_sync``, ``scale_for_replicas``);
- **value checks**: TensorFlow asserts label ranges and finite inputs inside
  the step (``assert_labels_in_range``, ``assert_finite``,
  ``after_assertions``); JAX compiles the whole step, so the batches are
  checked on the host before it (``host_checked_step``);
- **what needs TensorFlow**: TFLite conversion and the pruning callback
  (``require_tensorflow``);
- **mixed precision**: float16 with loss scaling on a GPU, bfloat16 on a CPU
  (``mixed_precision_policy``);
- **one trace per step**: on TensorFlow the optimizer and the metrics are
  built before ``fit`` or ``evaluate`` traces its first step
  (``build_before_tracing``), as Keras does on JAX.

Example:

```python
from rocket_keras import backends

loss = backends.scale_for_replicas(loss)  # a no-op outside tf.distribute
backends.require_tensorflow("TFLite export")  # a ValueError on JAX
```
"""

import contextlib
import itertools
import sys

import keras


def name():
    """The Keras backend: ``"tensorflow"``, ``"jax"``, ..."""
    return keras.backend.backend()


def is_tensorflow():
    """Whether Keras runs on TensorFlow."""
    return name() == "tensorflow"


def is_jax():
    """Whether Keras runs on JAX."""
    return name() == "jax"


def require_tensorflow(what, hint=""):
    """Raises a ``ValueError`` saying that ``what`` needs the TensorFlow backend.

    Example:

    ```python
    require_tensorflow("UpdatePruningStep")  # nothing on TensorFlow
    ```
    """
    if not is_tensorflow():
        raise ValueError(f"{what} needs the TensorFlow backend.{' ' + hint if hint else ''} "
                         f"Received: KERAS_BACKEND={name()!r}")


def on_gpu():
    """Whether the backend runs its steps on a GPU."""
    if is_jax():
        import jax

        return jax.default_backend() == "gpu"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def mixed_precision_policy():
    """Keras' mixed-precision policy for this machine: ``"mixed_float16"`` on a GPU (Keras wraps the
    optimizer in a ``LossScaleOptimizer``), ``"mixed_bfloat16"`` on a CPU (no loss scaling needed).

    Example:

    ```python
    keras.mixed_precision.set_global_policy(backends.mixed_precision_policy())
    ```
    """
    return "mixed_float16" if on_gpu() else "mixed_bfloat16"


def build_before_tracing(model, batch=None):
    """Creates the optimizer's and the compiled metrics' variables now, before ``fit`` (or ``evaluate``) traces its first step.

    Keras on TensorFlow without a distribution strategy creates them inside
    the first traced step, and TensorFlow then traces that step a second
    time to lift the new variables out of it: on a quiet 2-core CPU a 2-epoch
    ``train.py`` run of the ResNet-14 / ResNet-8 pair on 256 synthetic images
    took 7.8-8.4 s of training instead of 5.0-5.3, and the README's two
    MobileNetV2s' 2-epoch ``fit`` 45.9 s instead of 22.0 (a first
    ``evaluate`` traces its step twice in the same way). Keras builds them
    before tracing itself under a strategy and on JAX; this does the same in
    the other case, from ``batch``, the data's ``symbolic_batch`` (shapes and
    dtypes alone: no batch is read, so no shuffle or generator moves).
    Without it only the optimizer is built, and the metrics are built in the
    first step as before. The variables start at zero either way; the first
    step no longer runs in the graph that created them, so the numbers agree
    with Keras' order to float32 rounding, not bit for bit.

    Example:

    ```python
    model.compile(optimizer="adam", metrics=["accuracy"])
    build_before_tracing(model, symbolic_batch(x, y))
    model.fit(x, y)
    ```
    """
    if not is_tensorflow() or getattr(model, "_distribute_strategy", None) is not None:
        return  # Keras builds them first itself
    unbuilt = [part for part in (getattr(model, "_compile_metrics", None), getattr(model, "_compile_loss", None))
               if part is not None and not part.built]
    if batch is not None and unbuilt:
        model._symbolic_build(data_batch=batch)  # what Keras' own fit does under a strategy
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        with model.distribute_strategy.scope():
            optimizer.build(model.trainable_variables)


def symbolic_batch(x, y=None):
    """``(x, y[, sample_weight])`` as ``KerasTensor``s of any batch size; None where the data shows no specs or labels.

    ``x`` and ``y`` as ``fit`` takes them: arrays or tensors (and nests of
    them), or a ``tf.data.Dataset`` of batches, read from its
    ``element_spec``. A generator, a ``PyDataset`` or Python lists give None.

    Example:

    ```python
    symbolic_batch(np.zeros((100, 32, 32, 3)), np.zeros(100, "int64"))
    # (<KerasTensor shape=(None, 32, 32, 3), dtype=float64>, <KerasTensor shape=(None,), dtype=int64>)
    ```
    """
    tf = sys.modules.get("tensorflow")  # without it imported, x is no tf.data.Dataset
    if tf is not None and isinstance(x, tf.data.Dataset):
        batch = x.element_spec
        if not isinstance(batch, tuple) or len(batch) < 2:
            return None  # no labels
    elif y is not None:
        batch = (x, y)
    else:
        return None

    def symbolic(value):
        shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
        if shape is None or dtype is None or len(shape) == 0:
            raise TypeError
        return keras.KerasTensor((None, *tuple(shape)[1:]), keras.backend.standardize_dtype(dtype))

    try:
        return keras.tree.map_structure(symbolic, batch)
    except TypeError:  # Python numbers: Keras converts them in its data adapter
        return None


def replicas_in_sync():
    """Replicas of the current ``tf.distribute`` strategy (1 without one, and on other backends)."""
    if not is_tensorflow():
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def scale_for_replicas(loss):
    """Divides a per-replica loss by the number of replicas in sync.

    Each replica's gradients are summed across replicas, so each replica's
    loss must be its share of the global mean. Keras does this inside its own
    losses; a hand-written loss has to do it itself or updates double.
    """
    replicas = replicas_in_sync()
    return loss / keras.ops.cast(replicas, loss.dtype) if replicas > 1 else loss


# Value checks inside the step: TensorFlow only. Each returns None (nothing
# to wait for) where the backend checks on the host instead.


def assert_labels_in_range(labels, num_classes, message):
    """The assertion that class ids lie in ``[0, num_classes)``, on TensorFlow; ``[]`` elsewhere.

    Its error names the first bad label's value and its position in the
    batch, after ``message``.
    """
    if not is_tensorflow():
        return []
    import tensorflow as tf

    flat = tf.reshape(labels, [-1])
    bad = tf.logical_or(flat < 0, flat >= tf.cast(num_classes, flat.dtype))
    position = tf.argmax(tf.cast(bad, tf.int32), output_type=tf.int32)
    value = tf.gather(flat, position)
    return [tf.debugging.Assert(tf.logical_not(tf.reduce_any(bad)),
                                [message, "label", value, "at position", position, "of the batch"])]


def waiting_for(model, assertions):
    """A context in which every op of ``model``'s step waits for ``assertions`` (TensorFlow graphs); else a no-op.

    The training step runs inside it, so that a failed check leaves every
    variable as it was, the optimizer's iteration count included (an op
    without a data dependency on the checked inputs would otherwise run).
    Under XLA, which drops the assertions (the data is checked on the host
    instead) and cannot lift the step's first variable creations out of a
    control-dependency scope, it is a no-op too.
    """
    assertions = [a for a in assertions if a is not None]  # None when eager: already run
    if not is_tensorflow() or not assertions or drops_assertions(model):
        return contextlib.nullcontext()
    import tensorflow as tf

    return tf.control_dependencies(assertions)


def drops_assertions(model):
    """Whether ``model``'s compiled steps drop in-step assertions: TensorFlow under XLA (``jit_compile``)."""
    return is_tensorflow() and bool(getattr(model, "jit_compile", False))


def assert_finite(x, message):
    """``x`` behind an assertion that it holds no NaN or Inf, on TensorFlow; ``x`` elsewhere."""
    if not is_tensorflow():
        return x
    import tensorflow as tf

    return tf.debugging.assert_all_finite(x, message)


def after_assertions(assertions, x, transform):
    """``transform`` applied to every array of ``x``, made to wait for ``assertions`` (TensorFlow).

    Elsewhere ``x`` is returned unchanged: there the checks ran on the host.
    """
    if not is_tensorflow():
        return x
    import tensorflow as tf

    # Assertions return None when running eagerly: they have already run.
    with tf.control_dependencies([a for a in assertions if a is not None]):
        return keras.tree.map_structure(lambda t: tf.identity(transform(t)), x)


@contextlib.contextmanager
def value_errors_from_assertions(translate):
    """A context in which a failed in-step assertion (TensorFlow) surfaces as a ``ValueError``.

    TensorFlow reports a failed ``tf.debugging.Assert`` as an
    ``InvalidArgumentError`` wrapped in "Graph execution error" and the
    op's stack; ``translate(message)`` turns the error's message into the
    ``ValueError``'s text, or returns None for errors that are not this
    package's checks, which go up unchanged. Elsewhere a no-op: JAX checks
    on the host and raises ``ValueError`` itself.

    Example:

    ```python
    with value_errors_from_assertions(lambda m: "bad label" if "Labels must" in m else None):
        model.fit(x, y)
    ```
    """
    if not is_tensorflow():
        yield
        return
    import tensorflow as tf

    try:
        yield
    except tf.errors.InvalidArgumentError as error:
        text = translate(error.message)
        if text is None:
            raise
        raise ValueError(text) from error


def host_checked_step(model, function, check_batch, training):
    """On JAX, ``function(state, iterator)`` with each batch given to ``check_batch`` first.

    JAX compiles the whole step, so values cannot be asserted inside it.
    The batches of one call (``steps_per_execution`` of them) are checked
    before the compiled step donates the state: on a bad batch the model's
    variables get the state back (the JAX trainer took them out for the
    loop) and the error goes up, so a bad batch changes no weight. On other
    backends ``function`` is returned as it is.
    """
    if not is_jax() or getattr(function, "_rocket_checked", False):
        return function

    def checked(state, iterator):
        batches = list(itertools.islice(iterator, model.steps_per_execution))
        try:
            for batch in batches:
                check_batch(batch)
        except ValueError:
            _restore_jax_state(model, state, training)
            raise
        return function(state, iter(batches))

    checked._rocket_checked = True
    return checked


def _restore_jax_state(model, state, training):
    groups = [model.trainable_variables, model.non_trainable_variables]
    groups += [model.optimizer.variables] if training else []
    groups += [model.metrics_variables]
    for variables, values in zip(groups, state):
        for variable, value in zip(variables, values):
            variable.assign(value)
    # Keras' JAX trainer keeps the state it took out here; the variables hold it again.
    model._jax_state = None
