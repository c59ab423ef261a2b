"""Magnitude pruning for Keras 3, in tensorflow-model-optimization's vocabulary.

``tensorflow_model_optimization`` supports Keras 2 only. This module gives a
Keras 3 user the same workflow:

```python
import keras
import rocket_keras.pruning as pruning

schedule = pruning.PolynomialDecay(initial_sparsity=0.0, final_sparsity=0.75, begin_step=0, end_step=1000)
pruned = pruning.prune_low_magnitude(model, schedule)
pruned.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
pruned.fit(x, y, epochs=3, callbacks=[pruning.UpdatePruningStep()])
final = pruning.strip_pruning(pruned)  # plain layers, zeros baked in
print(pruning.sparsity(final))
```

Convolutions, depthwise convolutions and dense layers are prunable; only
their kernels are pruned (biases and BatchNorm never). A pruned layer is
wrapped in ``PruneLowMagnitude``, which holds a 0/1 mask of its kernel: the
forward pass uses ``kernel * mask``, so pruned weights get no gradient, and
a constraint sets them back to exactly zero after every optimizer step (the
momentum of weights pruned mid-training would otherwise move them). At the
steps the schedule names, ``UpdatePruningStep`` sets each mask to keep the
largest-magnitude weights of its layer. Masks are variables: they are saved
with ``.keras`` files and restored on loading.

Where this follows tfmot and where not: the names (``prune_low_magnitude``
with ``pruning_schedule``, ``ConstantSparsity``, ``PolynomialDecay``,
``UpdatePruningStep``, ``strip_pruning``) and the schedules' prune steps
are tfmot's (``prune_at_end_step`` is an extra, off by default); a kernel
constraint of the user's (``MaxNorm``, say) is applied before the mask and
restored by ``strip_pruning``. Masks are recomputed from the masked
weights, so a weight once pruned stays pruned: there is no regrowth.

With a ``RocketModel``, ``prune_low_magnitude(model, schedule, net="light")``
prunes the light net's layers during rocket training; the booster's own
layers stay dense (under "interval" sharing the light net's convolutions are
booster ones too, so those shared layers are pruned for both).

The callback runs on the TensorFlow backend (on JAX, Keras holds the
variables outside the model during ``fit``, out of a callback's reach).
"""

import keras
import numpy as np
from keras import ops

from rocket_keras import backends

PRUNABLE = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)


def _kernel(layer):
    """The pruned weight of a prunable layer (Keras 3 calls a depthwise one ``kernel`` too)."""
    return layer.kernel


def _check_fraction(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")


def _check_steps(begin_step, end_step, frequency):
    if not isinstance(frequency, int) or frequency < 1:
        raise ValueError(f"`frequency` must be a positive integer. Received: frequency={frequency!r}")
    if begin_step < 0 or (end_step != -1 and end_step < begin_step):
        raise ValueError(
            f"Steps must satisfy 0 <= begin_step <= end_step (or end_step=-1: no end). "
            f"Received: begin_step={begin_step!r}, end_step={end_step!r}"
        )


def magnitude_mask(values, sparsity):
    """A 0/1 mask of ``values``' shape that zeroes the ``floor(sparsity * size)`` smallest magnitudes.

    Ties are broken by position, so exactly that many entries are zero.

    Example:

    ```python
    magnitude_mask(np.array([0.1, -3.0, 0.2, 2.0]), 0.5)  # [0., 1., 0., 1.]
    ```
    """
    magnitudes = np.abs(np.asarray(values))
    pruned = int(np.floor(sparsity * magnitudes.size))
    mask = np.ones(magnitudes.size, dtype="float32")
    if pruned:
        mask[np.argsort(magnitudes, axis=None, kind="stable")[:pruned]] = 0.0
    return mask.reshape(magnitudes.shape)


class PruningSchedule:
    """When to prune and to which sparsity: ``schedule(step) -> (prune_now, sparsity)``.

    tfmot's rule: prune at the steps ``begin_step + k * frequency`` up to
    ``end_step`` (-1: no end). ``prune_at_end_step=True`` also prunes at
    ``end_step`` when it falls between two beats, so that a decaying
    schedule reaches its final sparsity exactly (tfmot does not; this
    package's train.py does, as its committed pruning runs did).

    Example:

    ```python
    schedule = PolynomialDecay(0.0, 0.75, begin_step=0, end_step=1000, frequency=100)
    schedule(200)  # (True, sparsity at step 200); schedule(250) -> (False, ...)
    ```
    """

    def __init__(self, begin_step, end_step, frequency, prune_at_end_step=False):
        _check_steps(begin_step, end_step, frequency)
        self.begin_step, self.end_step, self.frequency = int(begin_step), int(end_step), int(frequency)
        self.prune_at_end_step = bool(prune_at_end_step)

    def _in_window(self, step):
        after_end = self.end_step != -1 and step > self.end_step
        on_beat = (step - self.begin_step) % self.frequency == 0 or (self.prune_at_end_step and step == self.end_step)
        return step >= self.begin_step and not after_end and on_beat

    def get_config(self):
        return {"begin_step": self.begin_step, "end_step": self.end_step, "frequency": self.frequency,
                "prune_at_end_step": self.prune_at_end_step}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="rocket_keras")
