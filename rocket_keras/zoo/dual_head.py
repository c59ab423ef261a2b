"""The one place that wires two networks into a trunk and two branches.

A template (``resnet.py``, ``wide_resnet.py``, ``mobilenet.py``,
``shufflenet.py``, ``squeezenet.py``) describes a
booster network and a light network as ``NetworkSpec``s. This module builds
them into one ``RocketModel`` for a sharing layout:

* ``"bottom"``: the stem and the first ``shared_stages`` stages are computed
  once and feed both branches. They are built with the *light* network's
  sizes, because they ship inside the light net and must stay within its
  budget.
* ``"interval"``: the stem is shared, and the light net's block ``b`` of stage
  ``s`` calls the booster's convolution layers of that block (the same layer
  objects, so the same weights), with its own BatchNorm layers.
* ``"stem"``: only the stem is computed once (built with the light net's
  sizes, which for the ResNet and WRN pairs equal the booster's): the
  Rocket Launching authors' "no parameter sharing" ablation, whose networks
  still share their first convolution. The same as ``"bottom"`` with
  ``shared_stages=0``.
* ``"none"``: two separate networks trained jointly.

``shared_gradient_scale=s`` scales the gradient that the light net's losses
send into the layers it shares with the booster (``GradientScale`` layers on
the light path; 1, the default, adds none): under "bottom" and "stem" at the
shared trunk's output, under "interval" at the stem's output and around each
shared convolution (the gradient times ``1/s`` on its input and ``s`` on its
output, so the shared weights get ``s`` times the light path's gradient and
the light layers below get it unscaled; ``s`` must be above 0 there).

``input_normalization=(mean, std)`` puts a fixed per-channel
``(x - mean) / std`` layer (``shared_input_normalization``) in front of both
networks, so the exported light net still takes images scaled to [0, 1].

Layer names tell ownership: ``booster_``, ``light_`` or ``shared_``.
"""

import keras
import numpy as np

from rocket_keras import backends
from rocket_keras import layers as rocket_layers
from rocket_keras.model_checks import is_number
from rocket_keras.rocket_model import RocketModel
from rocket_keras.zoo import checks

SHARING_LAYOUTS = ("bottom", "interval", "stem", "none")

# BatchNorm momentum 0.9: with Keras' default 0.99 the moving statistics lag
# far behind the weights in short runs and validation accuracy suffers.
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5


class BranchLayers:
    """Creates the layers of one branch, named by owner.

    Args:
        prefix: ``"booster"``, ``"light"`` or ``"shared"``.
        shared_convs: for "interval" sharing, a dict shared by both branches
            that maps a local name to a convolution layer. Convolutions asked
            for through a factory holding this dict are created once, named
            ``shared_<name>``, and returned again to the other branch.
        synchronized_bn: use ``BatchNormalization(synchronized=True)`` so that
            several replicas compute the same statistics as one device.

    Example:

    ```python
    BranchLayers("light").conv("stem_conv", 16, 3).name  # "light_stem_conv"
    shared = {}
    conv = BranchLayers("booster", shared).conv("stage1_block1_conv1", 16, 3)  # "shared_stage1_block1_conv1"
    conv is BranchLayers("light", shared).conv("stage1_block1_conv1", 16, 3)  # True
    ```
    """

    def __init__(self, prefix, shared_convs=None, synchronized_bn=False, gradient_scale=1.0):
        self.prefix = prefix
        self.shared_convs = shared_convs
        self.synchronized_bn = synchronized_bn
        self.gradient_scale = gradient_scale

    def _name(self, name):
        return f"{self.prefix}_{name}"

    def _shared_or_new(self, name, make):
        if self.shared_convs is None:
            return make(self._name(name))
        if name not in self.shared_convs:
            self.shared_convs[name] = make(f"shared_{name}")
        if self.gradient_scale != 1.0:  # the light branch, scaling its gradient into the shared layer
            return _ScaledGradient(self.shared_convs[name], self.gradient_scale, self._name(name))
        return self.shared_convs[name]

    def conv(self, name, filters, kernel_size, strides=1):
        return self._shared_or_new(
            name,
            lambda full_name: keras.layers.Conv2D(
                filters,
                kernel_size,
                strides=strides,
                padding="same",
                use_bias=False,
                kernel_initializer="he_normal",
                name=full_name,
            ),
        )

    def depthwise_conv(self, name, kernel_size, strides=1):
        return self._shared_or_new(
            name,
            lambda full_name: keras.layers.DepthwiseConv2D(
                kernel_size,
                strides=strides,
                padding="same",
                use_bias=False,
                depthwise_initializer="he_normal",
                name=full_name,
            ),
        )

    def norm(self, name):
        return keras.layers.BatchNormalization(
            momentum=BN_MOMENTUM,
            epsilon=BN_EPSILON,
            synchronized=self.synchronized_bn,
            name=self._name(name),
        )

    def relu(self, name, max_value=None):
        return keras.layers.ReLU(max_value=max_value, name=self._name(name))

    def add(self, name):
        return keras.layers.Add(name=self._name(name))

    def pool(self, name):
        return keras.layers.GlobalAveragePooling2D(name=self._name(name))

    def max_pool(self, name, pool_size=3, strides=2):
        return keras.layers.MaxPooling2D(pool_size, strides, padding="same", name=self._name(name))

    def concat(self, name):
        return keras.layers.Concatenate(name=self._name(name))

    def channel_split(self, name):
        return rocket_layers.ChannelSplit(name=self._name(name))

    def channel_shuffle(self, name, groups=2):
        return rocket_layers.ChannelShuffle(groups, name=self._name(name))


