"""The training recipe's optimizer: step-decay learning rate and SGD with coupled L2.

The Rocket Launching authors train with PyTorch's ``SGD(lr, momentum=0.9,
weight_decay=5e-4)``: a *coupled* L2 penalty (``5e-4 * w`` added to every
gradient, BatchNorm scales and biases included) and a learning rate
multiplied by 0.2 at 30 %, 60 % and 80 % of training, with a new optimizer
(zero momentum) at each drop. Keras' ``weight_decay`` is decoupled (AdamW
style: ``w -= lr * wd * w`` outside the momentum), which at momentum 0.9 is
about ten times weaker, and Keras has no momentum reset. This module gives
both, so the paper's recipe can be run as written:

```python
import keras
from rocket_keras.optimizers import SGD, StepDecay

schedule = StepDecay(0.1, boundaries=[1584, 3168, 4224], factor=0.2)
optimizer = SGD(schedule, momentum=0.9, l2=5e-4, reset_momentum_at=schedule.boundaries)
```
"""

import re

import keras
from keras import ops


def _check_boundaries(boundaries, name):
    boundaries = [int(b) for b in boundaries]
    if any(b < 0 for b in boundaries) or boundaries != sorted(boundaries):
        raise ValueError(
            f"`{name}` must be non-negative step numbers in increasing order. "
            f"Received: {name}={boundaries!r}"
        )
    return boundaries


def drop_steps(total_steps, fractions):
    """Step numbers of learning-rate drops at ``fractions`` of ``total_steps``.

    ``drop_steps(100, [0.3, 0.6, 0.8])`` is ``[30, 60, 80]``: the step with
    index 30 (the 31st update) is the first at the lower rate. In very short
    runs two drops can fall on one step; both then apply there.

    Args:
        total_steps: optimizer steps in the whole run.
        fractions: fractions of training, each strictly between 0 and 1.

    Returns:
        The step numbers, a list of ints in increasing order.

    Example:

    ```python
    drop_steps(100, [0.3, 0.6, 0.8])  # [30, 60, 80]
    schedule = StepDecay(0.1, boundaries=drop_steps(15 * 352, [0.3, 0.6, 0.8]))
    ```
    """
    if any(not 0 < float(f) < 1 for f in fractions):
        raise ValueError(
            f"Drop fractions must lie strictly between 0 and 1. Received: fractions={list(fractions)!r}"
        )
    return _check_boundaries([round(float(f) * total_steps) for f in fractions], "boundaries")


