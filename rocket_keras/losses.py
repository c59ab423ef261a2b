"""The Rocket Launching loss, as pure functions of tensors: the whole formula.

    L = a * H(y, q) + b * H(y, p) + lambda * hint(l, stop_gradient(z))
        [+ kd_weight * kd(l, stop_gradient(z))]          KD from the co-trained booster
        [+ teacher_kd_weight * kd(l, t)]                 KD from a frozen teacher
        [+ mutual_weight * kd(z, stop_gradient(l))]      the booster learns from the light net (DML)

The per-example functions return one value per example (shape ``(batch,)``);
``rocket_loss`` reduces them over the batch and weighs them. The hint
functions know nothing about the gradient block: ``rocket_loss_terms`` wraps
the booster logits in ``stop_gradient`` before calling them when the block
is on. The defaults (the paper's lambda, the KD temperature, the authors'
KD alpha) and the names of the terms are written here once; RocketModel,
the methods and the command lines read them from here.
"""

import keras
from keras import ops

# The paper's lambda for the logits hint (summed over classes), as in the authors' code.
HINT_WEIGHT = 0.03
HINT = "logits_mse"
# The softening temperature of the "kd" hint and the KD terms (the authors' T).
TEMPERATURE = 4.0
# The authors' KD alpha in their commands (rocket + KD, and their KD baseline).
AUTHORS_ALPHA = 0.9
# Every term of the rocket loss, by its logged name, and the compile
# argument that weighs it. Terms whose weight is 0 are neither computed nor logged,
# except the three of the paper's loss, which are always logged.
TERM_WEIGHTS = {
    "booster_loss": "booster_loss_weight",
    "light_loss": "light_loss_weight",
    "hint_loss": "hint_weight",
    "kd_loss": "kd_weight",
    "teacher_kd_loss": "teacher_kd_weight",
    "mutual_loss": "mutual_weight",
}
TERMS = tuple(TERM_WEIGHTS)
ALWAYS_LOGGED = ("booster_loss", "light_loss", "hint_loss")


def logged_terms(settings):
    """The terms ``settings`` log: the paper's three, and each other term whose weight is above 0.

    Example:

    ```python
    logged_terms({"kd_weight": 0.5, "mutual_weight": 0.0})  # ("booster_loss", "light_loss", "hint_loss", "kd_loss")
    ```
    """
    return tuple(term for term in TERMS if term in ALWAYS_LOGGED or settings.get(TERM_WEIGHTS[term], 0) > 0)


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


def authors_kd_split(alpha, num_classes):
    """The authors' KD weighting as ``(hard-label weight, soft weight on kd)``: ``(1 - alpha, 2 alpha / C)``.

    Example:

    ```python
    authors_kd_split(0.9, num_classes=10)  # (0.1, 0.18)
    ```
    """
    return 1.0 - alpha, authors_kd_weight(alpha, num_classes)


def standardized_logits_mse(light_logits, booster_logits, temperature=None):
    """``logits_mse`` between the two logit vectors after each is standardised per example.

    Each vector is shifted to mean 0 and scaled to standard deviation 1 over
    the classes (Sun et al., "Logit Standardization in Knowledge
    Distillation", CVPR 2024), so the hint's size no longer follows the
    booster's logit scale: it is ``2 C (1 - r)`` with ``r`` the per-example
    correlation of the two vectors, between 0 and ``4 C`` for ``C`` classes,
    on any pair. Both vectors keep the class order and the argmax; a
    constant vector (no spread) standardises to zeros.

    Example:

    ```python
    light, booster = np.array([[1.0, 0.0, -1.0]]), np.array([[2.0, 0.0, -2.0]])
    standardized_logits_mse(light, booster)  # [0.0]: the same up to scale
    standardized_logits_mse(light, 10 * booster + 3)  # still [0.0]
    ```
    """
    del temperature
    return ops.sum(ops.square(_standardized(light_logits) - _standardized(booster_logits)), axis=-1)


def _standardized(logits, epsilon=1e-6):
    centered = logits - ops.mean(logits, axis=-1, keepdims=True)
    return centered / (ops.sqrt(ops.mean(ops.square(centered), axis=-1, keepdims=True)) + epsilon)


HINTS = {"logits_mse": logits_mse, "softmax_mse": softmax_mse, "kd": kd,
         "standardized_logits_mse": standardized_logits_mse}


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


def cross_entropy(labels, logits, label_smoothing=0.0):
    """Softmax cross-entropy for integer class ids or one-hot labels, optionally smoothed.

    Labels of the same rank as ``logits`` are read as one-hot (or soft)
    targets; labels of shape ``(batch,)`` or ``(batch, 1)`` as class ids.
    ``label_smoothing`` = e mixes the targets with the uniform distribution:
    ``(1 - e) * target + e / num_classes`` (Szegedy et al. 2016; Keras'
    ``CategoricalCrossentropy(label_smoothing=e)``).

    Example:

    ```python
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    cross_entropy(np.array([0, 2]), logits)  # the same values as with one-hot labels:
    cross_entropy(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), logits)
    cross_entropy(np.array([0, 2]), logits, label_smoothing=0.1)  # targets [0.933, 0.033, 0.033], ...
    ```
    """
    if len(labels.shape) == len(logits.shape) and labels.shape[-1] != 1:
        targets = ops.cast(labels, logits.dtype)
    else:
        if len(labels.shape) == len(logits.shape):
            labels = ops.squeeze(labels, axis=-1)
        labels = ops.cast(labels, "int32")
        if not label_smoothing:
            return ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        targets = ops.one_hot(labels, logits.shape[-1], dtype=logits.dtype)
    if label_smoothing:
        targets = targets * (1.0 - label_smoothing) + label_smoothing / logits.shape[-1]
    return ops.categorical_crossentropy(targets, logits, from_logits=True)