class _ScaledGradient:
    """Calls a shared layer so that its weights get ``scale`` times the gradient and its input the whole.

    ``GradientScale(1 / scale)`` before the layer and ``GradientScale(scale)``
    after it: every gradient the layer computes is ``scale`` times the
    incoming one, and its input's is multiplied back by ``1 / scale``.
    """

    def __init__(self, layer, scale, name):
        self.layer, self.scale, self.name = layer, scale, name

    def __call__(self, x):
        x = rocket_layers.GradientScale(1.0 / self.scale, name=f"{self.name}_input_gradient")(x)
        return rocket_layers.GradientScale(self.scale, name=f"{self.name}_gradient_scale")(self.layer(x))


def _run_stages(x, spec, stage_indices, layers_for_block):
    for s in stage_indices:
        stage = spec.stages[s]
        for b in range(stage.blocks):
            # Only blocks that can take an inner width are asked to.
            inner = {"inner_filters": stage.inner_filters[b]} if stage.inner_filters else {}
            x = spec.block(
                x,
                layers_for_block(s, b),
                name=f"stage{s + 1}_block{b + 1}",
                filters=stage.filters,
                stride=stage.stride if b == 0 else 1,
                expansion=stage.expansion,
                **inner,
            )
    return x


def _network(inputs, spec, prefix, num_classes, synchronized_bn=False):
    """Stem, stages and head of one network with its own layers: its logits."""
    branch = BranchLayers(prefix, synchronized_bn=synchronized_bn)
    x = spec.stem(inputs, branch, spec)
    x = _run_stages(x, spec, range(len(spec.stages)), lambda s, b: branch)
    return _logits(x, spec, prefix, num_classes, synchronized_bn)


def build_network(spec, *, input_shape, num_classes, name=None, prefix="light", input_normalization=None):
    """One network of a ``NetworkSpec`` as a plain ``keras.Model`` (image to logits).

    The layers are named as in a pair (``light_stage1_block1_conv1``), so
    the network can be a light net of ``from_networks`` or ship alone.

    Args:
        spec: the ``NetworkSpec``.
        input_shape: shape of one image.
        num_classes: number of logits.
        name: the model's name (default: the spec's name).
        prefix: the owner prefix of the layer names.
        input_normalization: ``None`` or ``(mean, std)`` per channel, as in
            ``build_rocket_model``.

    Example:

    ```python
    from rocket_keras.zoo.resnet import resnet_spec

    net = build_network(resnet_spec(8), input_shape=(28, 28, 1), num_classes=10)
    net.count_params()  # 78,042
    ```
    """
    input_shape = checks.check_input_shape(input_shape)
    checks.check_positive_int("num_classes", num_classes)
    image = keras.Input(shape=input_shape, name="image")
    inputs = normalization_layer(input_normalization, input_shape[-1])(image) if input_normalization else image
    logits = _network(inputs, spec, prefix, num_classes)
    return keras.Model(image, logits, name=name or spec.name.replace(" ", "_"))


def _logits(x, spec, prefix, num_classes, synchronized_bn):
    x = spec.head(x, BranchLayers(prefix, synchronized_bn=synchronized_bn), spec)
    # Logits stay float32 under a mixed-precision policy, so that the losses
    # and the hint are computed in full precision.
    return keras.layers.Dense(num_classes, dtype="float32", name=f"{prefix}_logits")(x)


