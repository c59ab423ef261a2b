"""The Rocket Launching loss, as pure functions of tensors.

Every function returns one value per example (shape ``(batch,)``); the
model reduces them over the batch. The hint functions know nothing about the
gradient block: ``rocket_loss_terms`` wraps the booster logits in
``stop_gradient`` before calling them when the block is on.
"""

from keras import ops


def logits_mse(light_logits, booster_logits, temperature=None):
    """Squared L2 distance ``||l - z||^2`` between the heads' logits (the paper's hint).

    Summed over the classes, as in the paper's loss and the authors' code
    (``((z - l)**2).sum() / batch_size``), so the paper's lambda = 0.03
    applies as is. A per-class *mean* would weaken the hint by the number of
    classes.

    Example:

    ```python
    light, booster = np.array([[1.0, 0.0]]), np.array([[3.0, 1.0]])
    logits_mse(light, booster)  # [5.0]
    ```
    """
    del temperature
    return ops.sum(ops.square(light_logits - booster_logits), axis=-1)


def softmax_mse(light_logits, booster_logits, temperature=None):
    """Squared L2 distance between the heads' class probabilities (summed over classes).

    Example:

    ```python
    light = np.array([[1.0, 0.0, -1.0]])
    softmax_mse(light, light + 5.0)  # [0.0]: softmax ignores a shift of the logits
    ```
    """
    del temperature
    return ops.sum(
        ops.square(ops.softmax(light_logits) - ops.softmax(booster_logits)),
        axis=-1,
    )


def kd(light_logits, booster_logits, temperature=4.0):
    """Hinton distillation: T^2 * H(softmax(z/T), softmax(l/T)).

    The T^2 factor keeps the gradient scale of the soft targets independent
    of the temperature (Hinton et al. 2015). This is a cross-entropy, as the
    paper and Hinton et al. write it, so its value includes T^2 times the
    entropy of the soft targets and does not go to 0 when the heads agree
    (a logged ``kd_loss`` of about 30 at T = 4 is normal); under the gradient
    block that entropy is a constant and its gradients equal the KL
    divergence's.

    Example:

    ```python
    light, booster = np.array([[1.0, 0.0, -1.0]]), np.array([[2.0, 0.5, -1.0]])
    kd(light, booster, temperature=4.0)  # one value per example, shape (1,)
    ```
    """
    soft_targets = ops.softmax(booster_logits / temperature)
    log_probs = ops.log_softmax(light_logits / temperature)
    return -(temperature**2) * ops.sum(soft_targets * log_probs, axis=-1)


def authors_kd_weight(alpha, num_classes):
    """The weight on ``kd`` that gives the Rocket Launching authors' soft term.

    Their ``distillation`` (utils.py, after Zagoruyko's attention-transfer
    code) is ``kl_div(log_softmax(l/T), softmax(z/T)) * T^2 * 2 * alpha``
    with PyTorch's old default reduction, a mean over the batch *and the
    classes*: per example ``2 * alpha / num_classes * T^2 * KL``. ``kd``
    is ``T^2`` times the cross-entropy, which differs from ``T^2 * KL`` by
    a constant (the soft targets' entropy) and has the same gradients. With
    their ``alpha = 0.9`` on CIFAR-10: 0.18. Their hard-label weight is
    ``1 - alpha``.

    Example:

    ```python
    authors_kd_weight(0.9, num_classes=10)  # 0.18
    ```
    """
    return 2.0 * alpha / num_classes


HINTS = {"logits_mse": logits_mse, "softmax_mse": softmax_mse, "kd": kd}


def get_hint(name):
    """Returns the hint function called ``name``; a ValueError otherwise.

    Valid names are the keys of ``HINTS``: ``"logits_mse"``,
    ``"softmax_mse"`` and ``"kd"``.

    Example:

    ```python
    hint = get_hint("softmax_mse")  # the function softmax_mse
    hint(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))  # one value per example
    ```
    """
    if name not in HINTS:
        raise ValueError(
            f"Unknown hint {name!r}. Valid hints are: {sorted(HINTS)}. "
            f"Received: hint={name!r}"
        )
    return HINTS[name]


def cross_entropy(labels, logits):
    """Softmax cross-entropy for integer class ids or one-hot labels.

    Labels of the same rank as ``logits`` are read as one-hot (or soft)
    targets; labels of shape ``(batch,)`` or ``(batch, 1)`` as class ids.

    Example:

    ```python
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    cross_entropy(np.array([0, 2]), logits)  # the same values as with one-hot labels:
    cross_entropy(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), logits)
    ```
    """
    if len(labels.shape) == len(logits.shape) and labels.shape[-1] != 1:
        return ops.categorical_crossentropy(
            ops.cast(labels, logits.dtype), logits, from_logits=True
        )
    if len(labels.shape) == len(logits.shape):
        labels = ops.squeeze(labels, axis=-1)
    return ops.sparse_categorical_crossentropy(
        ops.cast(labels, "int32"), logits, from_logits=True
    )


def rocket_loss_terms(
    labels,
    booster_logits,
    light_logits,
    hint="logits_mse",
    temperature=4.0,
    gradient_block=True,
    with_kd=False,
):
    """Per-example terms of the Rocket Launching loss.

    Returns a dict with ``booster_loss`` = H(y, q), ``light_loss`` = H(y, p)
    and ``hint_loss`` = hint(l, z), where ``z`` is a constant when
    ``gradient_block`` is true, so the hint never changes booster-only
    weights. With ``with_kd``, also ``kd_loss`` = kd(l, z) at
    ``temperature``, gradient-blocked the same way: KD from the co-trained
    booster beside the logits hint (a variant; the paper's "rocket + KD"
    distils a frozen booster trained beforehand instead).

    Example:

    ```python
    labels = np.array([0, 2])
    booster_logits, light_logits = np.random.randn(2, 3), np.random.randn(2, 3)
    terms = rocket_loss_terms(labels, booster_logits, light_logits, with_kd=True)
    sorted(terms)  # ["booster_loss", "hint_loss", "kd_loss", "light_loss"], each of shape (2,)
    ```
    """
    booster_logits = ops.cast(booster_logits, "float32")
    light_logits = ops.cast(light_logits, "float32")
    target = ops.stop_gradient(booster_logits) if gradient_block else booster_logits
    terms = {
        "booster_loss": cross_entropy(labels, booster_logits),
        "light_loss": cross_entropy(labels, light_logits),
        "hint_loss": get_hint(hint)(light_logits, target, temperature),
    }
    if with_kd:
        terms["kd_loss"] = kd(light_logits, target, temperature)
    return terms
