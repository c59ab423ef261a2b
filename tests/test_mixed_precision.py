"""Mixed precision: float32 logits and losses, float32 exports."""

import keras
import numpy as np
import pytest

from conftest import tiny_batch
from rocket_keras import from_networks
from rocket_keras.export import export_light, load_exported
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


@pytest.fixture
def mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_mixed_bfloat16_trains_with_float32_logits_and_exports_float32(mixed_bfloat16, tmp_path):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    assert model.get_layer("shared_stem_conv").compute_dtype == "bfloat16"
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    logs = model.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    out = model(x, training=False)
    assert keras.backend.standardize_dtype(out["light"].dtype) == "float32"
    assert keras.backend.standardize_dtype(out["booster"].dtype) == "float32"

    report = export_light(model, tmp_path / "light.tflite", representative_data=x)
    # float32 weights: about 4 bytes per parameter, not 2.
    assert report.size_bytes > 3.5 * model.light_model().count_params()
    keras_probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(out["light"]))
    exported = load_exported(report.path)(x)
    assert exported.dtype == np.float32
    # The file computes in float32, the Keras model in bfloat16.
    np.testing.assert_allclose(exported, keras_probabilities, atol=0.05)


def test_a_from_networks_pair_in_mixed_precision_exports_float32_inside_its_nested_nets(mixed_bfloat16, tmp_path):
    def mlp(name, width):
        inputs = keras.Input(SHAPE)
        x = keras.layers.Dense(width, activation="relu", name=f"{name}_hidden")(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, keras.layers.Dense(10, name=f"{name}_out")(x), name=name)

    pair = from_networks(mlp("b", 32), mlp("l", 16))
    # The light net is a nested model whose own layers compute in bfloat16;
    # left so, the converter meets bfloat16 MatMuls that TFLite lacks.
    assert pair.light_model().get_layer("l").get_layer("l_hidden").compute_dtype == "bfloat16"
    x, _ = tiny_batch(SHAPE)
    report = export_light(pair, tmp_path / "light.tflite", representative_data=x)
    keras_probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(pair.light_model()(x)))
    np.testing.assert_allclose(load_exported(report.path)(x), keras_probabilities, atol=0.05)


def test_the_policy_is_bfloat16_on_a_cpu():
    from rocket_keras import backends

    assert not backends.on_gpu()  # the suite runs on CPUs; a GPU gets mixed_float16 with loss scaling
    assert backends.mixed_precision_policy() == "mixed_bfloat16"
