"""export_light: every format and quantization, checked through the real runtimes."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from rocket_keras import data
from rocket_keras.export import export_light, exported_accuracy, load_exported
from rocket_keras.zoo import rocket_mobilenet, rocket_resnet, rocket_wide_resnet

SHAPE = (16, 16, 3)
TEMPLATES = {
    "resnet-interval": lambda: rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8),
    "wrn-bottom": lambda: rocket_wide_resnet(
        input_shape=SHAPE, booster_depth=16, light_depth=10, share="bottom"
    ),
    "mobilenet-bottom": lambda: rocket_mobilenet(input_shape=SHAPE, booster_alpha=0.5, light_alpha=0.25),
}
# (format, quantization, file name, max |exported - keras| on probabilities)
MODES = [
    ("litert", None, "light.tflite", 1e-4),
    ("tflite", "float16", "light_f16.tflite", 1e-2),
    ("litert", "dynamic", "light_dyn.tflite", None),
    ("litert", "int8", "light_int8.tflite", None),
    ("tf_saved_model", None, "light_saved_model", 1e-4),
    ("onnx", None, "light.onnx", 1e-4),
]
# Conversions that treat every layer alike (a SavedModel; float16 weights with
# dequantize ops) run on the ResNet and WRN templates only; MobileNet's depthwise
# convolutions go through the ones whose kernels differ by layer type: float and
# quantized LiteRT, and ONNX's grouped convolutions. (Each conversion of the
# MobileNet pair takes several seconds.)
LAYER_INDEPENDENT_MODES = {("tflite", "float16"), ("tf_saved_model", None)}


def calibration_data(n=64, seed=0):
    return np.random.default_rng(seed).random((n,) + SHAPE, dtype=np.float32)


def learnable_task(n, seed):
    """Noisy images of 10 fixed random patterns: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    patterns = np.random.default_rng(123).random((10,) + SHAPE, dtype=np.float32)
    y = rng.integers(0, 10, n)
    x = 0.6 * patterns[y] + 0.4 * rng.random((n,) + SHAPE, dtype=np.float32)
    return x.astype("float32"), y


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_format_matches_keras(template, tmp_path):
    model = TEMPLATES[template]()
    x = calibration_data()
    light_params = model.light_model().count_params()
    modes = [m for m in MODES if not (template.startswith("mobilenet") and m[:2] in LAYER_INDEPENDENT_MODES)]
    for fmt, quantization, name, tolerance in modes:
        report = export_light(
            model, tmp_path / name, format=fmt, quantization=quantization, representative_data=x
        )
        assert report.parameters == light_params + 0  # the softmax adds none
        assert report.verified_examples == len(x)
        if tolerance is not None:
            assert report.max_abs_diff < tolerance, (fmt, quantization, report.max_abs_diff)
            assert report.argmax_agreement == 1.0
        assert os.path.exists(report.path)
        if fmt == "litert" and quantization is None:
            # About 4 bytes per light parameter: no booster weight in the file.
            assert report.size_bytes < 4 * light_params * 1.25 + 40_000
            assert report.size_bytes < 4 * model.booster_model().count_params()
            assert "CONV_2D" in report.op_counts or "DEPTHWISE_CONV_2D" in report.op_counts


def test_int8_agrees_with_keras_on_a_trained_model(tmp_path):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8, share="none")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), metrics=["accuracy"])
    x, y = learnable_task(1024, seed=0)
    model.fit(x, y, epochs=4, batch_size=64, verbose=0)
    x_test, y_test = learnable_task(256, seed=1)
    keras_probabilities = keras.ops.softmax(model.light_model().predict(x_test, verbose=0))
    keras_labels = np.argmax(keras_probabilities, -1)
    for int8_io in (False, True):
        path = tmp_path / f"int8_{int8_io}.tflite"
        export_light(model, path, quantization="int8", representative_data=x, int8_io=int8_io)
        int8_labels = load_exported(path)(x_test).argmax(-1)
        assert np.mean(int8_labels == keras_labels) >= 0.95
    accuracy = exported_accuracy(path, [(x_test, y_test)])
    assert accuracy == pytest.approx(np.mean(int8_labels == y_test))
    # Dynamic range (int8 weights, float activations) on the same trained net.
    # Measured here: arg-max agreement 1.0 and largest probability error
    # 5e-4; 0.98 and 0.05 leave room for other CPUs' kernels.
    report = export_light(model, tmp_path / "dynamic.tflite", quantization="dynamic", representative_data=x_test)
    assert report.argmax_agreement >= 0.98 and report.max_abs_diff < 0.05, report


