"""Every registered model and builder: builds, trains a step, shares what it says."""

import keras
import numpy as np
import pytest

from conftest import tiny_batch
from rocket_keras.zoo import (
    get_model,
    list_models,
    register_model,
    rocket_mobilenet,
    rocket_resnet,
    rocket_shufflenet,
    rocket_squeezenet,
    rocket_wide_resnet,
)
from rocket_keras.zoo.registry import get_entry

SMALL = (16, 16, 3)

BUILDERS = {
    "resnet-interval": lambda: rocket_resnet(input_shape=SMALL, booster_depth=14, light_depth=8),
    "resnet-bottom": lambda: rocket_resnet(input_shape=SMALL, booster_depth=14, light_depth=8, share="bottom", shared_stages=2),
    "resnet-none": lambda: rocket_resnet(input_shape=SMALL, booster_depth=14, light_depth=8, share="none"),
    "wrn-interval": lambda: rocket_wide_resnet(input_shape=SMALL, booster_depth=16, light_depth=10, booster_width=2, light_width=2),
    "wrn-bottom": lambda: rocket_wide_resnet(input_shape=SMALL, booster_depth=16, light_depth=10, booster_width=2, light_width=1, share="bottom"),
    "mobilenet-bottom": lambda: rocket_mobilenet(input_shape=SMALL, booster_alpha=0.5, light_alpha=0.25),
    "mobilenet-none": lambda: rocket_mobilenet(input_shape=SMALL, booster_alpha=0.5, light_alpha=0.25, share="none"),
    "shufflenet-bottom": lambda: rocket_shufflenet(input_shape=SMALL, booster_width=1.0, light_width=0.5),
    "shufflenet-none": lambda: rocket_shufflenet(input_shape=SMALL, booster_width=1.5, light_width=0.5, share="none"),
    "squeezenet-bottom": lambda: rocket_squeezenet(input_shape=SMALL, booster_width=1.0, light_width=0.5),
    "squeezenet-none": lambda: rocket_squeezenet(input_shape=SMALL, booster_width=0.75, light_width=0.25, share="none"),
}


def train_one_step(model, shape, num_classes=10):
    x, y = tiny_batch(shape, num_classes, batch=4)
    # Eager: tracing dozens of blocks costs more than one tiny step here;
    # test_rocket_model covers the compiled step.
    model.compile(optimizer="sgd", metrics=["accuracy"], run_eagerly=True)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"])
    out = model(x, training=False)
    assert out["booster"].shape == out["light"].shape == (4, num_classes)
    return logs


def variable_ids(model):
    return {id(v) for v in model.weights}


def check_ownership(model):
    """Names tell ownership, and the light model holds no booster weight."""
    light, booster = model.light_model(), model.booster_model()
    light_ids, booster_ids = variable_ids(light), variable_ids(booster)
    for layer in model.layers:
        ids = {id(v) for v in layer.weights}
        if not ids:
            continue
        prefix = layer.name.split("_")[0]
        assert prefix in ("booster", "light", "shared"), layer.name
        if prefix == "booster":
            assert ids <= booster_ids and not ids & light_ids, layer.name
        elif prefix == "light":
            assert ids <= light_ids and not ids & booster_ids, layer.name
        else:
            assert ids <= light_ids and ids <= booster_ids, layer.name
    assert not [w.path for w in light.weights if w.path.startswith("booster_")]
    assert model.get_layer("booster_logits") and model.get_layer("light_logits")


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_trains_one_step(name):
    # Registered input sizes, shrunk to keep the suite fast on 2 cores.
    channels = get_entry(name).kwargs.get("input_shape", (32, 32, 3))[-1]
    model = get_model(name, input_shape=(16, 16, channels))
    train_one_step(model, (16, 16, channels))
    check_ownership(model)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_train_and_name_ownership(name):
    model = BUILDERS[name]()
    train_one_step(model, SMALL)
    check_ownership(model)


def test_default_builder_just_works():
    model = rocket_resnet(input_shape=(28, 28, 1), num_classes=10)
    train_one_step(model, (28, 28, 1))


def test_interval_light_convs_are_the_booster_convs():
    model = BUILDERS["resnet-interval"]()
    light = model.light_model()
    light_convs = [v for v in light.trainable_weights if "conv" in v.path or "shortcut" in v.path]
    booster_ids = variable_ids(model.booster_model())
    assert light_convs and all(id(v) in booster_ids for v in light_convs)
    assert all(v.path.startswith("shared_") for v in light_convs)
    # BatchNorm stays per network.
    assert any(v.path.startswith("light_stage1_block1_bn1") for v in light.weights)


