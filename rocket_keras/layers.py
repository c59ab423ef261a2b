"""Weightless layers the light templates need beyond Keras' own: channel
split and channel shuffle (ShuffleNetV2). Registered, so models using them
save and load; built from ``keras.ops``, so they run on every backend and
export to TFLite and ONNX as slices, reshapes and transposes."""

import keras
from keras import ops


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
