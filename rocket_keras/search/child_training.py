"""Training a sampled child by distillation from the teacher, on a short fixed budget.

N2N trains every child with hard-label cross-entropy plus lambda times the
squared L2 distance between its logits and the teacher's (summed over the
classes, averaged over the batch: ``rocket_keras.losses.logits_mse``, the
same term as the rocket hint). The teacher is frozen and its training
images are not augmented, so its logits are computed once
(``teacher_logits``) and every child reads them.
"""

import time

import keras
import numpy as np
from keras import ops

from rocket_keras import losses


@keras.saving.register_keras_serializable(package="rocket_keras")
class LogitsDistiller(keras.Model):
    """Wraps a child: ``fit`` on ``(images, {"labels": y, "teacher_logits": z})``.

    The loss is ``CE(y, child(images)) + hint_weight * ||child(images) - z||^2``
    averaged over the batch, plus the child's own regularisation losses.

    Example:

    ```python
    distiller = LogitsDistiller(child)  # hint_weight: the paper's lambda
    distiller.compile(optimizer="adam")
    distiller.fit(x, {"labels": y, "teacher_logits": teacher.predict(x)}, epochs=1)
    ```
    """

    def __init__(self, child, hint_weight=losses.HINT_WEIGHT, **kwargs):
        super().__init__(**kwargs)
        self.child = child
        self.hint_weight = float(hint_weight)

    def call(self, images, training=False):
        return self.child(images, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        del x
        per_example = losses.cross_entropy(y["labels"], y_pred) + self.hint_weight * losses.logits_mse(
            y_pred, ops.cast(y["teacher_logits"], y_pred.dtype)
        )
        if sample_weight is not None:
            per_example = per_example * ops.cast(sample_weight, per_example.dtype)
        loss = ops.mean(per_example)
        if self.child.losses:
            loss = loss + ops.sum(self.child.losses)
        return loss

    def get_config(self):
        return {
            **super().get_config(),
            "child": keras.saving.serialize_keras_object(self.child),
            "hint_weight": self.hint_weight,
        }

    @classmethod
    def from_config(cls, config):
        config["child"] = keras.saving.deserialize_keras_object(config["child"])
        return cls(**config)


def teacher_logits(teacher, images, batch_size=256):
    """The teacher's logits for ``images``, in inference mode (BatchNorm frozen)."""
    return np.asarray(teacher.predict(images, batch_size=batch_size, verbose=0), "float32")


def accuracy(model, images, labels, batch_size=256):
    """Top-1 accuracy of a logits model on arrays.

    Example:

    ```python
    accuracy(teacher, x_validation, y_validation)  # e.g. 0.91
    ```
    """
    logits = model.predict(images, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(labels).reshape(-1)))


def train_child(child, train, validation, logits, *, epochs=1, batch_size=128, hint_weight=losses.HINT_WEIGHT,
                optimizer=None, seed=0, verbose=0):
    """Distils into ``child`` on ``train`` and returns ``(validation accuracy, seconds)``.

    Args:
        child: a fresh Keras model from images to logits.
        train: ``(images, labels)`` arrays.
        validation: ``(images, labels)`` arrays that choose children; never
            the test set.
        logits: the teacher's logits of the training images
            (``teacher_logits``).
        epochs: passes over ``train``.
        batch_size: examples per step.
        hint_weight: lambda of the logits term.
        optimizer: a Keras optimizer (default SGD 0.1, momentum 0.9, the
            demo recipe's).
        seed: seeds the shuffling.
        verbose: Keras ``fit`` verbosity.

    Example:

    ```python
    child = build_network(spec, input_shape=(28, 28, 1), num_classes=10)
    acc, seconds = train_child(child, (x, y), (x_val, y_val), teacher_logits(teacher, x), epochs=1)
    ```
    """
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    distiller = LogitsDistiller(child, hint_weight=hint_weight)
    distiller.compile(optimizer=optimizer or keras.optimizers.SGD(0.1, momentum=0.9))
    images, labels = train
    distiller.fit(
        images,
        {"labels": np.asarray(labels).reshape(-1), "teacher_logits": logits},
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        verbose=verbose,
    )
    return accuracy(child, *validation), time.perf_counter() - started