def test_bottom_shares_the_trunk_and_none_shares_nothing():
    bottom = BUILDERS["resnet-bottom"]()
    shared = {id(v) for v in bottom.weights if v.path.startswith("shared_")}
    assert shared and shared <= variable_ids(bottom.light_model()) & variable_ids(bottom.booster_model())
    assert any(v.path.startswith("shared_stage2") for v in bottom.weights)
    assert not any(v.path.startswith("shared_stage3") for v in bottom.weights)
    none = BUILDERS["resnet-none"]()
    assert not variable_ids(none.light_model()) & variable_ids(none.booster_model())


def wrn_parameters(depth, k, classes=10, channels=3):
    """WRN-depth-k's parameters counted from the architecture (pre-activation
    blocks, BatchNorm with its 4 vectors, bias-free convolutions, a 1x1
    shortcut where the shape changes), independently of the builder."""
    n = (depth - 4) // 6
    total = 9 * channels * 16  # the stem's 3x3 convolution
    c_in = 16
    for width, stride in ((16 * k, 1), (32 * k, 2), (64 * k, 2)):
        for b in range(n):
            total += 4 * c_in + 9 * c_in * width + 4 * width + 9 * width * width
            if b == 0 and (stride != 1 or c_in != width):
                total += c_in * width
            c_in = width
    return total + 4 * c_in + c_in * classes + classes


@pytest.mark.parametrize("booster, light", [((40, 1), (16, 1)), ((40, 2), (16, 2))])
def test_wrn_parameter_counts_match_the_architecture(booster, light):
    model = rocket_wide_resnet(input_shape=(32, 32, 3), booster_depth=booster[0], booster_width=booster[1],
                               light_depth=light[0], light_width=light[1])
    assert model.light_model().count_params() == wrn_parameters(*light)
    assert model.booster_model().count_params() == wrn_parameters(*booster)
    assert wrn_parameters(16, 1) == 175994  # the count the zoo cards show for WRN-16-1


@pytest.mark.parametrize("name", ["wrn40_1-wrn16_1", "wrn40_2-wrn16_2", "resnet20-resnet8"])
def test_interval_light_block_b_reuses_booster_block_b_of_the_same_stage(name):
    model = get_model(name)
    booster_layers = {id(layer): layer.name for layer in model.booster_model().layers}
    light_convs = [layer for layer in model.light_model().layers if isinstance(layer, keras.layers.Conv2D)]
    blocks = set()
    for layer in light_convs:
        assert id(layer) in booster_layers, layer.name  # every light convolution is a booster one
        if "_block" in layer.name:
            stage, block = layer.name.split("_")[1:3]  # shared_stage2_block1_conv1
            blocks.add((stage, block))
    # Light block b of stage s is booster block b of stage s: the first blocks of each stage.
    light_blocks_per_stage = len(blocks) // 3
    assert blocks == {(f"stage{s}", f"block{b}") for s in (1, 2, 3) for b in range(1, light_blocks_per_stage + 1)}
    booster_only_blocks = {layer.name.split("_")[2] for layer in model.booster_model().layers
                           if layer.name.startswith("booster_stage1_block") and layer.weights}
    assert f"block{light_blocks_per_stage + 1}" in booster_only_blocks


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: rocket_resnet(booster_depth=21), "6n\\+2.*Received: booster_depth=21"),
        (lambda: rocket_wide_resnet(light_depth=15), "6n\\+4.*Received: light_depth=15"),
        (lambda: rocket_wide_resnet(booster_width=2, light_width=1), "same width"),
        (lambda: rocket_resnet(share="top"), "Received: share='top'"),
        (lambda: rocket_resnet(share="bottom", shared_stages=3), "Received: shared_stages=3"),
        (lambda: rocket_mobilenet(share="interval"), "not available"),
        (lambda: rocket_mobilenet(light_alpha=0), "Received: light_alpha=0"),
        (lambda: rocket_resnet(num_classes=0), "Received: num_classes=0"),
        (lambda: rocket_resnet(input_shape=(32, 32)), "Received: input_shape"),
        (lambda: rocket_wide_resnet(booster_depth=16, light_depth=22), "at most as many blocks"),
        (lambda: get_model("nope"), "Unknown model"),
    ],
)
def test_builders_reject_impossible_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_registering_a_name_twice_raises():
    with pytest.raises(ValueError, match="already registered"):
        register_model(list_models()[0], rocket_resnet)


