"""FLOPs counting, export's leak check, and the data splits' facts, each
against an independent count or construction."""

import os
import warnings

import keras
import numpy as np
import pytest

from rocket_keras import data
from rocket_keras.export import check_no_booster_weights
from rocket_keras.profiling import count_flops
from rocket_keras.zoo import rocket_resnet


def test_flops_are_two_per_multiply_add_plus_the_bias_adds():
    inputs = keras.Input((3,))
    dense = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    assert count_flops(dense) == 2 * 3 * 2 + 2
    image = keras.Input((4, 4, 1))
    conv = keras.Model(image, keras.layers.Conv2D(2, 3, padding="same", use_bias=False)(image))
    # 16 output positions x 2 filters x 9 taps, a multiply-add each; linear in the batch.
    assert count_flops(conv) == 2 * 16 * 2 * 9
    assert count_flops(conv, batch_size=3) == 3 * count_flops(conv)


def test_the_leak_check_refuses_a_net_holding_booster_only_weights():
    model = rocket_resnet(input_shape=(16, 16, 1), booster_depth=14, light_depth=8)
    assert check_no_booster_weights(model.light_model(), model) is not None
    with pytest.raises(RuntimeError, match="booster-only weights: \\['booster_"):
        check_no_booster_weights(model.booster_model(), model)


@pytest.mark.skipif(not os.path.isdir(data.DEBIAN_FASHION_MNIST_DIR), reason="needs `make data`")
def test_fashion_mnist_validation_is_disjoint_from_training_and_pixels_are_scaled():
    (x_all, _), _ = data.load_fashion_mnist_arrays()
    splits = data.fashion_mnist(batch_size=1000, validation_size=5000, seed=3)
    train = np.concatenate([x for x, _ in splits.train])
    validation = np.concatenate([x for x, _ in splits.validation])
    assert train.dtype == np.float32 and train.min() >= 0.0 and train.max() <= 1.0 and train.max() > 0.9
    assert len(train) + len(validation) == len(x_all)
    # Disjoint as rows of the training file: the images of both splits
    # together are the training file's, each once (duplicate images in the
    # file itself are counted as often as they occur there).
    as_bytes = lambda images: sorted(np.round(image * 255).astype(np.uint8).tobytes() for image in images)  # noqa: E731
    assert as_bytes(np.concatenate([train, validation])) == sorted(image.tobytes() for image in x_all)


def test_a_missing_cifar_directory_warns_and_falls_back_to_tfds(monkeypatch):
    calls = []
    monkeypatch.setattr(data, "tfds_images", lambda name, *args, **kwargs: calls.append(name) or "tfds splits")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert data.cifar10(data_dir="/nonexistent/cifar10_jpeg") == "tfds splits"
    assert calls == ["cifar10"]
    assert any("Falling back to tensorflow-datasets" in str(w.message) for w in caught)