@keras.saving.register_keras_serializable(package="rocket_keras")
class CrossEntropy(keras.losses.Loss):
    """``cross_entropy`` as a Keras loss (class ids or one-hot, from logits, optional label smoothing).

    For the nets trained alone and the KD baseline's hard term, so that
    every method takes the same ``label_smoothing``.

    Example:

    ```python
    net.compile(optimizer="sgd", loss=CrossEntropy(label_smoothing=0.1), metrics=["accuracy"])
    ```
    """

    def __init__(self, label_smoothing=0.0, name="cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        return cross_entropy(y_true, y_pred, self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def rocket_loss_terms(
    labels,
    booster_logits,
    light_logits,
    hint=HINT,
    temperature=TEMPERATURE,
    gradient_block=True,
    with_kd=False,
    teacher_logits=None,
    with_mutual=False,
    label_smoothing=0.0,
):
    """Per-example terms of the Rocket Launching loss.

    Returns a dict with ``booster_loss`` = H(y, q), ``light_loss`` = H(y, p)
    and ``hint_loss`` = hint(l, z), where ``z`` is a constant when
    ``gradient_block`` is true, so the hint never changes booster-only
    weights. With ``with_kd``, also ``kd_loss`` = kd(l, z) at
    ``temperature``, gradient-blocked the same way: KD from the co-trained
    booster beside the logits hint (a variant; the paper's "rocket + KD"
    distils a frozen booster trained beforehand instead). With
    ``teacher_logits`` (a frozen teacher's logits ``t``), also
    ``teacher_kd_loss`` = kd(l, t), ``t`` always a constant. With
    ``with_mutual``, also ``mutual_loss`` = kd(z, stop_gradient(l)): the
    booster distils the light net, the other direction of Deep Mutual
    Learning (Zhang et al., CVPR 2018), whose light-net direction is
    ``kd_loss``; the light logits are always a constant in it.

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
        "booster_loss": cross_entropy(labels, booster_logits, label_smoothing),
        "light_loss": cross_entropy(labels, light_logits, label_smoothing),
        "hint_loss": get_hint(hint)(light_logits, target, temperature),
    }
    if with_kd:
        terms["kd_loss"] = kd(light_logits, target, temperature)
    if teacher_logits is not None:
        terms["teacher_kd_loss"] = kd(light_logits, ops.stop_gradient(ops.cast(teacher_logits, "float32")), temperature)
    if with_mutual:
        terms["mutual_loss"] = kd(booster_logits, ops.stop_gradient(light_logits), temperature)
    return terms


def batch_mean(values, sample_weight=None):
    """Mean over the batch, ``sum(w * v) / batch_size`` with sample weights.

    This is Keras' "sum_over_batch_size" reduction, so weighted and
    unweighted losses are on the same scale as the built-in losses.

    Example:

    ```python
    batch_mean(np.array([1.0, 3.0]), sample_weight=np.array([1.0, 0.0]))  # 0.5
    ```
    """
    if sample_weight is None:
        return ops.mean(values)
    sample_weight = ops.reshape(ops.cast(sample_weight, values.dtype), (-1,))
    return ops.sum(values * sample_weight) / ops.cast(ops.shape(values)[0], values.dtype)


def rocket_loss(labels, booster_logits, light_logits, settings, teacher_logits=None, sample_weight=None):
    """The rocket loss: ``(total, {term name: batch mean})``.

    ``settings`` holds the hint, the temperature, the gradient block and one
    weight per term (the names in ``TERM_WEIGHTS``), as
    ``RocketModel.rocket_settings`` does; the KD terms are computed only when
    their weight is above 0 (the teacher's also needs ``teacher_logits``),
    and so is ``mutual_loss``.

    Example:

    ```python
    settings = {"hint": "logits_mse", "temperature": 4.0, "gradient_block": True, "hint_weight": 0.03,
                "booster_loss_weight": 1.0, "light_loss_weight": 1.0, "kd_weight": 0.0, "teacher_kd_weight": 0.0}
    total, means = rocket_loss(np.array([0, 2]), np.random.randn(2, 3), np.random.randn(2, 3), settings)
    sorted(means)  # ["booster_loss", "hint_loss", "light_loss"]
    ```
    """
    terms = rocket_loss_terms(
        labels,
        booster_logits,
        light_logits,
        hint=settings["hint"],
        temperature=settings["temperature"],
        gradient_block=settings["gradient_block"],
        with_kd=settings.get("kd_weight", 0) > 0,
        teacher_logits=teacher_logits if settings.get("teacher_kd_weight", 0) > 0 else None,
        with_mutual=settings.get("mutual_weight", 0) > 0,
        label_smoothing=settings.get("label_smoothing", 0.0),
    )
    means = {name: batch_mean(value, sample_weight) for name, value in terms.items()}
    total = sum(settings[TERM_WEIGHTS[name]] * mean for name, mean in means.items())
    return total, means
