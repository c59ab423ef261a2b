"""Presets: a pair with its input, recipe and hash-checked weights (rocket_keras.zoo.presets).

Every shipped preset loads by hash and reproduces the accuracy recorded for the fixed 500-image slice of
the CIFAR-10 test split; a tampered or missing file is refused; a local directory is a preset too;
examples/classify.py runs on a committed image."""

import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import tiny_batch
from rocket_keras.zoo import from_preset, get_model, list_presets, load_preset_config, presets, save_preset

ROOT = pathlib.Path(__file__).resolve().parents[1]
CIFAR10 = ROOT.parent / "shared" / "data" / "cifar10_jpeg"
SHAPE = (16, 16, 1)


@pytest.fixture
def local_preset(tmp_path):
    model = get_model("resnet14-resnet8", input_shape=SHAPE, num_classes=3)
    model(np.zeros((1,) + SHAPE, "float32"))
    directory = tmp_path / "my_preset"
    save_preset(model, directory, name="resnet14-resnet8.mine", architecture="resnet14-resnet8",
                builder_arguments={"input_shape": list(SHAPE), "num_classes": 3}, class_names=["a", "b", "c"])
    return model, directory


def test_a_local_directory_preset_round_trips(local_preset):
    model, directory = local_preset
    loaded = from_preset(directory)
    x, _ = tiny_batch(SHAPE)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0)["light"], model.predict(x, verbose=0)["light"])
    config = load_preset_config(str(directory))
    assert config["input"]["class_names"] == ["a", "b", "c"] and config["architecture"] == "resnet14-resnet8"
    # weights=False: the architecture only.
    fresh = from_preset(directory, weights=False)
    assert not np.array_equal(fresh.predict(x, verbose=0)["light"], model.predict(x, verbose=0)["light"])


def test_a_trained_pairs_preset_keeps_its_weights_and_not_its_optimizers_state(tmp_path):
    import h5py

    model = get_model("resnet14-resnet8", input_shape=SHAPE, num_classes=3)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    x, y = tiny_batch(SHAPE, num_classes=3)
    model.train_on_batch(x, y)  # builds the optimizer's momentum, as in a finished run
    save_preset(model, tmp_path / "preset", name="resnet14-resnet8.mine", architecture="resnet14-resnet8",
                builder_arguments={"input_shape": list(SHAPE), "num_classes": 3})
    with h5py.File(tmp_path / "preset" / presets.WEIGHTS_FILE, "r") as f:
        assert "layers" in f and "optimizer" not in f
    loaded = from_preset(tmp_path / "preset")
    for head in ("light", "booster"):
        np.testing.assert_array_equal(loaded.predict(x, verbose=0)[head], model.predict(x, verbose=0)[head])


def test_a_tampered_or_missing_weights_file_is_refused(local_preset):
    _, directory = local_preset
    weights = directory / presets.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match its recorded sha256"):
        from_preset(directory)
    weights.unlink()
    with pytest.raises(ValueError, match="is missing"):
        from_preset(directory)
    assert from_preset(directory, weights=False) is not None


def test_an_unknown_preset_names_the_shipped_ones():
    with pytest.raises(ValueError, match="neither a shipped preset"):
        from_preset("resnet20-resnet8.imagenet")


@pytest.mark.parametrize("name", list_presets())
def test_each_shipped_preset_reproduces_its_recorded_slice_accuracy(name):
    if not CIFAR10.is_dir():
        pytest.skip(f"CIFAR-10 is not beside the checkout ({CIFAR10})")
    config = load_preset_config(name)
    images, labels = presets.test_split(config["result"]["dataset"], str(CIFAR10))
    measured = presets.accuracies(name, images[presets.TEST_SLICE], labels[presets.TEST_SLICE])
    assert len(labels[presets.TEST_SLICE]) == 500
    assert measured["keras"] == config["result"]["light_slice_accuracy"]
    assert measured["int8"] == config["result"]["light_int8_slice_accuracy"]
    # The int8 file stays within a point of the float model on the whole test split.
    assert abs(config["result"]["light_int8_test_accuracy"] - config["result"]["light_test_accuracy"]) <= 0.01


@pytest.mark.parametrize("name", list_presets())
def test_classify_prints_the_top_classes_of_a_committed_image(name):
    image = ROOT / "examples" / "images" / "cifar10_ship.jpg"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "classify.py"), f"--preset={name}", str(image)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    line = result.stdout.strip().splitlines()[-1]
    names = load_preset_config(name)["input"]["class_names"]
    assert line.startswith(str(image)) and sum(f" {n} " in line for n in names) == 3


def test_classify_runs_a_local_presets_int8_file_on_an_image(tmp_path):
    from rocket_keras import export_light

    model = get_model("resnet14-resnet8", input_shape=SHAPE, num_classes=3)
    x, _ = tiny_batch(SHAPE, batch=32)
    export_light(model, tmp_path / "q.tflite", quantization="int8", representative_data=x)
    save_preset(model, tmp_path / "preset", name="resnet14-resnet8.mine", architecture="resnet14-resnet8",
                builder_arguments={"input_shape": list(SHAPE), "num_classes": 3}, class_names=["a", "b", "c"],
                int8_file=tmp_path / "q.tflite")
    # A 32x32 RGB image, read at the preset's 16x16 grayscale input.
    ranked = presets.classify(tmp_path / "preset", ROOT / "examples" / "images" / "cifar10_ship.jpg", top=2)
    assert [name for name, _ in ranked] != [] and len(ranked) == 2 and {n for n, _ in ranked} <= {"a", "b", "c"}
    assert all(0 <= p <= 1 for _, p in ranked) and ranked[0][1] >= ranked[1][1]
