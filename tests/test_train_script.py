"""examples/train.py end to end: a searched light net, pruned from given weights, exported."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from rocket_keras import pruning, zoo
from rocket_keras.search import architecture
from rocket_keras.zoo.spec import save_spec

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def train(output_dir, *extra):
    command = [
        sys.executable, str(ROOT / "examples" / "train.py"), "--dataset=synthetic", "--model=resnet14-resnet8",
        "--epochs=1", "--train_size=128", "--batch_size=64", "--validation_size=256", f"--output_dir={output_dir}",
        "--verbose=0", *extra,
    ]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((Path(output_dir) / "results.json").read_text())


def test_a_searched_child_as_light_net_pruned_from_given_weights(tmp_path):
    from rocket_keras.zoo.dual_head import build_rocket_model

    teacher = zoo.network_spec("resnet14")
    child = architecture.shrink(teacher, [0.5] * len(architecture.describe(teacher)))
    save_spec(child, "resnet14", tmp_path / "child.json")
    child_params = zoo.get_network(str(tmp_path / "child.json"), input_shape=(28, 28, 1)).count_params()
    # The weights to start from: the same pair, its booster logits set to a
    # recognisable value.
    start = build_rocket_model(name="start", input_shape=(28, 28, 1), num_classes=10, booster=teacher, light=child,
                               share="none")
    logits = start.booster_model().get_layer("booster_logits")
    logits.kernel.assign(np.full(logits.kernel.shape, 0.5, "float32"))
    start.save(tmp_path / "start.keras")

    results = train(tmp_path / "pruned", f"--light_net={tmp_path / 'child.json'}", "--share=none",
                    f"--init_from={tmp_path / 'start.keras'}", "--prune_sparsity=0.5", "--prune_end=0.5",
                    "--prune_frequency=1", "--learning_rate=0.01")
    assert results["flags"]["light_net"] == str(tmp_path / "child.json")
    # Masks are not parameters; the schedule reached its target.
    assert results["light_parameters"] == child_params
    assert results["booster_parameters"] == zoo.get_network("resnet14", input_shape=(28, 28, 1)).count_params()
    assert results["light_sparsity"] == pytest.approx(0.5, abs=0.01)
    saved = keras.models.load_model(tmp_path / "pruned" / "model.keras")
    assert pruning.is_pruned(saved)
    light = pruning.strip_pruning(saved).light_model()
    assert pruning.sparsity(light)["overall"] == pytest.approx(results["light_sparsity"])
    # Training started from the given weights: two steps at lr 0.01 leave
    # the booster logits near 0.5, far from any fresh initialisation.
    kernel = saved.booster_model().get_layer("booster_logits").kernel.numpy()
    assert np.abs(kernel - 0.5).max() < 0.1
    for name in ("float32", "int8", "int8_sparse"):
        record = results[f"tflite_{name}"]
        assert record["gzip_size_bytes"] < record["size_bytes"] and record["latency_ms_batch1"] > 0
        assert 0 < record["test_accuracy"] <= 1
    # Zeros cost nothing once gzipped: the pruned int8 file compresses well.
    assert results["tflite_int8"]["gzip_size_bytes"] < 0.8 * results["tflite_int8"]["size_bytes"]


def test_light_net_refuses_builder_overrides(tmp_path):
    command = [sys.executable, str(ROOT / "examples" / "train.py"), "--dataset=synthetic", "--light_net=resnet8",
               "--override=light_depth=14", f"--output_dir={tmp_path}"]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "--light_net takes no --override of ['light_depth']" in result.stderr


@pytest.fixture(scope="module")
def booster_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("booster")
    return out, train(out, "--method=booster", "--noexport")


def test_kd_in_mixed_precision_saves_the_student_alone(booster_run, tmp_path):
    booster_dir, booster = booster_run
    results = train(tmp_path, "--method=kd:alpha=0.9", f"--teacher={booster_dir / 'model.keras'}", "--mixed_precision",
                    "--noexport")
    assert results["method"] == "kd:alpha=0.9" and results["flags"]["mixed_precision"] is True
    # Two-stage methods are charged the teacher's training time.
    assert results["teacher_train_seconds"] == booster["train_seconds"]
    # What is saved is the student alone (the light net, not the distiller),
    # computing in bfloat16 with float32 logits.
    student = keras.models.load_model(tmp_path / "model.keras")
    assert student.count_params() == results["light_parameters"] == booster["light_parameters"]
    assert student.get_layer("shared_stem_conv").dtype_policy.name == "mixed_bfloat16"
    assert student.get_layer("light_logits").dtype_policy.compute_dtype == "float32"
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    assert keras.backend.standardize_dtype(student(x).dtype) == "float32"


def test_mimic_with_a_bottleneck_exports_and_counts_the_student_it_trained(booster_run, tmp_path):
    from rocket_keras.export import load_exported

    booster_dir, _ = booster_run
    results = train(tmp_path, "--method=mimic:bottleneck_rank=4", f"--teacher={booster_dir / 'model.keras'}")
    # The student ends in the bottleneck, not in the pair's own light_logits.
    student = keras.models.load_model(tmp_path / "model.keras")
    assert student.get_layer("light_mimic_bottleneck").units == 4
    assert results["light_parameters"] == student.count_params()
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    exported = load_exported(tmp_path / "light_float32.tflite")(x)
    np.testing.assert_allclose(exported, keras.ops.softmax(student(x)), atol=1e-4)


def test_init_from_a_single_net_run_loads_that_net(booster_run, tmp_path):
    booster_dir, _ = booster_run
    # A booster run saves the booster alone, not the pair.
    train(tmp_path, "--method=booster", f"--init_from={booster_dir / 'model.keras'}", "--learning_rate=1e-12",
          "--noexport")
    start = keras.models.load_model(booster_dir / "model.keras")
    trained = keras.models.load_model(tmp_path / "model.keras")
    # A learning rate of ~0 keeps the given weights (BatchNorm statistics still move).
    for a, b in zip(start.trainable_weights, trained.trainable_weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_init_from_a_file_of_another_pair_says_what_it_received(booster_run, tmp_path):
    booster_dir, _ = booster_run
    command = [sys.executable, str(ROOT / "examples" / "train.py"), "--dataset=synthetic", "--model=resnet20-resnet8",
               f"--init_from={booster_dir / 'model.keras'}", f"--output_dir={tmp_path}", "--epochs=1"]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert "matches neither this resnet20-resnet8 pair (its layout) nor its light net or booster" in result.stderr
    assert "Received: a model" in result.stderr


def test_a_mirrored_run_trains_as_the_plain_one(booster_run, tmp_path):
    booster_dir, booster = booster_run
    mirrored = train(tmp_path, "--method=booster", "--strategy=mirrored", "--noexport")
    assert mirrored["flags"]["strategy"] == "mirrored"
    # One CPU device: the mirrored strategy has one replica. Measured here on
    # a rocket pair: the weights after two steps at lr 0.1 differ from the run
    # without a strategy by at most 0.008. Not identical because the examples
    # come in another order: Keras distributes the tf.data pipeline, and its
    # seeded shuffle then yields another first epoch (the first batch's loss
    # differs before any update; with an unshuffled dataset, or arrays, the
    # two runs agree to 1e-5). A wrong reduction or a skipped update would
    # move the weights far more; tests/test_distribution.py compares two
    # replicas with one device on the same batches, to a tight tolerance.
    assert mirrored["booster_test_accuracy"] == pytest.approx(booster["booster_test_accuracy"], abs=0.02)
    plain_weights = keras.models.load_model(booster_dir / "model.keras").get_weights()
    mirrored_weights = keras.models.load_model(tmp_path / "model.keras").get_weights()
    assert len(plain_weights) == len(mirrored_weights)
    for a, b in zip(plain_weights, mirrored_weights):
        np.testing.assert_allclose(a, b, atol=0.05)
