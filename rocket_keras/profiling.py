"""Model cost figures: FLOPs from TensorFlow's graph profiler."""

import tensorflow as tf


def count_flops(model, batch_size=1):
    """Floating-point operations of one inference call (a multiply-add is 2).

    Counted by ``tf.compat.v1.profiler`` on the traced inference graph, so
    BatchNorm, activations and pooling are included as TensorFlow runs them.
    (The graph reads the weights as variables: freezing them into constants
    first gives the same count for every registered net, at 2-3 times the
    time.)

    Args:
        model: a Keras model with a single input of known shape.
        batch_size: examples in the counted call.

    Returns:
        The operation count, an ``int``.

    Example:

    ```python
    pair = get_model("resnet14-resnet8", input_shape=(28, 28, 1))
    count_flops(pair.light_model()), count_flops(pair.booster_model())
    ```
    """
    spec = tf.TensorSpec((batch_size,) + tuple(model.input.shape[1:]), tf.float32)
    function = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    options = tf.compat.v1.profiler.ProfileOptionBuilder(
        tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    ).with_empty_output().build()
    profile = tf.compat.v1.profiler.profile(
        graph=function.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
    )
    return int(profile.total_float_ops)
