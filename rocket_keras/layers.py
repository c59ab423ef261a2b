"""Weightless layers the templates need beyond Keras' own: channel
split and channel shuffle (ShuffleNetV2), and the gradient scale of the
light net's path into shared layers (``GradientScale``). Registered, so models using them
save and load; built from ``keras.ops``, so they run on every backend and
export to TFLite and ONNX as slices, reshapes and transposes."""

import keras
from keras import ops

from rocket_keras.model_checks import is_number


@keras.saving.register_keras_serializable(package="rocket_keras")
class ChannelSplit(keras.layers.Layer):
    """Splits the last axis in two halves: ``[x[..., :c/2], x[..., c/2:]]``.

    Example:

    ```python
    left, right = ChannelSplit()(keras.Input((8, 8, 16)))
    left.shape  # (None, 8, 8, 8)
    ```
    """

    def call(self, inputs):
        half = inputs.shape[-1] // 2
        return [inputs[..., :half], inputs[..., half:]]

    def compute_output_shape(self, input_shape):
        half = input_shape[-1] // 2
        return [tuple(input_shape[:-1]) + (half,), tuple(input_shape[:-1]) + (input_shape[-1] - half,)]


@keras.saving.register_keras_serializable(package="rocket_keras")
class ChannelShuffle(keras.layers.Layer):
    """Interleaves the channels of ``groups`` groups (Zhang et al. 2018).

    Channels ``[a0, a1, b0, b1]`` with 2 groups become ``[a0, b0, a1, b1]``.

    Example:

    ```python
    y = ChannelShuffle(groups=2)(keras.Input((8, 8, 16)))
    y.shape  # (None, 8, 8, 16)
    ```
    """

    def __init__(self, groups=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"`groups` must be a positive integer. Received: groups={groups!r}")
        self.groups = groups

    def call(self, inputs):
        # Height and width may be unknown until run time (inputs of any size).
        shape = ops.shape(inputs)
        channels = inputs.shape[-1]
        x = ops.reshape(inputs, (-1, shape[1], shape[2], self.groups, channels // self.groups))
        x = ops.transpose(x, (0, 1, 2, 4, 3))
        return ops.reshape(x, (-1, shape[1], shape[2], channels))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


@keras.saving.register_keras_serializable(package="rocket_keras")
class GradientScale(keras.layers.Layer):
    """The identity forward; backward, the gradient times ``scale``.

    Computed as ``stop_gradient(x) + scale * (x - stop_gradient(x))``: the
    forward value is ``x`` exactly (the second term is exactly 0) for any
    ``scale``, and the gradient is ``scale`` times the incoming one. 0
    stops the gradient; 1 would be the identity (pairs built with scale 1
    hold no such layer).

    Example:

    ```python
    y = GradientScale(0.5)(keras.Input((8,)))  # y == x; d(loss)/dx = 0.5 * d(loss)/dy
    ```
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        if not is_number(scale) or scale < 0:
            raise ValueError(f"`scale` must be a non-negative number. Received: scale={scale!r}")
        self.scale = float(scale)

    def call(self, inputs):
        constant = ops.stop_gradient(inputs)
        return constant + self.scale * (inputs - constant)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