@keras.saving.register_keras_serializable(package="rocket_keras")
class StepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``initial_learning_rate * factor**k``, with ``k`` the boundaries passed.

    Step ``b`` of ``boundaries`` (0-based optimizer iterations) is the first
    step at the lower rate, as in a PyTorch loop that lowers the rate at the
    start of an epoch. (``keras.optimizers.schedules.PiecewiseConstantDecay``
    switches one step later.)

    Args:
        initial_learning_rate: the rate before the first boundary.
        boundaries: step numbers in increasing order (a repeated one drops
            the rate twice at that step).
        factor: multiplier at each boundary (the paper: 0.2).

    Example:

    ```python
    schedule = StepDecay(0.1, boundaries=[30, 60], factor=0.2)
    float(schedule(29)), float(schedule(30)), float(schedule(60))  # 0.1, 0.02, 0.004
    ```
    """

    def __init__(self, initial_learning_rate, boundaries, factor=0.2):
        if factor <= 0:
            raise ValueError(f"`factor` must be positive. Received: factor={factor!r}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.boundaries = _check_boundaries(boundaries, "boundaries")
        self.factor = float(factor)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        passed = sum(ops.cast(step >= b, "float32") for b in self.boundaries) if self.boundaries else 0.0
        return self.initial_learning_rate * ops.power(self.factor, passed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "boundaries": list(self.boundaries),
            "factor": self.factor,
        }


@keras.saving.register_keras_serializable(package="rocket_keras")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """A triangular one-cycle rate: up linearly to ``peak_learning_rate``, then down linearly to 0.

    The rate starts at ``start_factor * peak``, reaches the peak after
    ``warmup`` of the ``total_steps`` and ends at 0 at the last step (the
    fast CIFAR recipes' schedule: Smith & Topin 2017, airbench).

    Example:

    ```python
    schedule = OneCycle(0.4, total_steps=100, warmup=0.25, start_factor=0.1)
    float(schedule(0)), float(schedule(25)), float(schedule(100))  # 0.04, 0.4, 0.0
    ```
    """

    def __init__(self, peak_learning_rate, total_steps, warmup=0.25, start_factor=0.1):
        if not 0 < warmup < 1:
            raise ValueError(f"`warmup` must be a fraction in (0, 1). Received: warmup={warmup!r}")
        if int(total_steps) < 2:
            raise ValueError(f"`total_steps` must be at least 2. Received: total_steps={total_steps!r}")
        self.peak_learning_rate, self.total_steps = float(peak_learning_rate), int(total_steps)
        self.warmup, self.start_factor = float(warmup), float(start_factor)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak_step = self.warmup * self.total_steps
        rising = self.start_factor + (1.0 - self.start_factor) * step / peak_step
        falling = (self.total_steps - step) / (self.total_steps - peak_step)
        factor = ops.where(step < peak_step, rising, ops.maximum(falling, 0.0))
        return self.peak_learning_rate * factor

    def get_config(self):
        return {"peak_learning_rate": self.peak_learning_rate, "total_steps": self.total_steps,
                "warmup": self.warmup, "start_factor": self.start_factor}


SCHEDULES = ("step", "one_cycle")
# The variable names of BatchNorm's scales and shifts and of biases: what decoupled weight decay
# always skips, and coupled L2 skips with recipe_optimizer(l2_norm_and_bias=False).
NORM_AND_BIAS = ("gamma", "beta", "bias")


@keras.saving.register_keras_serializable(package="rocket_keras")
class SGD(keras.optimizers.SGD):
    """``keras.optimizers.SGD`` with a coupled L2 penalty and momentum resets.

    Args:
        learning_rate, momentum, nesterov, **kwargs: as in
            ``keras.optimizers.SGD`` (``weight_decay`` there is the
            decoupled kind; leave it at ``None`` when ``l2`` is used).
        l2: coefficient of a coupled L2 penalty on **every** trained
            variable: ``l2 * w`` is added to each gradient before momentum,
            exactly PyTorch's ``SGD(weight_decay=l2)`` and the same as a loss
            term ``l2 / 2 * sum(w**2)`` over all weights (BatchNorm and
            biases included, as in the Rocket Launching authors' code).
        reset_momentum_at: optimizer steps (0-based iterations) at which the
            momentum buffers are zeroed before the update, as when the
            authors create a new optimizer at each learning-rate drop.
        exclude_from_weight_decay_names: variable-name patterns that the
            decoupled ``weight_decay`` skips, as ``exclude_from_weight_decay(
            var_names=...)``; unlike Keras' own optimizers, this one saves
            the names (from either route) in its config, so a reloaded
            ``model.keras`` keeps them.
        exclude_from_l2_names: variable-name patterns (regular expressions
            searched in ``variable.name``, as Keras matches
            ``exclude_from_weight_decay``'s names) that the coupled ``l2``
            skips: ``("gamma", "beta", "bias")`` leaves BatchNorm's scales
            and shifts and the biases unpenalised, a common choice in fast
            recipes. Saved in the config.

    Example:

    ```python
    optimizer = SGD(0.1, momentum=0.9, l2=5e-4, reset_momentum_at=[1000, 2000])
    model.compile(optimizer=optimizer, metrics=["accuracy"])
    # L2 on the kernels only:
    optimizer = SGD(0.1, momentum=0.9, l2=5e-4, exclude_from_l2_names=["gamma", "beta", "bias"])
    ```
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, l2=0.0, reset_momentum_at=(),
                 exclude_from_weight_decay_names=(), exclude_from_l2_names=(), **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=nesterov, **kwargs)
        if not isinstance(l2, (int, float)) or isinstance(l2, bool) or l2 < 0:
            raise ValueError(f"`l2` must be a non-negative number. Received: l2={l2!r}")
        self.l2 = float(l2)
        self.reset_momentum_at = _check_boundaries(reset_momentum_at, "reset_momentum_at")
        if isinstance(exclude_from_l2_names, str):
            raise ValueError("`exclude_from_l2_names` must be a list of name patterns, not one string. "
                             f"Received: exclude_from_l2_names={exclude_from_l2_names!r}")
        self.exclude_from_l2_names = tuple(exclude_from_l2_names)
        self.exclude_from_weight_decay_names = ()
        if exclude_from_weight_decay_names:
            self.exclude_from_weight_decay(var_names=list(exclude_from_weight_decay_names))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        super().exclude_from_weight_decay(var_list=var_list, var_names=var_names)
        # Names can be saved; a var_list of variables cannot.
        self.exclude_from_weight_decay_names = tuple(var_names or ())

    def uses_l2(self, variable):
        """Whether the coupled ``l2`` penalises ``variable`` (its name matches no ``exclude_from_l2_names``)."""
        return bool(self.l2) and not any(re.search(pattern, variable.name) for pattern in self.exclude_from_l2_names)

    def update_step(self, gradient, variable, learning_rate):
        if self.uses_l2(variable):
            gradient = ops.add(ops.cast(gradient, variable.dtype), ops.multiply(self.l2, variable))
        if self.momentum != 0 and self.reset_momentum_at:
            m = self.momentums[self._get_variable_index(variable)]
            keep = ops.cast(ops.all(ops.not_equal(self.iterations, self.reset_momentum_at)), m.dtype)
            self.assign(m, ops.multiply(m, keep))
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({"l2": self.l2, "reset_momentum_at": list(self.reset_momentum_at),
                       "exclude_from_weight_decay_names": list(self.exclude_from_weight_decay_names),
                       "exclude_from_l2_names": list(self.exclude_from_l2_names)})
        return config


def recipe_optimizer(
    total_steps,
    learning_rate=0.1,
    momentum=0.9,
    drops_at=(0.5, 0.75),
    drop_factor=0.1,
    weight_decay=5e-4,
    l2=0.0,
    reset_momentum=False,
    schedule="step",
    nesterov=False,
    ema=None,
    l2_norm_and_bias=True,
    warmup=0.25,
):
    """The optimizer of a training recipe: SGD, step decay or one cycle, and L2 of either kind.

    Args:
        total_steps: optimizer steps in the whole run (epochs x steps per epoch).
        learning_rate: the initial rate.
        momentum: SGD momentum.
        drops_at: fractions of training where the rate is multiplied by
            ``drop_factor`` (the paper: 0.3, 0.6, 0.8 with 0.2).
        drop_factor: the multiplier at each drop.
        weight_decay: Keras' decoupled weight decay, on kernels only
            (BatchNorm parameters and biases are excluded); 0 for none.
        l2: coupled L2 on every variable (the paper: 5e-4 with
            ``weight_decay=0``).
        l2_norm_and_bias: whether ``l2`` also penalises BatchNorm's scales
            and shifts and the biases (the paper: yes); False leaves them
            out (``SGD``'s ``exclude_from_l2_names``).
        reset_momentum: zero the momentum at each drop (the paper: yes).
        schedule: ``"step"`` (``StepDecay`` at ``drops_at``) or
            ``"one_cycle"`` (``OneCycle`` peaking at ``learning_rate``;
            ``drops_at``, ``drop_factor`` and ``reset_momentum`` unused).
        warmup: ``"one_cycle"``: the fraction of training over which the
            rate rises to its peak (``OneCycle``'s ``warmup``).
        nesterov: Nesterov momentum.
        ema: keep an exponential moving average of the weights with this
            momentum (e.g. 0.999; Keras' ``use_ema``): ``fit`` leaves the
            averaged weights in the model at its end, so the evaluated and
            exported net is the average. BatchNorm's moving statistics are
            not averaged: recompute them for the average
            (``callbacks.RecomputeBatchNormStatistics``, which training
            does). ``None``: no average.

    Returns:
        An ``SGD`` with a ``StepDecay`` or ``OneCycle`` schedule.

    Example:

    ```python
    optimizer = recipe_optimizer(15 * 352, drops_at=(0.3, 0.6, 0.8), drop_factor=0.2,
                                 weight_decay=0, l2=5e-4, reset_momentum=True)
    model.compile(optimizer=optimizer, metrics=["accuracy"])
    ```
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"`schedule` must be one of {SCHEDULES}. Received: schedule={schedule!r}")
    if schedule == "one_cycle":
        rate, boundaries = OneCycle(learning_rate, total_steps, warmup=warmup), ()
    else:
        boundaries = drop_steps(total_steps, drops_at)
        rate = StepDecay(learning_rate, boundaries, drop_factor)
    averaging = {"use_ema": True, "ema_momentum": float(ema)} if ema is not None else {}
    return SGD(
        rate,
        momentum=momentum,
        nesterov=nesterov,
        weight_decay=weight_decay or None,
        l2=l2,
        reset_momentum_at=boundaries if reset_momentum else (),
        exclude_from_weight_decay_names=NORM_AND_BIAS if weight_decay else (),
        exclude_from_l2_names=() if l2_norm_and_bias else NORM_AND_BIAS,
        **averaging,
    )