class ConstantSparsity(PruningSchedule):
    """The same sparsity at every pruning step from ``begin_step`` on.

    Example:

    ```python
    schedule = ConstantSparsity(0.5, begin_step=0, frequency=100)
    schedule(0), schedule(50), schedule(100)  # (True, 0.5), (False, 0.5), (True, 0.5)
    ```
    """

    def __init__(self, target_sparsity, begin_step=0, end_step=-1, frequency=100, prune_at_end_step=False):
        _check_fraction("target_sparsity", target_sparsity)
        super().__init__(begin_step, end_step, frequency, prune_at_end_step)
        self.target_sparsity = float(target_sparsity)

    def __call__(self, step):
        return self._in_window(step), self.target_sparsity

    def get_config(self):
        return {"target_sparsity": self.target_sparsity, **super().get_config()}


@keras.saving.register_keras_serializable(package="rocket_keras")
class PolynomialDecay(PruningSchedule):
    """Sparsity rising from ``initial_sparsity`` to ``final_sparsity`` (Zhu & Gupta, 2017).

    ``s(t) = final + (initial - final) * (1 - p)**power`` with ``p`` the
    fraction of the way from ``begin_step`` to ``end_step``; pruning happens
    every ``frequency`` steps in that window (and at ``end_step`` with
    ``prune_at_end_step=True``).

    Example:

    ```python
    schedule = PolynomialDecay(0.0, 0.8, begin_step=0, end_step=100, power=3, frequency=10)
    schedule(50)  # (True, 0.7): 0.8 - 0.8 * 0.5**3
    ```
    """

    def __init__(self, initial_sparsity, final_sparsity, begin_step, end_step, power=3, frequency=100,
                 prune_at_end_step=False):
        _check_fraction("initial_sparsity", initial_sparsity)
        _check_fraction("final_sparsity", final_sparsity)
        if end_step == -1:
            raise ValueError("PolynomialDecay needs an end_step. Received: end_step=-1")
        super().__init__(begin_step, end_step, frequency, prune_at_end_step)
        self.initial_sparsity, self.final_sparsity = float(initial_sparsity), float(final_sparsity)
        self.power = power

    def __call__(self, step):
        span = max(self.end_step - self.begin_step, 1)
        progress = min(max((step - self.begin_step) / span, 0.0), 1.0)
        sparsity = self.final_sparsity + (self.initial_sparsity - self.final_sparsity) * (1.0 - progress) ** self.power
        return self._in_window(step), sparsity

    def get_config(self):
        return {"initial_sparsity": self.initial_sparsity, "final_sparsity": self.final_sparsity,
                "power": self.power, **super().get_config()}


