"""Building blocks shared by every template.

A block never creates layers itself: it asks a ``layers`` factory for them by
a local name (``"stage1_block2_conv1"``). The factory decides the owner prefix
(``booster_``, ``light_``, ``shared_``) and, for "interval" sharing, hands out
the very same convolution object to both networks. This keeps templates
ignorant of sharing, which lives in one place: ``rocket_keras.zoo.dual_head``.

The factory interface (see ``dual_head.BranchLayers``)::

    conv(name, filters, kernel_size, strides=1)
    depthwise_conv(name, kernel_size, strides=1)
    norm(name)
    relu(name, max_value=None)
    add(name)
    pool(name)
    max_pool(name, pool_size=3, strides=2)
    concat(name)
    channel_split(name)
    channel_shuffle(name, groups=2)
"""


def preact_stem(x, layers, spec):
    """A single 3x3 convolution: the stem of CIFAR ResNets and WideResNets.

    Example:

    ```python
    from rocket_keras.zoo.dual_head import BranchLayers
    from rocket_keras.zoo.resnet import resnet_spec

    x = preact_stem(keras.Input((32, 32, 3)), BranchLayers("booster"), resnet_spec(20))
    x.shape  # (None, 32, 32, 16)
    ```
    """
    return layers.conv("stem_conv", spec.stem_filters, 3, spec.stem_stride)(x)


def preact_basic_block(x, layers, name, filters, stride, expansion=1, inner_filters=None):
    """Pre-activation residual block (He et al. 2016; Zagoruyko & Komodakis).

    BN-ReLU-conv3x3-BN-ReLU-conv3x3, plus the input. When the stride or the
    width changes, a 1x1 convolution on the pre-activated input projects the
    shortcut, as in WideResNet. ``inner_filters`` sets the width of the
    first convolution (default ``filters``).

    Example:

    ```python
    x = keras.Input((32, 32, 16))
    y = preact_basic_block(x, BranchLayers("light"), name="stage2_block1", filters=32, stride=2)
    y.shape  # (None, 16, 16, 32)
    ```
    """
    del expansion  # Basic blocks have no expansion; the signature is shared.
    y = layers.norm(f"{name}_bn1")(x)
    y = layers.relu(f"{name}_relu1")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.conv(f"{name}_shortcut", filters, 1, stride)(y)
    else:
        shortcut = x
    y = layers.conv(f"{name}_conv1", inner_filters or filters, 3, stride)(y)
    y = layers.norm(f"{name}_bn2")(y)
    y = layers.relu(f"{name}_relu2")(y)
    y = layers.conv(f"{name}_conv2", filters, 3, 1)(y)
    return layers.add(f"{name}_add")([shortcut, y])


def preact_head(x, layers, spec):
    """Final BN-ReLU of a pre-activation network, then global average pool.

    Example:

    ```python
    features = preact_head(keras.Input((8, 8, 64)), BranchLayers("light"), resnet_spec(8))
    features.shape  # (None, 64)
    ```
    """
    del spec
    x = layers.norm("head_bn")(x)
    x = layers.relu("head_relu")(x)
    return layers.pool("head_pool")(x)


def mobilenet_stem(x, layers, spec):
    """3x3 convolution, BN, ReLU6 (MobileNetV2's first layer).

    Example:

    ```python
    from rocket_keras.zoo.mobilenet import mobilenet_v2_spec

    x = mobilenet_stem(keras.Input((32, 32, 3)), BranchLayers("light"), mobilenet_v2_spec(0.35))
    x.shape  # (None, 32, 32, 16)
    ```
    """
    x = layers.conv("stem_conv", spec.stem_filters, 3, spec.stem_stride)(x)
    x = layers.norm("stem_bn")(x)
    return layers.relu("stem_relu", max_value=6.0)(x)


def inverted_residual_block(x, layers, name, filters, stride, expansion=6, inner_filters=None):
    """MobileNetV2 inverted residual (Sandler et al. 2018).

    1x1 expansion (skipped when ``expansion == 1``), 3x3 depthwise
    convolution, linear 1x1 projection; the input is added back when shapes
    allow. ``inner_filters`` sets the expansion's width (default
    ``expansion`` times the input's).

    Example:

    ```python
    x = keras.Input((16, 16, 24))
    y = inverted_residual_block(x, BranchLayers("light"), name="stage3_block1", filters=32,
                                stride=2, expansion=6)
    y.shape  # (None, 8, 8, 32)
    ```
    """
    in_channels = x.shape[-1]
    y = x
    if expansion != 1:
        y = layers.conv(f"{name}_expand", inner_filters or in_channels * expansion, 1)(y)
        y = layers.norm(f"{name}_expand_bn")(y)
        y = layers.relu(f"{name}_expand_relu", max_value=6.0)(y)
    y = layers.depthwise_conv(f"{name}_depthwise", 3, stride)(y)
    y = layers.norm(f"{name}_depthwise_bn")(y)
    y = layers.relu(f"{name}_depthwise_relu", max_value=6.0)(y)
    y = layers.conv(f"{name}_project", filters, 1)(y)
    y = layers.norm(f"{name}_project_bn")(y)
    if stride == 1 and in_channels == filters:
        y = layers.add(f"{name}_add")([x, y])
    return y


def mobilenet_head(x, layers, spec):
    """1x1 convolution to ``spec.head_filters``, BN, ReLU6, global pool.

    Example:

    ```python
    spec = mobilenet_v2_spec(0.35)
    features = mobilenet_head(keras.Input((4, 4, 112)), BranchLayers("light"), spec)
    features.shape  # (None, 1280)
    ```
    """
    x = layers.conv("head_conv", spec.head_filters, 1)(x)
    x = layers.norm("head_bn")(x)
    x = layers.relu("head_relu", max_value=6.0)(x)
    return layers.pool("head_pool")(x)