def test_logits_export_and_path_of_keras_file(tmp_path):
    model = TEMPLATES["resnet-interval"]()
    model.save(tmp_path / "m.keras")
    report = export_light(
        str(tmp_path / "m.keras"), tmp_path / "logits.tflite", probabilities=False, verify=False
    )
    assert report.max_abs_diff is None
    x = calibration_data(4)
    np.testing.assert_allclose(
        load_exported(report.path)(x), model.light_model().predict(x, verbose=0), atol=1e-4
    )


def test_saved_model_serves_without_rocket_keras(tmp_path):
    model = TEMPLATES["resnet-interval"]()
    path = str(tmp_path / "served")
    export_light(model, path, format="tf_saved_model")
    x = calibration_data(3)
    np.save(tmp_path / "x.npy", x)
    code = f"""
import json, sys, numpy as np, tensorflow as tf
serve = tf.saved_model.load({path!r}).signatures["serving_default"]
_, kwargs = serve.structured_input_signature
(name, spec), = kwargs.items()
(out,) = serve(**{{name: tf.constant(np.load({str(tmp_path / 'x.npy')!r}))}}).values()
print(json.dumps({{"name": name, "dtype": spec.dtype.name, "shape": spec.shape.as_list(),
                  "out": out.numpy().tolist(), "imported": "rocket_keras" in sys.modules}}))
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["name"] == "image" and served["dtype"] == "float32"
    assert served["shape"] == [None, *SHAPE]
    assert not served["imported"]
    expected = keras.ops.softmax(model.light_model().predict(x, verbose=0))
    np.testing.assert_allclose(served["out"], expected, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"quantization": "int8"}, "representative_data=None"),
        ({"format": "coreml"}, "Received: format='coreml'"),
        ({"quantization": "int4"}, "Received: quantization='int4'"),
        ({"format": "onnx", "quantization": "float16"}, "TFLite only"),
        ({"filepath": "/nonexistent-dir/light.tflite"}, "not writable"),
        ({"filepath": "light.bin"}, "'.tflite' file"),
    ],
)
def test_export_errors_name_the_problem(kwargs, match, tmp_path):
    model = TEMPLATES["resnet-interval"]()
    kwargs = {"filepath": str(tmp_path / "light.tflite"), **kwargs}
    with pytest.raises(ValueError, match=match):
        export_light(model, **kwargs)


def test_a_plain_model_exports_as_it_is_and_anything_else_is_refused(tmp_path):
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    report = export_light(plain, tmp_path / "x.tflite")
    assert report.parameters == plain.count_params() and report.max_abs_diff < 1e-5
    with pytest.raises(ValueError, match="RocketModel, a keras.Model"):
        export_light(object(), tmp_path / "x.tflite")


def run_export_cli(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run(
        [sys.executable, os.path.join(root, "examples", "export.py"), *args],
        cwd=root, capture_output=True, text=True, env=env, timeout=600,
    )


def test_export_cli_takes_a_baseline_model_file(tmp_path):
    # train.py saves the light net itself (not a RocketModel) for light/kd/mimic.
    light = rocket_resnet(input_shape=(28, 28, 1), booster_depth=8, light_depth=8).light_model()
    light.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    # Trained on the synthetic set the CLI evaluates on, so that accuracy means something.
    light.fit(data.synthetic(batch_size=64).train, epochs=3, verbose=0)
    light.save(tmp_path / "light.keras")
    result = run_export_cli(
        f"--model={tmp_path / 'light.keras'}", "--format=litert", "--quantization=int8", "--dataset=synthetic",
        "--calibration_examples=32", f"--output={tmp_path / 'l.tflite'}", f"--json_out={tmp_path / 'r.json'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["quantization"] == "int8" and record["size_bytes"] > 0
    # Measured here: Keras 1.0, int8 1.0 on the 256 test images; int8 may
    # cost a few images on other CPUs, not more than 5 %.
    assert record["keras_test_accuracy"] > 0.9
    assert abs(record["exported_test_accuracy"] - record["keras_test_accuracy"]) <= 0.05


def test_export_cli_int8_without_dataset_names_the_flag(tmp_path):
    result = run_export_cli(f"--model={tmp_path / 'm.keras'}", "--quantization=int8", f"--output={tmp_path / 'l.tflite'}")
    assert result.returncode != 0 and "--dataset" in result.stderr


@pytest.mark.parametrize("count", [0, -5, 2.5, True, "200"])
def test_calibration_examples_must_be_a_positive_integer(tmp_path, count):
    with pytest.raises(ValueError, match="calibration_examples"):
        export_light(TEMPLATES["resnet-interval"](), tmp_path / "l.tflite", quantization="int8",
                     representative_data=calibration_data(), calibration_examples=count)
    assert not (tmp_path / "l.tflite").exists()


def test_int8_io_needs_int8_and_a_softmax_model_is_not_softmaxed_twice(tmp_path):
    model = TEMPLATES["resnet-interval"]()
    with pytest.raises(ValueError, match="int8_io=True, quantization=None"):
        export_light(model, tmp_path / "l.tflite", int8_io=True)
    inputs = keras.Input((4,))
    probabilities = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    with pytest.raises(ValueError, match="probabilities=False"):
        export_light(probabilities, tmp_path / "p.tflite")
    report = export_light(probabilities, tmp_path / "p.tflite", probabilities=False)
    assert report.op_counts.get("SOFTMAX") == 1


def test_a_pruned_light_net_gzips_smaller_and_the_sparse_conversion_runs(tmp_path):
    import gzip

    from rocket_keras import pruning
    from rocket_keras.export import gzip_size, median_latency_ms

    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8, share="none")
    x = calibration_data()
    dense = export_light(model, tmp_path / "dense.tflite", quantization="int8", representative_data=x)
    light = model.light_model()
    for layer in pruning.prunable_layers(light):
        kernel = layer.kernel
        kernel.assign(kernel.numpy() * pruning.magnitude_mask(kernel.numpy(), 0.9))
    pruned = export_light(model, tmp_path / "pruned.tflite", quantization="int8", representative_data=x)
    # The file keeps its zeros: about the same size raw, much smaller gzipped.
    assert abs(pruned.size_bytes - dense.size_bytes) < 0.05 * dense.size_bytes
    assert pruned.gzip_size_bytes < 0.7 * dense.gzip_size_bytes
    assert pruned.gzip_size_bytes == len(gzip.compress((tmp_path / "pruned.tflite").read_bytes(), 9, mtime=0))
    assert gzip_size(tmp_path) is None
    # The converter's sparsity option: XNNPACK refuses its sparse kernels
    # (measured with ai-edge-litert here), so LiteRT's builtin kernels run it,
    # and it still agrees with Keras.
    sparse = export_light(model, tmp_path / "sparse.tflite", quantization="int8", representative_data=x, sparsity=True)
    # (An untrained net pruned to 90 % gives near-uniform probabilities, so
    # arg-max agreement says little: compare the outputs.) Measured here:
    # 0.002 from Keras, as the plain int8 file, whose outputs it matches to
    # one int8 output step (1/256: other kernels round differently); the
    # sparse file is half the size raw.
    assert sparse.max_abs_diff < 0.02 and sparse.kernels in ("xnnpack", "builtin")
    np.testing.assert_allclose(load_exported(sparse.path)(x), load_exported(pruned.path)(x), atol=1 / 256 + 1e-6)
    assert sparse.size_bytes < pruned.size_bytes
    assert pruned.kernels == "xnnpack"
    assert median_latency_ms(tmp_path / "sparse.tflite", x[:1], runs=3, warmup=1) > 0
    with pytest.raises(ValueError, match="TFLite converter option"):
        export_light(model, tmp_path / "m.onnx", format="onnx", sparsity=True)