@keras.saving.register_keras_serializable(package="rocket_keras")
class PruneLowMagnitude(keras.layers.Wrapper):
    """A prunable layer with a 0/1 mask on its kernel (see the module docstring).

    Example:

    ```python
    layer = PruneLowMagnitude(keras.layers.Dense(4), ConstantSparsity(0.5))
    layer(np.ones((1, 3)))  # builds the mask (all ones until the first pruning step)
    ```
    """

    def __init__(self, layer, schedule, **kwargs):
        if not isinstance(layer, PRUNABLE):
            raise ValueError(
                f"Only {', '.join(c.__name__ for c in PRUNABLE)} layers can be pruned. "
                f"Received: layer {layer.name!r} of type {type(layer).__name__}"
            )
        kwargs.setdefault("name", f"prune_low_magnitude_{layer.name}")
        super().__init__(layer, **kwargs)
        self.schedule = schedule
        # Set by UpdatePruningStep; training without it would prune nothing.
        self._updated_by_callback = False

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = _kernel(self.layer)
        self.mask = self.add_weight(name="mask", shape=kernel.shape, initializer="ones", trainable=False)
        # After every optimizer step the user's constraint (MaxNorm, say) applies, then
        # pruned weights go back to exactly zero; strip_pruning gives the user's back.
        self.user_constraint = kernel.constraint
        user = self.user_constraint
        kernel.constraint = lambda value: (user(value) if user is not None else value) * ops.cast(self.mask, value.dtype)
        self.built = True

    def call(self, inputs, *args, training=None, **kwargs):
        if training and not self._updated_by_callback:
            raise ValueError(
                f"{self.name} is trained without the UpdatePruningStep callback, so its mask would never "
                "change: pass callbacks=[rocket_keras.pruning.UpdatePruningStep()] to fit. "
                "Received: training=True with no UpdatePruningStep"
            )
        kernel = _kernel(self.layer)
        trainable = [v.value * self.mask if v is kernel else v.value for v in self.layer.trainable_variables]
        non_trainable = [v.value for v in self.layer.non_trainable_variables]
        outputs, _ = self.layer.stateless_call(trainable, non_trainable, inputs, *args, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def update_mask(self, sparsity):
        """Keeps the ``1 - sparsity`` largest-magnitude weights; zeroes the rest."""
        kernel = _kernel(self.layer)
        mask = magnitude_mask(kernel.numpy() * self.mask.numpy(), sparsity)
        self.mask.assign(mask)
        kernel.assign(kernel.numpy() * mask)

    def get_config(self):
        config = super().get_config()
        config["schedule"] = keras.saving.serialize_keras_object(self.schedule)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = keras.saving.deserialize_keras_object(config["schedule"])
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)


def _clone_with(model, replace):
    """``model`` rebuilt with each layer ``replace(layer)`` returns, once per layer."""
    done = {}

    def clone_function(layer):
        if id(layer) not in done:
            done[id(layer)] = replace(layer)
        return done[id(layer)]

    return keras.models.clone_model(model, clone_function=clone_function, recursive=True)