def _check_sharing(share, booster, light, shared_stages, interval_ok):
    if share not in SHARING_LAYOUTS:
        raise ValueError(
            f"`share` must be one of {SHARING_LAYOUTS}. Received: share={share!r}"
        )
    if share in ("none", "stem"):
        return
    if len(booster.stages) != len(light.stages):
        raise ValueError(
            f"Sharing {share!r} needs the same number of stages in both "
            f"networks. Received: {len(booster.stages)} booster stages and "
            f"{len(light.stages)} light stages."
        )
    if share == "bottom":
        if not isinstance(shared_stages, int) or not (
            0 <= shared_stages < len(light.stages)
        ):
            raise ValueError(
                "`shared_stages` must be an integer from 0 to "
                f"{len(light.stages) - 1} (the networks have "
                f"{len(light.stages)} stages and at least the last one must "
                f"belong to each branch). Received: shared_stages={shared_stages!r}"
            )
        return
    if not interval_ok:
        raise ValueError(
            f"'interval' sharing is not available for {booster.name}: it "
            "needs networks whose blocks have the same widths (ResNet, "
            "WideResNet). Use share='bottom' or share='none'. "
            "Received: share='interval'"
        )
    if booster.stem_filters != light.stem_filters:
        raise ValueError(
            "'interval' sharing needs the same stem width in both networks. "
            f"Received: booster stem {booster.stem_filters}, light stem "
            f"{light.stem_filters}."
        )
    for s, (b_stage, l_stage) in enumerate(zip(booster.stages, light.stages)):
        if b_stage.filters != l_stage.filters:
            raise ValueError(
                "'interval' sharing reuses the booster's convolutions in the "
                "light net, so every stage needs the same width in both "
                f"networks. Received: stage {s + 1} has {b_stage.filters} "
                f"booster filters and {l_stage.filters} light filters "
                "(use equal widths, e.g. booster_width == light_width)."
            )
        if l_stage.blocks > b_stage.blocks:
            raise ValueError(
                "'interval' sharing needs the light net to have at most as "
                f"many blocks per stage as the booster. Received: stage "
                f"{s + 1} has {b_stage.blocks} booster blocks and "
                f"{l_stage.blocks} light blocks."
            )


def build_rocket_model(
    *,
    name,
    booster,
    light,
    share,
    input_shape=(32, 32, 3),
    num_classes=10,
    shared_stages=1,
    interval_ok=True,
    synchronized_bn=None,
    input_normalization=None,
    shared_gradient_scale=1.0,
):
    """Builds a ``RocketModel`` from two ``NetworkSpec``s and a layout: the one pair builder.

    The zoo's ``rocket_<family>`` functions pick the two specs and pass
    every other argument here.

    Args:
        name: model name.
        booster: ``NetworkSpec`` of the large network.
        light: ``NetworkSpec`` of the small network that ships.
        share: ``"bottom"``, ``"interval"``, ``"stem"`` or ``"none"``.
        input_shape: shape of one image, ``(height, width, channels)``.
        num_classes: number of classes of both heads.
        shared_stages: for ``share="bottom"``, stages computed once, built
            at the light net's sizes.
        interval_ok: whether the template supports ``"interval"`` sharing.
        synchronized_bn: synchronise BatchNorm statistics across replicas;
            ``None`` (default): on when built inside a multi-replica
            ``tf.distribute`` strategy scope, so training matches one device.
        input_normalization: ``None``, or ``(mean, std)`` per channel (in the
            input's units, e.g. CIFAR-10's channel statistics) for a fixed
            normalisation layer in front of both nets.
        shared_gradient_scale: the factor on the gradient the light net's
            losses send into the shared layers: 1 (default) as the paper,
            0 (not under "interval") the light net uses them without
            training them; see the module's docstring.

    Returns:
        A ``RocketModel`` with outputs ``{"booster": logits, "light": logits}``.

    Example:

    ```python
    from rocket_keras.zoo.resnet import resnet_spec

    model = build_rocket_model(name="rocket_resnet", input_shape=(28, 28, 1), num_classes=10,
                               booster=resnet_spec(20), light=resnet_spec(8), share="interval")
    ```
    """
    input_shape = checks.check_input_shape(input_shape)
    checks.check_positive_int("num_classes", num_classes)
    _check_sharing(share, booster, light, shared_stages, interval_ok)
    _check_gradient_scale(shared_gradient_scale, share)
    scale = float(shared_gradient_scale)
    if synchronized_bn is None:
        # Per-replica statistics would make a multi-device run train
        # differently from one device with the same global batch.
        synchronized_bn = backends.replicas_in_sync() > 1

    def branch(prefix, shared_convs=None):
        return BranchLayers(prefix, shared_convs, synchronized_bn, scale if prefix == "light" else 1.0)

    def light_input(shared_output):
        if scale == 1.0:
            return shared_output
        return rocket_layers.GradientScale(scale, name="light_shared_gradient_scale")(shared_output)

    if share == "stem":
        share, shared_stages = "bottom", 0
    image = keras.Input(shape=input_shape, name="image")
    inputs = normalization_layer(input_normalization, input_shape[-1])(image) if input_normalization else image
    all_stages = range(len(booster.stages))
    if share == "none":
        outputs = {
            prefix: _network(inputs, spec, prefix, num_classes, synchronized_bn)
            for prefix, spec in (("booster", booster), ("light", light))
        }
    elif share == "bottom":
        trunk = light.stem(inputs, branch("shared"), light)
        trunk = _run_stages(
            trunk, light, range(shared_stages), lambda s, b: branch("shared")
        )
        top = range(shared_stages, len(light.stages))
        outputs = {
            prefix: _logits(
                _run_stages(trunk if prefix == "booster" else light_input(trunk), spec, top,
                            lambda s, b, p=prefix: branch(p)),
                spec,
                prefix,
                num_classes,
                synchronized_bn,
            )
            for prefix, spec in (("booster", booster), ("light", light))
        }
    else:  # interval
        shared_convs = {}
        stem = booster.stem(inputs, branch("shared"), booster)

        def booster_layers(s, b):
            shared = b < light.stages[s].blocks
            return branch("booster", shared_convs if shared else None)

        x_booster = _run_stages(stem, booster, all_stages, booster_layers)
        x_light = _run_stages(
            light_input(stem), light, all_stages, lambda s, b: branch("light", shared_convs)
        )
        outputs = {
            "booster": _logits(x_booster, booster, "booster", num_classes, synchronized_bn),
            "light": _logits(x_light, light, "light", num_classes, synchronized_bn),
        }
    return RocketModel(image, booster=outputs["booster"], light=outputs["light"], name=name)


