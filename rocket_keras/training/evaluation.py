"""Evaluation beyond Keras' own: test-time augmentation, reported apart from plain accuracy."""

import numpy as np
from keras import ops


def flip_tta_logits(net, images):
    """The log of the mean softmax of ``images`` and their left-right mirrors: flip test-time augmentation.

    ``images`` is one batch, channels last. Both passes go through the
    net's compiled prediction function (``predict_on_batch``), traced once
    and reused batch after batch.

    Example:

    ```python
    logits = flip_tta_logits(light, x_test[:8])  # (8, num_classes); argmax is the TTA prediction
    ```
    """
    images = ops.convert_to_numpy(images)
    logits = [np.asarray(net.predict_on_batch(batch), dtype="float32") for batch in (images, images[:, :, ::-1])]
    probabilities = sum(ops.convert_to_numpy(ops.softmax(z)) for z in logits) / 2.0
    return np.log(probabilities)


def flip_tta_accuracy(net, dataset):
    """Accuracy of ``net`` on a dataset of ``(images, labels)`` batches with flip TTA (``flip_tta_logits``).

    Plain accuracy stays what ``evaluate`` reports; this is a separate number.

    Example:

    ```python
    flip_tta_accuracy(light, splits.test)  # 0.0-1.0
    ```
    """
    correct = total = 0
    for images, labels in dataset:
        predicted = np.argmax(flip_tta_logits(net, images), axis=-1)
        labels = np.asarray(labels).reshape(-1)
        correct += int(np.sum(predicted == labels))
        total += len(labels)
    return correct / total
