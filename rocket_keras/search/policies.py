"""The two N2N policies as Keras models, their sampling and their REINFORCE update.

* ``removal_policy``: a bidirectional LSTM reads the units' x_t and gives,
  for each unit, the logits of (remove, keep).
* ``shrink_policy``: a unidirectional LSTM reads each unit's x_t with the
  one-hot of its own previous action and gives the logits of the shrink
  ratios. Sampling runs it one unit at a time (its output at t only depends
  on inputs up to t); an update feeds the sampled actions back in.

Both use two LSTM layers of 30 units, as the N2N authors' controller.

The update is REINFORCE written as a weighted cross-entropy, so that Keras'
own ``train_on_batch`` and optimizer do it on any backend: for rollouts
i with actions a_it, minimising ``sum_i sum_t w_it * CE(a_it, logits_it)``
with ``w_it = (R_i - b) / N`` on the units that took an action (0
elsewhere) follows the policy gradient ``(1/N) sum_i (R_i - b) sum_t grad
log pi(a_it)``.
"""

import keras
import numpy as np

from rocket_keras.search.architecture import FEATURES

HIDDEN_UNITS = 30
KEEP, REMOVE = 1, 0
DEFAULT_RATIOS = (0.25, 0.5, 0.75, 1.0)
# The N2N authors' shrink actions, as listed (0.5 five times, so a uniform
# draw gives it probability 5/11): ``lookup`` in their run.py and
# resnet_ar_run_param_clean.py (github.com/anubhavashok/N2N).
AUTHORS_RATIOS = (0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
RATIO_SETS = {"default": DEFAULT_RATIOS, "authors": AUTHORS_RATIOS}


def ratio_set(ratios):
    """The shrink actions: a name of ``RATIO_SETS`` (``"default"``, ``"authors"``) or the ratios themselves.

    Example:

    ```python
    ratio_set("authors")  # AUTHORS_RATIOS, 11 actions
    ratio_set([0.5, 1.0])  # (0.5, 1.0)
    ```
    """
    if isinstance(ratios, str):
        if ratios not in RATIO_SETS:
            raise ValueError(f"`ratios` names one of {sorted(RATIO_SETS)} or lists numbers. "
                             f"Received: ratios={ratios!r}")
        return RATIO_SETS[ratios]
    ratios = tuple(float(r) for r in ratios)
    if not ratios or not all(0 < r <= 1 for r in ratios):
        raise ValueError(f"`ratios` must be numbers in (0, 1], at least one. Received: ratios={ratios!r}")
    return ratios


def _compile(policy, learning_rate):
    policy.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"),
    )
    return policy


def removal_policy(learning_rate=0.003, hidden_units=HIDDEN_UNITS, seed=0, features=FEATURES):
    """The layer-removal policy: bidirectional LSTM, (remove, keep) logits per unit.

    ``features`` is the length of x_t: ``architecture.FEATURES`` for the
    block space, ``layer_space.FEATURES`` for the layer space.

    Example:

    ```python
    policy = removal_policy()
    x = np.asarray([architecture.features(architecture.describe(resnet_spec(14)))])
    policy(x).shape  # (1, 8, 2)
    ```
    """
    initializer = keras.initializers.GlorotUniform(seed=seed)
    x_t = keras.Input((None, features), name="units")
    h = keras.layers.Bidirectional(
        keras.layers.LSTM(hidden_units, return_sequences=True, kernel_initializer=initializer), name="bilstm1"
    )(x_t)
    h = keras.layers.Bidirectional(
        keras.layers.LSTM(hidden_units, return_sequences=True, kernel_initializer=initializer), name="bilstm2"
    )(h)
    logits = keras.layers.Dense(2, kernel_initializer=initializer, name="remove_keep_logits")(h)
    return _compile(keras.Model(x_t, logits, name="n2n_removal_policy"), learning_rate)


def shrink_policy(ratios=DEFAULT_RATIOS, learning_rate=0.003, hidden_units=HIDDEN_UNITS, seed=0, features=FEATURES):
    """The layer-shrinkage policy: LSTM over x_t and the previous action, ratio logits per unit.

    One logit per entry of ``ratios`` (a repeated ratio is a separate action,
    as in the authors' set); ``features`` as in ``removal_policy``.

    Example:

    ```python
    policy = shrink_policy(ratios=(0.25, 0.5, 0.75, 1.0))
    policy.input_shape  # (None, None, 9 + 4)
    ```
    """
    initializer = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input((None, features + len(ratios)), name="units_and_previous_action")
    h = keras.layers.LSTM(hidden_units, return_sequences=True, kernel_initializer=initializer, name="lstm1")(inputs)
    h = keras.layers.LSTM(hidden_units, return_sequences=True, kernel_initializer=initializer, name="lstm2")(h)
    logits = keras.layers.Dense(len(ratios), kernel_initializer=initializer, name="ratio_logits")(h)
    return _compile(keras.Model(inputs, logits, name="n2n_shrink_policy"), learning_rate)


