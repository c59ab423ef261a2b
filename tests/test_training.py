"""rocket_keras.training: the run as a library call, its config, and the results.json it writes."""

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rocket_keras import losses, methods, training

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
SMOKE = dict(dataset="synthetic", model="resnet14-resnet8", epochs=1, train_size=128, batch_size=64,
             validation_size=256, verbose=0, export=False)


def test_a_nested_recipe_reads_as_train_py_reads_it():
    config = training.Config.from_flagfile(ROOT / "recipes/mobilenet1.0-mobilenet0.35/cifar10_paper.txt")
    assert config.model == "mobilenet1.0-mobilenet0.35" and config.dataset == "cifar10"
    assert (config.epochs, config.l2, config.weight_decay, config.lr_decay_at) == (15, 5e-4, 0.0, ["0.3", "0.6", "0.8"])
    # The study's execution: graph mode with op determinism (bench/README.md, "Execution").
    assert config.deterministic and not config.jit_compile
    assert config.method_parameters["hint_weight"] == losses.HINT_WEIGHT
    seeded = training.Config.from_flagfile(ROOT / "recipes/resnet20-resnet8/cifar10_paper.txt", seed=2, hint_weight=0.01)
    assert seeded.seed == 2 and seeded.method_parameters["hint_weight"] == 0.01 and seeded.model == "resnet20-resnet8"


def test_a_config_round_trips_through_its_command_line():
    config = training.Config(model="wrn40_1-wrn16_1", override=["light_depth=10", "share=bottom"],
                             lr_decay_at=["0.3", "0.6"], augment=False, method="kd:alpha=0.9")
    config = config.replace(temperature=2.0, gradient_block=False)
    assert training.Config.from_args(config.as_args()) == config
    with pytest.raises(ValueError, match="Unknown training options"):
        config.replace(epoch=3)


def test_every_flag_is_declared_once():
    from absl import flags

    flag_values = flags.FlagValues()
    training.define_flags(flag_values)
    names = set(flag_values)
    assert set(methods.DECLARED) <= names and {"model", "epochs", "jit_compile", "deterministic"} <= names


def test_the_reader_reads_every_committed_result_file():
    paths = glob.glob(str(ROOT / "results" / "**" / "results.json"), recursive=True)
    assert paths
    for path in paths:
        record = training.read_results(path)
        assert record["schema"] == training.SCHEMA_VERSION
        for name in ("model", "method", "dataset", "epochs", "seed", "train_seconds", "epoch_times", "flags", "machine"):
            assert name in record, (path, name)
        methods.parse(record["method"])


def test_a_record_says_where_it_ran(tmp_path, monkeypatch):
    import keras

    from rocket_keras.training import records

    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    machine = records.machine()
    assert machine["threads"]["TF_NUM_INTRAOP_THREADS"] == "1" and machine["threads"]["OMP_NUM_THREADS"] == "default"
    assert 1 <= machine["cores"] <= os.cpu_count()
    assert machine["backend"] == keras.backend.backend()
    assert machine["versions"]["keras"] == keras.__version__
    assert set(machine["vector_extensions"]) <= set(records.VECTOR_EXTENSIONS)
    if os.path.exists("/proc/cpuinfo"):
        assert machine["cpu"]
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--show-toplevel", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0 and Path(head.stdout.split()[0]).resolve() == ROOT:  # the tests run from a checkout
        assert machine["git_commit"].removesuffix("+changes") == head.stdout.split()[1]
    else:
        assert machine["git_commit"] is None
    # A copy of the package outside a work tree (or inside another one) names no commit.
    assert records._git_commit(str(tmp_path)) is None
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "package").mkdir()
    assert records._git_commit(str(tmp_path / "package")) is None


def test_a_bench_measurement_is_written_with_its_machine(tmp_path):
    from rocket_keras.training import records

    path = records.write_measurement(str(tmp_path / "bench"), "x.json", {"median_ms": 0.5})
    assert path == str(tmp_path / "bench" / "x.json")
    written = json.loads(Path(path).read_text())
    assert written == {"machine": records.machine(), "median_ms": 0.5}


def test_a_newer_schema_is_refused(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"schema": training.SCHEMA_VERSION + 1}))
    with pytest.raises(ValueError, match="Received: schema="):
        training.read_results(tmp_path)


def test_a_run_from_python_writes_what_the_same_run_from_train_py_writes(tmp_path):
    config = training.Config(**SMOKE, output_dir=str(tmp_path / "python"))
    from_python = training.train(config)
    command = [sys.executable, str(ROOT / "examples" / "train.py"), *config.replace(output_dir=str(tmp_path / "cli")).as_args()]
    subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT, check=True)
    from_cli = training.read_results(tmp_path / "cli")
    timing = {"train_seconds", "epoch_times", "command", "light_weights"}
    flags_differ = {"output_dir"}
    assert {k: v for k, v in from_python.items() if k not in timing | {"flags"}} == {
        k: v for k, v in from_cli.items() if k not in timing | {"flags"}}
    assert {k: v for k, v in from_python["flags"].items() if k not in flags_differ} == {
        k: v for k, v in from_cli["flags"].items() if k not in flags_differ}
    # The record names the train.py command that reruns a Python run.
    assert from_python["command"].startswith("python examples/train.py ") and "--dataset=synthetic" in from_python["command"]
    assert from_python["light_weights"]["sha256"] and (tmp_path / "python" / "light.keras").exists()
    assert from_python["machine"]["versions"]["keras"]  # where it ran (records.machine), equal for the two
    # Each epoch times its steps and validation, so its overhead over the steps reads from the record.
    for epoch in from_python["epoch_times"]:
        assert epoch["steps"] == from_python["train_size"] // config.batch_size
        assert 0 < epoch["median_step_seconds"] * epoch["steps"] <= epoch["seconds"] + 0.1
        assert 0 < epoch["validation_seconds"] < epoch["seconds"]
        assert training.epoch_overhead(epoch) >= 0.9


