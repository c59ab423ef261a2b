"""Bring your own networks (RocketModel owns its heads, from_networks) and the
rough edges a Keras user hits: callbacks on a head, freezing the booster,
variable input sizes, exporting a light net like any model, calibration data
on the wrong scale, old files."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import tiny_batch
from rocket_keras import RocketModel, export_light, from_networks
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)
DATA = os.path.join(os.path.dirname(__file__), "data")


def mlp(name, width, classes=10, shape=SHAPE, activation=None):
    inputs = keras.Input(shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(width, activation="relu", name=f"{name}_hidden")(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation=activation, name=f"{name}_out")(x), name=name)


def test_rocket_model_keeps_its_heads_without_any_layer_name():
    inputs = keras.Input(SHAPE)
    features = keras.layers.Flatten()(inputs)
    booster = keras.layers.Dense(10, name="z")(keras.layers.Dense(32, activation="relu", name="big")(features))
    light = keras.layers.Dense(10, name="l")(keras.layers.Dense(4, activation="relu", name="small")(features))
    model = RocketModel(inputs, booster=booster, light=light)
    assert model.num_classes == 10
    booster_only = {w.path for w in model.booster_only_weights}
    assert booster_only == {"big/kernel", "big/bias", "z/kernel", "z/bias"}
    assert not booster_only & {w.path for w in model.light_model().weights}
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    logs = model.fit(x, y, epochs=1, verbose=0).history
    assert {"light_accuracy", "booster_accuracy", "hint_loss"} <= set(logs)


@pytest.mark.parametrize(
    "booster_classes, light_activation, match",
    [(5, None, "same number of classes"), (10, "softmax", "outputs probabilities")],
)
def test_heads_are_checked_at_construction(booster_classes, light_activation, match):
    with pytest.raises(ValueError, match=match):
        from_networks(mlp("b", 8, booster_classes), mlp("l", 4, activation=light_activation))


def test_from_networks_refuses_different_inputs_and_equal_names():
    with pytest.raises(ValueError, match="same input"):
        from_networks(mlp("b", 8), mlp("l", 4, shape=(8, 8, 1)))
    with pytest.raises(ValueError, match="different names"):
        from_networks(mlp("net", 8), mlp("net", 4))


def test_from_networks_with_a_trunk_shares_it_and_ships_trunk_plus_light_head():
    inputs = keras.Input(SHAPE)
    trunk = keras.Model(inputs, keras.layers.Conv2D(4, 3, name="trunk_conv")(inputs), name="trunk")

    def head(name, width):
        x = keras.Input((14, 14, 4))
        y = keras.layers.Dense(10, name=f"{name}_out")(keras.layers.GlobalAveragePooling2D()(
            keras.layers.Conv2D(width, 3, name=f"{name}_conv")(x)))
        return keras.Model(x, y, name=name)

    model = from_networks(head("booster", 16), head("light", 2), trunk=trunk)
    light_paths = {w.path for w in model.light_model().weights}
    assert {"trunk_conv/kernel", "light_conv/kernel"} <= light_paths
    assert not light_paths & {w.path for w in model.booster_only_weights}
    with pytest.raises(ValueError, match="trunk's output"):
        from_networks(head("booster", 16), mlp("light", 4), trunk=trunk)


# A keras.applications pair (MobileNetV2 1.0 / 0.35) trained and exported
# through LiteRT: tests/test_readme.py runs the README's example of it.


def test_a_file_saved_by_version_0_1_0_still_loads_and_predicts_the_same():
    model = keras.models.load_model(os.path.join(DATA, "rocket_model_0.1.0.keras"))
    expected = np.load(os.path.join(DATA, "rocket_model_0.1.0_predictions.npz"))
    predictions = model.predict(expected["x"], verbose=0)
    np.testing.assert_allclose(predictions["booster"], expected["booster"], atol=1e-5)
    np.testing.assert_allclose(predictions["light"], expected["light"], atol=1e-5)
    assert model.num_classes == 3
    np.testing.assert_allclose(model.light_model().predict(expected["x"], verbose=0), expected["light"], atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: keras.callbacks.EarlyStopping(monitor="val_light_accuracy", patience=5),
    lambda: keras.callbacks.ReduceLROnPlateau(monitor="val_light_accuracy"),
    lambda: keras.callbacks.EarlyStopping(monitor="val_hint_loss"),
])
def test_callbacks_on_a_head_need_no_mode(make):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    callback = make()
    model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[callback])
    expected = keras.ops.less if callback.monitor.endswith("loss") else keras.ops.greater
    assert callback.monitor_op is expected


def test_fit_takes_its_callbacks_by_position_too():
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    stop = keras.callbacks.EarlyStopping(monitor="val_light_accuracy", patience=5)
    model.fit(x, y, 8, 1, 0, [callback, stop], validation_data=(x, y))  # (x, y, batch_size, epochs, verbose, callbacks)
    assert seen == [0]
    assert stop.monitor_op is keras.ops.greater  # the head's mode, given by position too


def test_best_checkpoint_on_the_light_head_keeps_the_best_epoch(tmp_path):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer=keras.optimizers.SGD(0.1), metrics=["accuracy"])
    x, y = tiny_batch(SHAPE, batch=16)
    path = tmp_path / "best.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="val_light_accuracy", save_best_only=True)
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[checkpoint]).history
    best = max(history["val_light_accuracy"])
    assert checkpoint.best == pytest.approx(best)
    saved = keras.models.load_model(path).evaluate(x, y, return_dict=True, verbose=0)
    assert saved["light_accuracy"] == pytest.approx(best)


def test_freeze_booster_under_interval_sharing_keeps_the_light_net_training():
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8, share="interval")
    light_before = {w.path: w.numpy().copy() for w in model.light_model().trainable_weights}
    frozen = model.freeze_booster()
    assert frozen and all(name.startswith("booster_") for name in frozen)
    assert {id(w) for w in model.trainable_weights}.isdisjoint({id(w) for w in model.booster_only_weights})
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    x, y = tiny_batch(SHAPE)
    kernels_before = {w.path: w.numpy().copy() for w in model.booster_only_weights if "kernel" in w.path}
    model.fit(x, y, epochs=1, verbose=0)
    light_after = {w.path: w.numpy() for w in model.light_model().trainable_weights}
    assert len(light_after) == len(light_before)  # nothing of the light net was frozen
    assert all(not np.array_equal(light_before[p], light_after[p]) for p in light_before if "kernel" in p)
    kernels_after = {w.path: w.numpy() for w in model.booster_only_weights if "kernel" in w.path}
    assert all(np.array_equal(kernels_before[p], kernels_after[p]) for p in kernels_before)
    # Also freezing what is shared takes the shared convolutions from the light net.
    shared = model.freeze_booster(include_shared=True)
    assert any(name.startswith("shared_") for name in shared)


def test_variable_input_size_exports_at_the_size_of_representative_data(tmp_path):
    model = rocket_resnet(input_shape=(None, None, 1), booster_depth=8, light_depth=8)
    with pytest.raises(ValueError, match="variable size"):
        export_light(model, tmp_path / "light.onnx", format="onnx")
    x, _ = tiny_batch((20, 20, 1))
    report = export_light(model, tmp_path / "light.onnx", format="onnx", representative_data=x)
    assert report.max_abs_diff < 1e-5


def test_the_light_net_exports_like_any_model(tmp_path):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    light = model.light_model()
    light.export(str(tmp_path / "keras.onnx"), format="onnx", verbose=False)  # Keras' own export
    x, _ = tiny_batch(SHAPE)
    report = export_light(light, tmp_path / "light.tflite", representative_data=x)
    assert report.parameters == light.count_params()


def test_int8_calibration_on_another_scale_is_refused(tmp_path):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    x, y = tiny_batch(SHAPE, batch=32)
    model.fit(x, y, epochs=3, verbose=0)  # moves the BatchNorm statistics to [0, 1] inputs
    with pytest.raises(ValueError, match="another scale"):
        export_light(model, tmp_path / "q.tflite", quantization="int8", representative_data=(x * 255).round())
    report = export_light(model, tmp_path / "q.tflite", quantization="int8", representative_data=x)
    assert report.argmax_agreement >= 0.9


def test_export_script_names_a_corrupt_file_instead_of_a_traceback(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 truncated")
    result = subprocess.run(
        [sys.executable, "examples/export.py", f"--model={broken}", f"--output={tmp_path / 'x.tflite'}"],
        capture_output=True, text=True, timeout=300,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert result.returncode != 0
    assert "exists but is not a readable .keras model file" in result.stderr
    assert "Traceback" not in result.stderr


def conv_net(name, width, classes=10):
    inputs = keras.Input(SHAPE)
    x = keras.layers.Conv2D(width, 3, use_bias=False, name=f"{name}_conv")(inputs)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(classes, name=f"{name}_out")(x), name=name)


def test_int8_calibration_on_another_scale_is_refused_for_networks_of_your_own_too(tmp_path):
    # The BatchNorm layers sit inside nested models here, where the check used to give up.
    model = from_networks(conv_net("big", 16), conv_net("small", 4))
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    x, y = tiny_batch(SHAPE, batch=32)
    model.fit(x, y, epochs=3, verbose=0)
    with pytest.raises(ValueError, match="another scale"):
        export_light(model, tmp_path / "q.tflite", quantization="int8", representative_data=(x * 255).round())


@pytest.mark.parametrize("softmax", [
    lambda t: keras.ops.softmax(t),
    lambda t: keras.layers.Lambda(lambda v: keras.ops.softmax(v))(t),
    lambda t: keras.layers.Activation("softmax")(t),
])
def test_a_light_net_ending_in_a_softmax_of_any_form_is_refused(softmax):
    inputs = keras.Input(SHAPE)
    logits = keras.layers.Dense(10)(keras.layers.Flatten()(inputs))
    light = keras.Model(inputs, softmax(logits), name="light")
    with pytest.raises(ValueError, match="outputs probabilities .* Received: light outputs such as"):
        from_networks(mlp("booster", 32), light)


def test_a_one_logit_head_is_refused_with_the_two_class_form():
    with pytest.raises(ValueError, match="at least 2 .* Dense\\(2\\)"):
        from_networks(mlp("booster", 32, classes=1), mlp("light", 8, classes=1))


def test_subclassed_and_input_less_networks_say_how_to_wrap_them():
    class Net(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.flatten, self.out = keras.layers.Flatten(), keras.layers.Dense(10)

        def call(self, x):
            return self.out(self.flatten(x))

    sequential = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)], name="seq")
    for net in (Net(name="sub"), sequential):
        with pytest.raises(ValueError, match="has no input layer.*keras.Input"):
            from_networks(mlp("booster", 32), net)
    # Wrapped as the message says, the subclassed net pairs.
    inputs = keras.Input(SHAPE)
    wrapped = keras.Model(inputs, Net(name="sub")(inputs), name="light")
    assert from_networks(mlp("booster", 32), wrapped).num_classes == 10


def test_representative_data_as_a_tensor_or_a_list_of_images_reads_right(tmp_path):
    import tensorflow as tf

    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    x, _ = tiny_batch(SHAPE, batch=24)
    for data in (tf.constant(x), list(x)):
        report = export_light(model, tmp_path / "q.tflite", quantization="int8", representative_data=data,
                              calibration_examples=16)
        assert report.argmax_agreement >= 0.9
    with pytest.raises(ValueError, match=r"rank 4 .* Received: an array of shape \(16, 16, 1\)"):
        export_light(model, tmp_path / "q.tflite", quantization="int8", representative_data=x[0])


def test_an_empty_dataset_is_an_error_not_an_empty_history():
    import tensorflow as tf

    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer="sgd")
    empty = tf.data.Dataset.from_tensor_slices((np.zeros((0, *SHAPE), "float32"), np.zeros((0,), "int64"))).batch(4)
    with pytest.raises(ValueError, match="no training batch"):
        model.fit(empty, epochs=1, verbose=0)
