"""shared_gradient_scale: the light net's losses send exactly s times their gradient into the layers it shares
with the booster (0: none, under "bottom"/"stem"), its own layers get theirs unscaled, booster-only weights
still get no hint gradient, and the option round-trips through .keras."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_batch
from rocket_keras import losses, methods
from rocket_keras.layers import GradientScale
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


def pair(share, scale):
    keras.utils.set_random_seed(0)
    return rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8, share=share, shared_gradient_scale=scale)


def light_path_gradients(model, x, y):
    """Gradients of the light net's losses alone (light CE + hint), by weight path."""
    settings = {"hint": "logits_mse", "temperature": 4.0, "gradient_block": True, "hint_weight": 0.03,
                "booster_loss_weight": 0.0, "light_loss_weight": 1.0}
    with tf.GradientTape() as tape:
        outputs = model(x, training=True)
        total, _ = losses.rocket_loss(y, outputs["booster"], outputs["light"], settings)
    grads = tape.gradient(total, model.trainable_weights)
    return {w.path: (np.zeros(w.shape) if g is None else g.numpy()) for w, g in zip(model.trainable_weights, grads)}


@pytest.mark.parametrize("share, scale", [("interval", 0.25), ("bottom", 0.25), ("bottom", 0.0), ("stem", 0.5)])
def test_the_light_paths_gradient_on_shared_weights_is_scaled_exactly(share, scale):
    x, y = tiny_batch(SHAPE)
    reference, scaled = pair(share, 1.0), pair(share, scale)
    values = {w.path: w.numpy() for w in reference.weights}
    for w in scaled.weights:
        w.assign(values[w.path])
    np.testing.assert_array_equal(scaled.predict(x, verbose=0)["light"], reference.predict(x, verbose=0)["light"])
    expected, measured = light_path_gradients(reference, x, y), light_path_gradients(scaled, x, y)
    assert set(expected) == set(measured)
    shared = [p for p in expected if p.startswith("shared_")]
    assert shared
    for path in expected:
        factor = scale if path.startswith("shared_") else 1.0
        np.testing.assert_allclose(measured[path], factor * expected[path], rtol=2e-4, atol=1e-6, err_msg=path)
        if path.startswith("booster_"):  # the gradient block holds
            assert not np.any(measured[path]), path
    if scale == 0.0:
        assert not any(np.any(measured[p]) for p in shared)


def test_the_scale_round_trips_through_a_keras_file(tmp_path):
    x, y = tiny_batch(SHAPE)
    model = pair("interval", 0.5)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    scales = {layer.scale for layer in loaded._flatten_layers() if isinstance(layer, GradientScale)}
    assert scales == {0.5, 2.0}
    np.testing.assert_array_equal(loaded.predict(x, verbose=0)["light"], model.predict(x, verbose=0)["light"])
    # The forward pass is the identity either way: the gradients show that the loaded scale acts.
    expected, measured = light_path_gradients(model, x, y), light_path_gradients(loaded, x, y)
    assert set(measured) == set(expected) and any(p.startswith("shared_") for p in expected)
    for path in expected:
        np.testing.assert_allclose(measured[path], expected[path], rtol=1e-5, atol=1e-7, err_msg=path)


def test_scale_one_adds_no_layer_and_bad_scales_are_refused():
    assert not any(isinstance(layer, GradientScale) for layer in pair("interval", 1.0)._flatten_layers())
    with pytest.raises(ValueError, match="scaled there but not stopped"):
        pair("interval", 0.0)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        pair("bottom", 1.5)
    with pytest.raises(ValueError, match="nothing to scale"):
        pair("none", 0.5)


def test_the_rocket_method_passes_the_scale_to_the_pair():
    make_pair = lambda **kw: rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8, **kw)  # noqa: E731
    model, _ = methods.build("rocket:shared_gradient_scale=0.5", make_pair, methods.Recipe().optimizer(10))
    assert {layer.scale for layer in model._flatten_layers() if isinstance(layer, GradientScale)} == {0.5, 2.0}