def prune_low_magnitude(model, pruning_schedule=None, net=None, layers=None, *, schedule=None):
    """``model`` with its prunable layers wrapped in ``PruneLowMagnitude``.

    Args:
        model: a functional ``keras.Model`` or a ``RocketModel``. The result
            shares its layers (and weights) with ``model``.
        pruning_schedule: a ``ConstantSparsity`` or ``PolynomialDecay``, or a
            dict ``{layer name: schedule}`` to prune those layers only, each
            to its own target (e.g. from ``layer_targets``). tfmot's
            keyword; ``schedule=`` is the same argument under this
            package's earlier name.
        net: for a ``RocketModel``: ``"light"`` prunes the light net's layers
            only (the booster's own layers stay dense); ``None`` prunes all.
        layers: optional names of the layers to prune (default: every
            convolution, depthwise convolution and dense layer in scope).

    Returns:
        A model of the same class (a ``RocketModel`` stays one); train it
        with the ``UpdatePruningStep`` callback.

    Example:

    ```python
    pruned = prune_low_magnitude(rocket, ConstantSparsity(0.5, begin_step=100), net="light")
    ```
    """
    if (pruning_schedule is None) == (schedule is None):
        raise ValueError("Give the schedule once, as `pruning_schedule` (tfmot's name) or `schedule`. "
                         f"Received: pruning_schedule={pruning_schedule!r}, schedule={schedule!r}")
    schedule = pruning_schedule if pruning_schedule is not None else schedule
    schedules = schedule if isinstance(schedule, dict) else None
    for value in (schedules or {"schedule": schedule}).values():
        if not isinstance(value, PruningSchedule):
            raise ValueError(
                "`schedule` must be a ConstantSparsity or PolynomialDecay, or a dict of them by layer name. "
                f"Received: {schedule!r}"
            )
    if schedules is not None:
        layers = set(schedules) if layers is None else set(layers) & set(schedules)
    if net not in (None, "light"):
        raise ValueError(f"`net` must be None or 'light'. Received: net={net!r}")
    if net == "light" and not hasattr(model, "light_model"):
        raise ValueError(f"net='light' needs a RocketModel. Received: a {type(model).__name__}; use net=None")
    scope = model.light_model() if net == "light" else model
    # Layers of nested models (a pair from from_networks, a backbone) too.
    chosen = {
        id(layer) for layer in scope._flatten_layers(include_self=False)
        if isinstance(layer, PRUNABLE) and (layers is None or layer.name in layers)
    }
    if not chosen:
        raise ValueError(f"No prunable layer (Conv2D, DepthwiseConv2D, Dense) to prune. Received: layers={layers!r}")
    if schedules is not None:
        found = {layer.name for layer in scope._flatten_layers(include_self=False) if id(layer) in chosen}
        if found != layers:
            raise ValueError(
                f"`schedule` names layers that are not prunable layers of the model: {sorted(layers - found)}. "
                f"Received: schedule for {sorted(schedules)}"
            )

    def wrap(layer):
        if id(layer) not in chosen:
            return layer
        return PruneLowMagnitude(layer, schedules[layer.name] if schedules is not None else schedule)

    return _clone_with(model, wrap)


def is_pruned(model):
    """Whether ``model`` holds ``PruneLowMagnitude`` layers (from ``prune_low_magnitude``).

    Example:

    ```python
    pruned = prune_low_magnitude(model, pruning_schedule=ConstantSparsity(0.5, begin_step=0))
    is_pruned(pruned), is_pruned(strip_pruning(pruned))  # (True, False)
    ```
    """
    return any(isinstance(layer, PruneLowMagnitude) for layer in model._flatten_layers(include_self=False))


def strip_pruning(model):
    """``model`` without pruning wrappers: the inner layers, with their zeros baked in.

    Example:

    ```python
    final = strip_pruning(pruned)  # same predictions, plain Conv2D/Dense layers
    ```
    """

    def unwrap(layer):
        if isinstance(layer, PruneLowMagnitude):
            kernel = _kernel(layer.layer)
            kernel.constraint = getattr(layer, "user_constraint", None)
            kernel.assign(kernel.numpy() * layer.mask.numpy())
            return layer.layer
        return layer

    return _clone_with(model, unwrap)


def sparsity(model):
    """Fraction of zero kernel weights per prunable layer, and ``"overall"``.

    Works on a pruned model (wrapped layers) and on a stripped or plain one.

    Example:

    ```python
    report = sparsity(final)  # {"conv1": 0.75, ..., "overall": 0.74}
    ```
    """
    counts = {}
    for layer in model._flatten_layers(include_self=False):
        inner = layer.layer if isinstance(layer, PruneLowMagnitude) else layer
        if isinstance(inner, PRUNABLE) and inner.built and inner.name not in counts:
            values = np.asarray(_kernel(inner).numpy())
            if isinstance(layer, PruneLowMagnitude):
                values = values * layer.mask.numpy()
            counts[inner.name] = (int(np.sum(values == 0)), values.size)
    report = {name: zeros / size for name, (zeros, size) in counts.items()}
    total = sum(size for _, size in counts.values())
    report["overall"] = sum(zeros for zeros, _ in counts.values()) / total if total else 0.0
    return report


