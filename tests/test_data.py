"""Input pipelines: shuffling and split sizes."""

import os

import numpy as np
import pytest
import tensorflow as tf

from rocket_keras import data


def _labels_of_first_batch(size, batch, **kwargs):
    ids = np.arange(size)
    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((size, 2, 2, 1), np.uint8), ids))
    return next(iter(data.batch_pipeline(dataset, batch, training=True, seed=0, **kwargs)))[1].numpy()


def test_training_shuffle_covers_the_whole_split():
    # 30,000 examples, more than the old fixed 20,000 buffer: a full shuffle
    # draws about a third of the first batch from the last 10,000.
    first = _labels_of_first_batch(30000, 600)
    assert 0.2 < np.mean(first >= 20000) < 0.5


def test_an_explicit_small_buffer_is_respected():
    first = _labels_of_first_batch(30000, 600, shuffle_buffer=1000)
    assert first.max() < 1000 + 600


@pytest.mark.skipif(
    not os.path.isdir(data.DEBIAN_FASHION_MNIST_DIR),
    reason="needs the Debian dataset-fashion-mnist package (`make data`); no downloads in tests",
)
def test_fashion_mnist_splits_have_the_sizes_asked_for():
    splits = data.fashion_mnist(batch_size=100, validation_size=5000, train_size=15000, seed=1)
    assert (splits.train_size, splits.steps_per_epoch) == (15000, 150)
    assert int(splits.train.cardinality()) == 150
    assert int(splits.validation.cardinality()) == 50
    assert int(splits.test.cardinality()) == 100


def test_load_passes_augment_and_padding_through():
    def zero_fraction(**kwargs):
        splits = data.load("synthetic", batch_size=64, validation_size=64, train_size=64, seed=0, **kwargs)
        x, _ = next(iter(splits.train))
        return float(np.mean(x.numpy() == 0))

    # The synthetic images have no black pixels: a zero-padded crop shifts
    # black borders in, a reflected one mirrors the image.
    plain = zero_fraction()
    zeros = zero_fraction(augment=True, padding="zeros")
    reflect = zero_fraction(augment=True, padding="reflect")
    assert plain < 0.001 and reflect < 0.001
    assert zeros > 0.01


def test_image_size_is_height_width_and_only_for_a_directory_of_images():
    assert data.parse_image_size([]) is None
    assert data.parse_image_size(["96", "128"]) == (96, 128)
    assert data.parse_image_size(["64"]) == (64, 64)
    for bad in (["0", "64"], ["a", "b"], ["1", "2", "3"]):
        with pytest.raises(ValueError, match=f"height,width in pixels.*Received: {','.join(bad)}"):
            data.parse_image_size(bad)
    with pytest.raises(ValueError, match="resizes the images of a directory.*Received: dataset='synthetic'"):
        data.load("synthetic", image_size=(16, 16))