def _check_gradient_scale(scale, share):
    if not is_number(scale) or not 0 <= scale <= 1:
        raise ValueError(f"`shared_gradient_scale` must be a number in [0, 1]. Received: shared_gradient_scale={scale!r}")
    if scale == 0 and share == "interval":
        raise ValueError(
            "Under 'interval' sharing the light net's gradient reaches its lower layers through the shared "
            "convolutions, so it can be scaled there but not stopped: use a small positive "
            "shared_gradient_scale (e.g. 0.01), or share='bottom'/'stem'. Received: shared_gradient_scale=0"
        )
    if scale != 1 and share == "none":
        raise ValueError(f"share='none' shares no layer: shared_gradient_scale has nothing to scale. "
                         f"Received: shared_gradient_scale={scale!r}")


# The arguments every zoo pair takes, documented once and appended to each
# rocket_<family> builder's docstring by ``pair_builder``.
PAIR_ARGUMENTS_DOC = """        name: model name.
        **pair_arguments: what every pair takes, passed to
            ``build_rocket_model``: ``input_shape`` (default ``(32, 32, 3)``),
            ``num_classes`` (10), ``shared_stages`` (for "bottom": stages
            computed once, built at the light net's sizes),
            ``synchronized_bn``, ``input_normalization`` (``(mean, std)`` per
            channel for a fixed normalisation layer in the model) and
            ``shared_gradient_scale`` (the light path's gradient factor into
            shared layers).

    Returns:
        A ``RocketModel``.
"""


def pair_builder(builder):
    """Marks a zoo family's pair builder: its docstring gains the shared arguments (``PAIR_ARGUMENTS_DOC``).

    The builder picks its two ``NetworkSpec``s and a layout and passes every
    other argument to ``build_rocket_model``, the one pair builder.
    """
    doc = builder.__doc__ or ""
    head, separator, example = doc.partition("\n    Example:")
    builder.__doc__ = head.rstrip() + "\n" + PAIR_ARGUMENTS_DOC + ("\n    Example:" + example if separator else "")
    return builder


def normalization_layer(mean_std, channels):
    """A fixed ``(x - mean) / std`` layer, named as part of both networks.

    ``mean_std`` is ``(mean, std)``, each a number or one per channel.

    Example:

    ```python
    layer = normalization_layer((0.5, 0.25), channels=1)
    layer(np.ones((1, 2, 2, 1)))  # all 2.0; layer.name == "shared_input_normalization"
    ```
    """
    try:
        mean, std = (np.broadcast_to(np.asarray(v, "float32"), (channels,)) for v in mean_std)
    except (TypeError, ValueError):
        raise ValueError(
            f"`input_normalization` must be (mean, std), each a number or {channels} "
            f"numbers (one per channel). Received: input_normalization={mean_std!r}"
        ) from None
    if np.any(std <= 0):
        raise ValueError(f"`input_normalization` std must be positive. Received: input_normalization={mean_std!r}")
    return keras.layers.Normalization(mean=mean, variance=np.square(std), name="shared_input_normalization")