def _softmax(logits):
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def log_probabilities(policy, inputs, actions):
    """log pi(a_t) of each action, an array shaped like ``actions``.

    ``inputs`` is what the policy reads, shaped ``(rollouts, units,
    features)`` (for the shrink policy, with the previous actions filled in:
    ``shrink_inputs``).
    """
    probabilities = _softmax(np.asarray(policy(np.asarray(inputs, "float32"), training=False), "float64"))
    actions = np.asarray(actions)
    return np.log(np.take_along_axis(probabilities, actions[..., None], axis=-1)[..., 0])


def sample_removal(policy, unit_features, rng, rollouts=1):
    """Samples keep (1) or remove (0) for every unit: an int array ``(rollouts, units)``.

    Example:

    ```python
    actions = sample_removal(removal_policy(), architecture.features(units), np.random.default_rng(0), 5)
    ```
    """
    x = np.repeat(np.asarray([unit_features], "float32"), rollouts, axis=0)
    probabilities = _softmax(np.asarray(policy(x, training=False), "float64"))
    return (rng.random(probabilities.shape[:2]) < probabilities[..., KEEP]).astype("int64")


def sample_uniform(units, choices, rng, rollouts=1, acting=None, idle=KEEP):
    """Uniform actions, the random-search control: an int array ``(rollouts, units)`` in ``[0, choices)``.

    For removal (``choices=2``) each unit is kept or removed with
    probability 1/2; for shrinking each ratio index is equally likely: the
    same spaces the policies sample from. With ``acting`` (``(units,)``
    booleans) a unit that takes no action gets ``idle`` (keep; for
    shrinking, pass the index of the largest ratio) in every rollout; the
    draws are the same with or without it.

    Example:

    ```python
    sample_uniform(units=8, choices=4, rng=np.random.default_rng(0), rollouts=5).shape  # (5, 8)
    ```
    """
    actions = rng.integers(0, choices, size=(rollouts, units)).astype("int64")
    if acting is not None:
        actions[:, ~np.asarray(acting, bool)] = idle
    return actions


def shrink_inputs(unit_features, actions, num_ratios):
    """The shrink policy's input: each x_t beside the one-hot of the action at t - 1.

    ``actions`` is ``(rollouts, units)``; the first unit sees zeros.
    """
    actions = np.asarray(actions)
    rollouts, units = actions.shape
    previous = np.zeros((rollouts, units, num_ratios), "float32")
    for t in range(1, units):
        previous[np.arange(rollouts), t, actions[:, t - 1]] = 1.0
    x = np.repeat(np.asarray([unit_features], "float32"), rollouts, axis=0)
    return np.concatenate([x, previous], axis=-1)


def sample_shrink(policy, unit_features, rng, rollouts=1):
    """Samples a ratio index for every unit, one unit at a time: ``(rollouts, units)``.

    Each step conditions on the ratios already drawn.
    """
    num_ratios = policy.output_shape[-1]
    units = len(unit_features)
    actions = np.zeros((rollouts, units), "int64")
    for t in range(units):
        x = shrink_inputs(unit_features, actions, num_ratios)[:, : t + 1]
        probabilities = _softmax(np.asarray(policy(x, training=False), "float64")[:, t])
        cumulative = probabilities.cumsum(axis=-1)
        draws = rng.random((rollouts, 1))
        actions[:, t] = np.minimum((draws > cumulative).sum(axis=-1), num_ratios - 1)
    return actions


def reinforce_update(policy, inputs, actions, rewards, baseline, acting):
    """One REINFORCE step of ``policy`` on a batch of rollouts; returns the loss.

    Args:
        policy: a compiled policy (``removal_policy`` or ``shrink_policy``).
        inputs: what the policy read, ``(rollouts, units, features)``.
        actions: the sampled actions, ``(rollouts, units)``.
        rewards: one reward per rollout.
        baseline: the moving-average baseline b.
        acting: ``(units,)`` booleans, the units whose action counts (a
            unit that cannot be removed or shrunk took no decision).

    Example:

    ```python
    loss = reinforce_update(policy, x, actions, rewards=[0.4, 0.1], baseline=0.2, acting=mask)
    ```
    """
    rewards = np.asarray(rewards, "float32")
    advantage = (rewards - np.float32(baseline)) / len(rewards)
    weights = advantage[:, None] * np.asarray(acting, "float32")[None, :]
    return float(policy.train_on_batch(np.asarray(inputs, "float32"), np.asarray(actions), sample_weight=weights))