def conv_bn_relu_stem(x, layers, spec):
    """3x3 convolution, BN, ReLU: the stem of the CIFAR ShuffleNetV2 and SqueezeNet.

    Example:

    ```python
    from rocket_keras.zoo.shufflenet import shufflenet_v2_spec

    x = conv_bn_relu_stem(keras.Input((32, 32, 3)), BranchLayers("light"), shufflenet_v2_spec(0.5))
    x.shape  # (None, 32, 32, 24)
    ```
    """
    x = layers.conv("stem_conv", spec.stem_filters, 3, spec.stem_stride)(x)
    x = layers.norm("stem_bn")(x)
    return layers.relu("stem_relu")(x)


def _shuffle_branch(x, layers, name, filters, stride):
    """1x1 conv-BN-ReLU, 3x3 depthwise-BN, 1x1 conv-BN-ReLU."""
    y = layers.conv(f"{name}_expand", filters, 1)(x)
    y = layers.norm(f"{name}_expand_bn")(y)
    y = layers.relu(f"{name}_expand_relu")(y)
    y = layers.depthwise_conv(f"{name}_depthwise", 3, stride)(y)
    y = layers.norm(f"{name}_depthwise_bn")(y)
    y = layers.conv(f"{name}_project", filters, 1)(y)
    y = layers.norm(f"{name}_project_bn")(y)
    return layers.relu(f"{name}_project_relu")(y)


def shufflenet_v2_block(x, layers, name, filters, stride, expansion=1):
    """ShuffleNetV2 unit (Ma et al. 2018).

    With stride 1 and unchanged width: split the channels in half, transform
    one half, concatenate, shuffle. Otherwise both halves come from the whole
    input (the second through a 3x3 depthwise convolution at ``stride`` and a
    1x1 convolution), each with ``filters / 2`` channels.

    Example:

    ```python
    y = shufflenet_v2_block(keras.Input((16, 16, 48)), BranchLayers("light"), "stage2_block1",
                            filters=96, stride=2)
    y.shape  # (None, 8, 8, 96)
    ```
    """
    del expansion  # the signature is shared by all blocks
    half = filters // 2
    if stride == 1 and x.shape[-1] == filters:
        kept, transformed = layers.channel_split(f"{name}_split")(x)
        y = _shuffle_branch(transformed, layers, f"{name}_branch", half, 1)
    else:
        kept = layers.depthwise_conv(f"{name}_shortcut_depthwise", 3, stride)(x)
        kept = layers.norm(f"{name}_shortcut_depthwise_bn")(kept)
        kept = layers.conv(f"{name}_shortcut_project", half, 1)(kept)
        kept = layers.norm(f"{name}_shortcut_project_bn")(kept)
        kept = layers.relu(f"{name}_shortcut_relu")(kept)
        y = _shuffle_branch(x, layers, f"{name}_branch", half, stride)
    y = layers.concat(f"{name}_concat")([kept, y])
    return layers.channel_shuffle(f"{name}_shuffle", 2)(y)


def conv_bn_relu_head(x, layers, spec):
    """1x1 convolution to ``spec.head_filters``, BN, ReLU, global pool (ShuffleNetV2).

    Example:

    ```python
    from rocket_keras.zoo.shufflenet import shufflenet_v2_spec

    spec = shufflenet_v2_spec(0.5)
    conv_bn_relu_head(keras.Input((8, 8, 192)), BranchLayers("light"), spec).shape  # (None, 1024)
    ```
    """
    x = layers.conv("head_conv", spec.head_filters, 1)(x)
    x = layers.norm("head_bn")(x)
    x = layers.relu("head_relu")(x)
    return layers.pool("head_pool")(x)


def fire_block(x, layers, name, filters, stride, expansion=1):
    """SqueezeNet fire module (Iandola et al. 2016), with BatchNorm.

    A max-pool first when ``stride`` is 2; a 1x1 squeeze to ``filters / 8``
    channels; 1x1 and 3x3 expands of ``filters / 2`` each, concatenated.

    Example:

    ```python
    y = fire_block(keras.Input((16, 16, 128)), BranchLayers("light"), "stage2_block1", filters=256, stride=2)
    y.shape  # (None, 8, 8, 256)
    ```
    """
    del expansion
    if stride != 1:
        x = layers.max_pool(f"{name}_pool", 3, stride)(x)
    squeeze = layers.conv(f"{name}_squeeze", max(filters // 8, 1), 1)(x)
    squeeze = layers.norm(f"{name}_squeeze_bn")(squeeze)
    squeeze = layers.relu(f"{name}_squeeze_relu")(squeeze)
    outputs = []
    for kernel in (1, 3):
        y = layers.conv(f"{name}_expand{kernel}", filters // 2, kernel)(squeeze)
        y = layers.norm(f"{name}_expand{kernel}_bn")(y)
        outputs.append(layers.relu(f"{name}_expand{kernel}_relu")(y))
    return layers.concat(f"{name}_concat")(outputs)


def pool_head(x, layers, spec):
    """Global average pool only (SqueezeNet's features go straight to the logits).

    Example:

    ```python
    pool_head(keras.Input((8, 8, 512)), BranchLayers("light"), None).shape  # (None, 512)
    ```
    """
    del spec
    return layers.pool("head_pool")(x)
