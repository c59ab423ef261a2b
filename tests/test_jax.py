"""The same RocketModel on the JAX backend: numbers, files, bad input, and data
parallelism over devices and processes. The backend is fixed per process, so
each backend runs tests/backend_probe.py (or a script) in a subprocess."""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[1]
PROBE = str(ROOT / "tests" / "backend_probe.py")


def run(backend, *args, extra_env=None, timeout=300):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **(extra_env or {}))
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=timeout,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """Both backends build, cross-load and differentiate the same models once, and resume a fit."""
    directory = tmp_path_factory.mktemp("backends")
    # Three processes: predict needs both models built.
    run("jax", PROBE, "build", str(directory))
    run("tensorflow", PROBE, "build,predict,grads,data_order", str(directory))
    run("jax", PROBE, "predict,grads,data_order", str(directory))
    return directory


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
@pytest.mark.parametrize("size", ["known_size", "unknown_size"])
def test_a_resumed_fit_sees_the_training_data_of_an_uninterrupted_one(probed, backend, size):
    # Backend and dataset size change how many iterators fit opens per epoch
    # (callbacks.BackupAndRestoreDataOrder); JAX's fit also peeks at one batch first.
    runs = json.loads((probed / f"data_order-{backend}.json").read_text())[size]
    uninterrupted, resumed = runs["uninterrupted"], runs["resumed"]
    epoch = 4  # batches
    assert len(resumed) == len(uninterrupted) - 2 * epoch
    assert resumed[-epoch:] == uninterrupted[-epoch:]  # epoch 3, after the resume
    assert resumed[-epoch:] != uninterrupted[-3 * epoch:-2 * epoch]  # not epoch 1 again


def load(directory, name):
    return np.load(directory / f"{name}.npz")


@pytest.mark.parametrize("saved_by, loaded_by", [("jax", "tensorflow"), ("tensorflow", "jax"), ("jax", "jax")])
def test_a_file_saved_on_one_backend_predicts_the_same_on_the_other(probed, saved_by, loaded_by):
    expected = load(probed, f"predict-{saved_by}")
    loaded = load(probed, f"loaded-model-{saved_by}-by-{loaded_by}")
    for head in ("booster", "light"):
        np.testing.assert_allclose(loaded[head], expected[head], atol=1e-5)
    np.testing.assert_allclose(loaded["light_model"], expected["light"], atol=1e-5)  # light_model() on JAX too