def prunable_layers(model, net=None):
    """The prunable layers of ``model`` (of its light net with ``net="light"``), in order, once each.

    Example:

    ```python
    [layer.name for layer in prunable_layers(rocket_resnet(), net="light")]  # ["shared_stem_conv", ...]: shared ones too
    ```
    """
    scope = model.light_model() if net == "light" else model
    seen, layers = set(), []
    for layer in scope._flatten_layers(include_self=False):
        if isinstance(layer, PRUNABLE) and id(layer) not in seen:
            seen.add(id(layer))
            layers.append(layer)
    return layers


def sensitivity(model, evaluate, sparsities=(0.5, 0.75, 0.9), net=None, layers=None):
    """Accuracy with one layer at a time pruned by magnitude, at each sparsity, without retraining.

    Args:
        model: a trained plain model or ``RocketModel``.
        evaluate: ``evaluate(model) -> float``, e.g. validation accuracy
            (never the test set: the targets chosen from it are settings).
        sparsities: the fractions to try for each layer.
        net: ``"light"``: only the light net's layers of a ``RocketModel``.
        layers: optional names of the layers to try (default: all prunable).

    Returns:
        ``{"baseline": accuracy, "layers": {name: {sparsity: accuracy}},
        "parameters": {name: kernel size}}``; the model's weights are
        restored.

    Example:

    ```python
    evaluate = lambda m: m.evaluate(splits.validation, return_dict=True, verbose=0)["light_accuracy"]
    report = sensitivity(rocket, evaluate, sparsities=(0.5, 0.75, 0.9), net="light")
    targets = layer_targets(report, max_drop=0.01)
    ```
    """
    chosen = [layer for layer in prunable_layers(model, net) if layers is None or layer.name in layers]
    report = {"baseline": float(evaluate(model)), "layers": {}, "parameters": {}}
    for layer in chosen:
        kernel = _kernel(layer)
        original = kernel.numpy()
        report["parameters"][layer.name] = int(original.size)
        report["layers"][layer.name] = {}
        try:
            for target in sparsities:
                kernel.assign(original * magnitude_mask(original, target))
                report["layers"][layer.name][float(target)] = float(evaluate(model))
        finally:
            kernel.assign(original)
    return report


def layer_targets(report, max_drop):
    """Per layer, the highest tried sparsity whose accuracy drop is at most ``max_drop`` (0 if none).

    ``report`` comes from ``sensitivity``; the result is ``{name: sparsity}``
    for the layers worth pruning (a target above 0), ready for
    ``prune_low_magnitude(model, {name: ConstantSparsity(target), ...})``.

    Example:

    ```python
    layer_targets({"baseline": 0.9, "layers": {"conv": {0.5: 0.9, 0.9: 0.7}}}, max_drop=0.01)  # {"conv": 0.5}
    ```
    """
    targets = {}
    for name, results in report["layers"].items():
        good = [float(s) for s, accuracy in results.items() if report["baseline"] - accuracy <= max_drop]
        if good:
            targets[name] = max(good)
    return targets


class UpdatePruningStep(keras.callbacks.Callback):
    """Updates the masks of a pruned model at the steps its schedule names.

    The step is the optimizer's iteration count, so a resumed run continues
    the schedule where it stopped.

    Example:

    ```python
    pruned.fit(x, y, epochs=3, callbacks=[UpdatePruningStep()])
    ```
    """

    def on_train_begin(self, logs=None):
        backends.require_tensorflow("UpdatePruningStep")
        self.wrappers = [layer for layer in self.model._flatten_layers(include_self=False)
                         if isinstance(layer, PruneLowMagnitude)]
        if not self.wrappers:
            raise ValueError("UpdatePruningStep needs a model from prune_low_magnitude. Received: no pruned layer")
        for wrapper in self.wrappers:
            wrapper._updated_by_callback = True

    def on_train_batch_begin(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        for wrapper in self.wrappers:
            prune_now, target = wrapper.schedule(step)
            if prune_now:
                wrapper.update_mask(target)