def test_a_booster_trained_alone_keeps_its_net_as_the_teacher_file(tmp_path):
    import keras
    import numpy as np

    record = training.train(training.Config(**SMOKE, method="booster", output_dir=str(tmp_path)))
    assert training.teacher_file(tmp_path) == str(tmp_path / "booster.keras")
    assert record["booster_weights"]["path"] == "booster.keras" and "light_weights" not in record
    kept, trained = (keras.models.load_model(tmp_path / name) for name in ("booster.keras", "model.keras"))
    # The net alone, without the optimizer's state that the checkpoint carries.
    assert record["booster_weights"]["size_bytes"] < (tmp_path / "model.keras").stat().st_size
    images = np.random.default_rng(0).uniform(size=(4,) + tuple(trained.input.shape[1:])).astype("float32")
    np.testing.assert_allclose(kept.predict(images, verbose=0), trained.predict(images, verbose=0), atol=1e-6)
    # Measured again from the kept net: validation and test as the record has them, and the training
    # images un-augmented, as predict on the seed's training split gives them.
    scores = training.evaluate_run(tmp_path, batch_size=64)
    assert list(scores) == ["booster"]
    for split in ("validation", "test"):
        assert scores["booster"][split] == pytest.approx(record[f"booster_{split}_accuracy"], abs=1e-6)
    train = training.load_splits(training.Config(**SMOKE), augment=False).train
    hits = np.concatenate([np.argmax(kept.predict(x, verbose=0), -1) == np.asarray(y) for x, y in train])
    assert len(hits) == SMOKE["train_size"] and scores["booster"]["train"] == pytest.approx(hits.mean(), abs=1e-6)
    with pytest.raises(ValueError, match=r"Received: splits=\['training'\]"):
        training.evaluate_run(tmp_path, splits=["training"])
    # Refused rather than measured on other data: a record without flags, a data directory not there, a
    # validation split that does not give the record's accuracy.
    recorded = json.loads((tmp_path / "results.json").read_text())
    for change, message in [({"flags": {}}, "records no flags"),
                            ({"flags": {**recorded["flags"], "data_dir": str(tmp_path / "gone")}}, "not a directory"),
                            ({"booster_validation_accuracy": 0.0}, "not the data it was chosen on")]:
        (tmp_path / "results.json").write_text(json.dumps({**recorded, **change}))
        with pytest.raises(ValueError, match=message):
            training.evaluate_run(tmp_path, splits=["validation"])
    (tmp_path / "booster.keras").unlink()
    assert training.teacher_file(tmp_path) == str(tmp_path / "model.keras")  # a run from before booster.keras


def test_normalisation_of_other_data_is_computed_on_its_training_split_and_recorded(tmp_path):
    import numpy as np

    from rocket_keras import data

    record = training.train(training.Config(**SMOKE, output_dir=str(tmp_path), normalize_input=True))
    splits = data.load("synthetic", batch_size=64, train_size=128)
    mean, std = data.channel_statistics(splits.train)
    np.testing.assert_allclose(record["input_normalization"], [mean, std], rtol=1e-5)
    images = np.concatenate([x for x, _ in splits.train.as_numpy_iterator()])
    np.testing.assert_allclose(mean, images.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(std, images.std(axis=(0, 1, 2)), rtol=1e-4)


def test_a_folder_of_images_trains_and_exports_in_one_command(tmp_path):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for k, name in enumerate(("cat", "dog", "fish")):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(30):  # each class a colour, plus noise; sizes from the data (20x24 RGB)
            pixels = np.clip(80 * k + rng.normal(0, 20, (20, 24, 3)), 0, 255).astype("uint8")
            (tmp_path / "photos" / name / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    out = tmp_path / "run"
    command = [sys.executable, str(ROOT / "examples" / "train.py"), f"--dataset={tmp_path / 'photos'}",
               "--model=resnet14-resnet8", "--epochs=1", "--batch_size=16", "--validation_size=9", "--image_size=16,12",
               f"--output_dir={out}", "--verbose=0"]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    record = training.read_results(out)
    assert record["class_names"] == ["cat", "dog", "fish"] and (out / "labels.txt").read_text().split() == ["cat", "dog", "fish"]
    assert record["train_size"] == 90 - 9 - 9  # a seeded tenth is the test set, 9 validation images
    assert record["light_parameters"] > 0 and 0 <= record["light_test_accuracy"] <= 1
    assert record["tflite_int8"]["size_bytes"] > 0 and (out / "light_int8.tflite").exists()
    # --image_size resized every 20x24 image to 16x12 (height, width): the net takes that size.
    import keras

    assert keras.models.load_model(out / "light.keras").input_shape == (None, 16, 12, 3)


def test_an_unknown_dataset_name_says_what_it_is_not():
    from rocket_keras import data

    with pytest.raises(ValueError, match="not a directory of images.*Received: dataset='no_such_set'"):
        data.load("no_such_set")