def test_loss_terms_and_gradients_agree_between_backends(probed):
    tf_side, jax_side = load(probed, "grads-tensorflow"), load(probed, "grads-jax")
    assert set(tf_side.files) == set(jax_side.files)
    for key in tf_side.files:
        if key.startswith(("term_", "loss", "grad_", "hint_grad_")):
            np.testing.assert_allclose(jax_side[key], tf_side[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_the_gradient_block_holds_on_jax(probed):
    grads = load(probed, "grads-jax")
    count = sum(1 for k in grads.files if k.startswith("grad_"))
    booster_only = [i for i in range(count) if grads[f"booster_only_{i}"]]
    assert booster_only
    for i in booster_only:  # the hint never reaches a booster-only weight
        assert not np.any(grads[f"hint_grad_{i}"]), i
    assert any(np.any(grads[f"hint_grad_{i}"]) for i in range(count) if i not in booster_only)


BAD_INPUT = textwrap.dedent(
    """
    import keras, numpy as np
    from rocket_keras.zoo import rocket_resnet
    model = rocket_resnet(input_shape=(8, 8, 1), booster_depth=8, light_depth=8)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 8, 8, 1), dtype=np.float32), rng.integers(0, 10, 16)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = [w.numpy().copy() for w in model.weights]
    nan_x = x.copy(); nan_x[3, 0, 0, 0] = np.nan
    cases = [(x, np.where(np.arange(16) == 5, 10, y), "class ids in \\\\[0, 10\\\\). Received: label 10"),
             (x, np.where(np.arange(16) == 5, -1, y), "Received: label -1"),
             (nan_x, y, "NaN or Inf. Received: a non-finite value"),
             (x, np.eye(3)[y % 3], "One-hot labels must have 10 columns")]
    import re
    for bad_x, bad_y, message in cases:
        for call in (lambda: model.fit(bad_x, bad_y, batch_size=16, epochs=1, verbose=0),
                     lambda: model.train_on_batch(bad_x, bad_y), lambda: model.evaluate(bad_x, bad_y, verbose=0)):
            try:
                call()
            except ValueError as error:
                assert re.search(message, str(error)), (message, str(error))
            else:
                raise AssertionError(f"not refused: {message}")
            assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights)), message
    print("OK")
    """
)


def test_bad_input_is_refused_on_jax_with_the_same_messages_before_any_weight_changes():
    assert "OK" in run("jax", "-c", BAD_INPUT)


@pytest.fixture(scope="module")
def one_and_two_devices(tmp_path_factory):
    """The same pair trained on one device and over two (DataParallel), once for the module."""
    directory = tmp_path_factory.mktemp("dataparallel")
    run("jax", PROBE, "dataparallel", str(directory), extra_env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    return np.load(directory / "dataparallel.npz")


def test_data_parallel_over_two_devices_matches_one_device(one_and_two_devices):
    result = one_and_two_devices
    np.testing.assert_allclose(result["loss_two"], result["loss_one"], rtol=1e-5)
    weights = [k[len("one_"):] for k in result.files if k.startswith("one_w")]
    assert len(weights) > 40  # BatchNorm moving statistics are among them
    for key in weights:
        np.testing.assert_allclose(result[f"two_{key}"], result[f"one_{key}"], rtol=1e-4, atol=1e-5, err_msg=key)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_hold_identical_weights_equal_to_one_process_on_the_global_batch(tmp_path, one_and_two_devices):
    port = str(free_port())
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    workers = [
        subprocess.Popen([sys.executable, PROBE, "multiprocess", str(tmp_path), str(i), port], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    try:
        outputs = [w.communicate(timeout=300) for w in workers]
    finally:
        for worker in workers:  # bounded in time: never leave a process behind
            worker.kill()
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    first, second = (np.load(tmp_path / f"process-{k}.npz") for k in (0, 1))
    single = one_and_two_devices  # one process, one device, the whole global batch
    weights = [k for k in first.files if k.startswith("w")]
    assert len(weights) > 40
    for key in weights:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
        np.testing.assert_allclose(first[key], single[f"one_{key}"], rtol=1e-4, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(first["loss"], single["loss_one"], rtol=1e-5)


EXPORT_ON_JAX = textwrap.dedent(
    """
    import sys, numpy as np, rocket_keras
    from rocket_keras.zoo import rocket_resnet
    model = rocket_resnet(input_shape=(8, 8, 1), booster_depth=8, light_depth=8)
    x = np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32)
    out = sys.argv[1]
    for fmt, path in (("tf_saved_model", out + "/saved"), ("onnx", out + "/light.onnx")):
        report = rocket_keras.export_light(model, path, format=fmt, representative_data=x)
        assert report.max_abs_diff < 1e-5 and report.argmax_agreement == 1.0, (fmt, report)
    try:
        rocket_keras.export_light(model, out + "/light.tflite", representative_data=x)
    except ValueError as error:
        assert "KERAS_BACKEND=tensorflow python examples/export.py" in str(error), error
    else:
        raise AssertionError("LiteRT export on JAX was not refused")
    print("OK")
    """
)


def test_export_from_jax_writes_savedmodel_and_onnx_and_says_what_to_do_for_litert(tmp_path):
    assert "OK" in run("jax", "-c", EXPORT_ON_JAX, str(tmp_path))


def test_train_py_runs_data_parallel_on_jax(tmp_path):
    stdout = run("jax", str(ROOT / "examples" / "train.py"), "--dataset=synthetic", "--model=resnet14-resnet8",
                 "--override=booster_depth=8", "--epochs=1", "--train_size=256", "--batch_size=64", "--validation_size=256",
                 f"--output_dir={tmp_path}", "--verbose=2", "--noexport", "--distribution=data_parallel",
                 extra_env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert "light" in stdout and (tmp_path / "results.json").exists() and (tmp_path / "model.keras").exists()


def test_the_n2n_search_script_runs_on_jax(tmp_path):
    search = tmp_path / "search"
    run("jax", str(ROOT / "examples" / "search.py"), "--dataset=synthetic", "--teacher_epochs=1",
        "--teacher_train_size=128", "--child_train_size=128", "--child_validation_size=64", "--child_epochs=1",
        "--rollouts=1", "--removal_updates=1", "--shrink_updates=1", "--noreference", "--batch_size=64",
        f"--output_dir={search}")
    summary = json.loads((search / "summary.json").read_text())
    assert summary["backend"] == "jax" and summary["children"] == 2
    children = [json.loads(line) for line in (search / "children.jsonl").read_text().splitlines()]
    assert [c["stage"] for c in children] == ["removal", "shrink"]
    assert summary["best"]["reward"] == max(c["reward"] for c in children)