def test_pair_architectures_of_a_pair_not_named_booster_dash_light_says_so(monkeypatch):
    from rocket_keras.zoo import pair_architectures, registry

    # Registered for this test only: the registry is global.
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register_model("my_pair", rocket_resnet, booster_depth=14, light_depth=8)
    with pytest.raises(ValueError, match="'my_pair' is not named '<booster>-<light>'.*Received: pair='my_pair'"):
        pair_architectures("my_pair")


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_round_trips_through_keras_files(name, tmp_path):
    import keras

    channels = get_entry(name).kwargs.get("input_shape", (32, 32, 3))[-1]
    model = get_model(name, input_shape=(16, 16, channels))
    model.compile(optimizer="sgd", metrics=["accuracy"], hint="softmax_mse")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.rocket_settings == model.rocket_settings
    x, _ = tiny_batch((16, 16, channels), batch=2)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(x)["light"]), keras.ops.convert_to_numpy(model(x)["light"])
    )


def test_channel_shuffle_and_split_match_numpy():
    from rocket_keras.layers import ChannelShuffle, ChannelSplit

    x = np.arange(2 * 1 * 1 * 6, dtype="float32").reshape(2, 1, 1, 6)
    shuffled = keras.ops.convert_to_numpy(ChannelShuffle(groups=2)(x))
    # Channels [a0 a1 a2 b0 b1 b2] -> [a0 b0 a1 b1 a2 b2].
    np.testing.assert_array_equal(shuffled[..., :], x[..., [0, 3, 1, 4, 2, 5]])
    left, right = (keras.ops.convert_to_numpy(t) for t in ChannelSplit()(x))
    np.testing.assert_array_equal(left, x[..., :3])
    np.testing.assert_array_equal(right, x[..., 3:])


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="traces a tf.function")
def test_channel_shuffle_runs_on_images_whose_size_is_known_only_at_run_time():
    import tensorflow as tf

    from rocket_keras.layers import ChannelShuffle

    # As in a SavedModel signature for images of any size.
    traced = tf.function(ChannelShuffle(groups=2), input_signature=[tf.TensorSpec((None, None, None, 6))])
    x = np.arange(2 * 3 * 5 * 6, dtype="float32").reshape(2, 3, 5, 6)
    np.testing.assert_array_equal(traced(x).numpy(), x[..., [0, 3, 1, 4, 2, 5]])


def squeezenet_parameters(width, classes=10, channels=3):
    """SqueezeNet's parameters from its layout (fires with BatchNorm), independently of the builder."""
    def rounded(c):
        return max(16, int(round(c * width / 16)) * 16)

    stem = rounded(64)
    total = 9 * channels * stem + 4 * stem
    c_in = stem
    for fires, c_out in ((2, 128), (2, 256), (2, 384), (2, 512)):
        c_out = rounded(c_out)
        for _ in range(fires):
            squeeze, expand = c_out // 8, c_out // 2
            total += c_in * squeeze + 4 * squeeze + squeeze * expand + 4 * expand + 9 * squeeze * expand + 4 * expand
            c_in = c_out
    return total + c_in * classes + classes


@pytest.mark.parametrize("width", [0.25, 0.5, 1.0])
def test_squeezenet_parameter_counts_match_its_layout(width):
    model = rocket_squeezenet(input_shape=(32, 32, 3), booster_width=width, light_width=width, share="none")
    assert model.light_model().count_params() == squeezenet_parameters(width)


def test_shufflenet_parameter_counts_are_pinned():
    # ShuffleNetV2 at 32x32x3 with 10 classes (BatchNorm statistics
    # included): about the paper's 0.5x and 2.0x without their 1000-class
    # classifiers (1.4 M - 1.0 M, 7.4 M - 2.0 M). Pinned to catch
    # architecture changes.
    model = rocket_shufflenet(input_shape=(32, 32, 3), booster_width=2.0, light_width=0.5, share="none")
    assert model.light_model().count_params() == 359_994
    assert model.booster_model().count_params() == 5_399_202


@pytest.mark.parametrize("build", [
    lambda: rocket_shufflenet(input_shape=(32, 32, 3), booster_width=1.0, light_width=0.5),
    lambda: rocket_squeezenet(input_shape=(32, 32, 3), booster_width=1.0, light_width=0.25),
])
def test_the_light_templates_export_to_tflite_and_onnx(build, tmp_path):
    from rocket_keras import export_light

    model = build()
    x = np.random.default_rng(0).random((8, 32, 32, 3), dtype=np.float32)
    for fmt, path in (("litert", tmp_path / "light.tflite"), ("onnx", tmp_path / "light.onnx")):
        report = export_light(model, path, format=fmt, representative_data=x)
        assert report.max_abs_diff < 1e-4 and report.argmax_agreement == 1.0, report
