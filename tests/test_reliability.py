"""Bad input, non-finite losses, crash and resume, reproducible seeds."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_batch
from rocket_keras.callbacks import NonFiniteLossError, StopOnNonFiniteLoss
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)
ROOT = Path(__file__).resolve().parents[1]


def compiled_model(**compile_arguments):
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer=keras.optimizers.SGD(0.1), metrics=["accuracy"], **compile_arguments)
    return model


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def assert_unchanged(model, before):
    for a, b in zip(before, weights(model)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "labels, error, match",
    [
        (np.full(8, 10), ValueError, r"class ids in \[0, 10\)\. Received: label 10 at position 0"),
        (np.full(8, -1), ValueError, r"class ids in \[0, 10\)\. Received: label -1 at position 0"),
        (np.zeros((8, 5), "float32"), ValueError, "10 columns.*Received: labels of shape"),
        (np.zeros((8, 2, 2)), ValueError, "Received: labels of shape"),
        (np.array(["a"] * 8), ValueError, "dtype"),
    ],
)
def test_bad_labels_fail_before_any_weight_changes(labels, error, match):
    model = compiled_model()
    x, _ = tiny_batch(SHAPE)
    before = weights(model)
    with pytest.raises(error, match=match):
        model.fit(x, labels, batch_size=8, epochs=1, verbose=0)
    assert_unchanged(model, before)
    assert int(model.optimizer.iterations) == 0, "the step must not run at all, its iteration count included"


def test_a_bad_label_is_named_with_its_value_and_position():
    model = compiled_model()
    x, y = tiny_batch(SHAPE, batch=16)
    y[5] = 12
    with pytest.raises(ValueError, match=r"Received: label 12 at position 5 of the batch"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert int(model.optimizer.iterations) == 0
    with pytest.raises(ValueError, match=r"Received: label 12 at position 5 of the batch"):
        model.evaluate(x, y, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"Received: label 12 at position 5 of the batch"):
        model.train_on_batch(x[:8], y[:8])
    assert int(model.optimizer.iterations) == 0


def test_under_xla_bad_labels_are_checked_on_the_host_before_training():
    """XLA drops TensorFlow's in-step assertions: the data is checked once on the host instead."""
    model = compiled_model(jit_compile=True)
    assert model.jit_compile
    x, y = tiny_batch(SHAPE, batch=16)
    y[13] = 12
    before = weights(model)
    with pytest.raises(ValueError, match="Received: label 12 at position 13 of the training data"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    with pytest.raises(ValueError, match="Received: label 12 at position 5 of batch 1"):
        model.fit(dataset, epochs=1, verbose=0)
    assert_unchanged(model, before)
    assert int(model.optimizer.iterations) == 0
    # Good labels train under XLA (the step's first variables are created inside it).
    y[13] = 3
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 2


def test_wrong_input_shape_is_a_clear_error():
    model = compiled_model()
    x, y = tiny_batch((20, 20, 1))
    with pytest.raises(ValueError, match="expected shape=\\(None, 16, 16, 1\\)"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)


def test_inputs_given_as_a_dict_or_list_train_like_an_array():
    x, y = tiny_batch(SHAPE)
    losses = []
    for inputs in (x, {"image": x}, [x]):
        keras.utils.set_random_seed(0)
        model = compiled_model()
        losses.append(model.fit(inputs, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    np.testing.assert_allclose(losses[2], losses[0], rtol=1e-5)


def test_labels_per_head_are_a_clear_error():
    model = compiled_model()
    x, y = tiny_batch(SHAPE)
    with pytest.raises(ValueError, match="one label array.*Received: labels of type dict"):
        model.fit(x, {"booster": y, "light": y}, batch_size=8, epochs=1, verbose=0)


def test_non_finite_inputs_stop_training_and_keep_weights():
    model = compiled_model()
    x, y = tiny_batch(SHAPE)
    x[3, 0, 0, 0] = np.nan
    before = weights(model)
    with pytest.raises(ValueError, match="NaN or Inf"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert_unchanged(model, before)


def test_a_non_finite_loss_names_the_term_and_spares_the_checkpoint(tmp_path):
    model = compiled_model()
    x, y = tiny_batch(SHAPE, batch=16)
    checkpoint = tmp_path / "model.keras"
    callbacks = [StopOnNonFiniteLoss(), keras.callbacks.ModelCheckpoint(checkpoint)]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=callbacks)
    good = keras.models.load_model(checkpoint).get_weights()
    # A learning rate this large blows the weights up to Inf within a few steps.
    model.optimizer.learning_rate.assign(1e30)
    with pytest.raises(NonFiniteLossError, match="non-finite loss terms.*(booster_loss|light_loss|hint_loss)"):
        model.fit(x, y, batch_size=8, epochs=20, verbose=0, callbacks=callbacks)
    for a, b in zip(good, keras.models.load_model(checkpoint).get_weights()):
        np.testing.assert_array_equal(a, b)
        assert np.all(np.isfinite(a))


def train_command(output_dir, epochs=4, seed=0, extra=()):
    return [
        sys.executable, str(ROOT / "examples" / "train.py"),
        "--dataset=synthetic", "--model=resnet14-resnet8", "--share=bottom",
        "--override=booster_depth=8",
        f"--epochs={epochs}", "--train_size=512", "--batch_size=64", "--validation_size=256", "--learning_rate=0.05",
        "--augment",
        f"--seed={seed}", f"--output_dir={output_dir}", "--verbose=2", "--noexport", *extra,
    ]


def final_history(output_dir):
    lines = (Path(output_dir) / "history.csv").read_text().strip().splitlines()
    if not lines:  # CSVLogger writes its header with the first epoch.
        return []
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    return rows


ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """One uninterrupted 4-epoch run (8 batches an epoch, augmented), shared by the resume and the seed tests."""
    output_dir = tmp_path_factory.mktemp("reference")
    subprocess.run(train_command(output_dir), env=ENV, check=True, capture_output=True)
    return output_dir


def run_killed(output_dir, patch):
    """Runs ``train_command(output_dir)`` in a process that ``patch`` (Python run before train.py, with
    ``os`` and ``signal`` imported) makes kill itself with SIGKILL."""
    script = (f"import os, runpy, signal, sys\n{patch}\n"
              "sys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n")
    killed = subprocess.run([sys.executable, "-c", script, *train_command(output_dir)[1:]], env=ENV,
                            capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]


KILL_IN_EPOCH_3 = """
from rocket_keras.callbacks import StopOnNonFiniteLoss
epochs = []
StopOnNonFiniteLoss.on_epoch_begin = lambda self, epoch, logs=None: epochs.append(epoch)
step_end = StopOnNonFiniteLoss.on_train_batch_end
def kill_in_epoch_3(self, batch, logs=None):
    step_end(self, batch, logs)
    if epochs[-1] == 2:  # after epoch 3's first step, before its end: its backup is epoch 2's
        os.kill(os.getpid(), signal.SIGKILL)
StopOnNonFiniteLoss.on_train_batch_end = kill_in_epoch_3
"""


def test_sigkill_mid_run_then_resume_ends_in_the_state_of_an_uninterrupted_run(tmp_path, reference_run):
    # Eight shuffled, randomly cropped batches an epoch: the resumed process
    # must draw the restored epochs' data order again (BackupAndRestoreDataOrder),
    # else its epoch 3 sees epoch 1's order and crops and ends elsewhere.
    interrupted = tmp_path / "interrupted"
    run_killed(interrupted, KILL_IN_EPOCH_3)
    assert [r["epoch"] for r in final_history(interrupted)] == ["0", "1"]  # killed inside epoch 3
    seconds_before_kill = json.loads((interrupted / "train_seconds.json").read_text())["train_seconds"]
    resume = subprocess.run(train_command(interrupted), env=ENV, check=True, capture_output=True, text=True)
    assert "Resumed after epoch 2: the training data continues in the order of an uninterrupted run." in resume.stdout

    resumed_rows, reference_rows = final_history(interrupted), final_history(reference_run)
    assert [r["epoch"] for r in resumed_rows] == [r["epoch"] for r in reference_rows] == ["0", "1", "2", "3"]
    # The same data in the same order under op determinism: the same losses, to the last digit logged.
    assert [r["loss"] for r in resumed_rows] == [r["loss"] for r in reference_rows]
    resumed = json.loads((interrupted / "results.json").read_text())
    expected = json.loads((reference_run / "results.json").read_text())
    assert resumed["resumed"] and not expected["resumed"]
    # The reported training time counts the epochs run before the kill.
    assert resumed["train_seconds"] > seconds_before_kill > 0
    # Each epoch's time and the machine's load, those before the kill included.
    assert len(resumed["epoch_times"]) == len(expected["epoch_times"]) == 4
    assert all(e["seconds"] > 0 and e["load_average"] >= 0 for e in resumed["epoch_times"])
    a, b = (keras.models.load_model(d / "model.keras") for d in (reference_run, interrupted))
    # Optimizer step count, schedule position and momentum carried over, and the weights to the bit.
    assert int(b.optimizer.iterations) == int(a.optimizer.iterations) == 4 * 8
    assert float(b.optimizer.learning_rate) == float(a.optimizer.learning_rate)
    for va, vb in zip(a.optimizer.variables, b.optimizer.variables):
        np.testing.assert_array_equal(vb.numpy(), va.numpy(), err_msg=va.path)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wb.numpy(), wa.numpy(), err_msg=wa.path)


KILL_AFTER_FIT = """
from rocket_keras.training import run
run._Run.trained_nets = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # fit ended; evaluation not begun
"""


def test_a_run_killed_after_its_last_epoch_resumes_there_and_does_not_train_again(tmp_path, reference_run):
    # Killed between fit and the record (while it evaluates or exports, which
    # takes minutes for the study's runs): the backup of the last epoch stays.
    interrupted = tmp_path / "interrupted"
    run_killed(interrupted, KILL_AFTER_FIT)
    assert (interrupted / "backup").is_dir() and not (interrupted / "results.json").exists()
    resume = subprocess.run(train_command(interrupted), env=ENV, check=True, capture_output=True, text=True)
    assert "Resumed after epoch 4: the training data continues" in resume.stdout
    # No epoch trained again: the history is the uninterrupted run's, row for row.
    assert final_history(interrupted) == final_history(reference_run)
    resumed = json.loads((interrupted / "results.json").read_text())
    expected = json.loads((reference_run / "results.json").read_text())
    assert resumed["resumed"] and len(resumed["epoch_times"]) == 4
    assert resumed["light_test_accuracy"] == expected["light_test_accuracy"]
    # The record written, nothing is left to resume.
    assert not (interrupted / "backup").exists() and not (reference_run / "backup").exists()


def test_same_seed_gives_identical_weights(tmp_path, reference_run):
    subprocess.run(train_command(tmp_path), env=ENV, check=True, capture_output=True)
    again = keras.models.load_model(tmp_path / "model.keras").get_weights()
    reference = keras.models.load_model(reference_run / "model.keras").get_weights()
    for a, b in zip(reference, again):
        np.testing.assert_array_equal(a, b)


def test_corrupt_or_truncated_keras_file_is_a_clear_error(tmp_path):
    model = compiled_model()
    path = tmp_path / "model.keras"
    model.save(path)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a zip file at all")
    for bad in (truncated, garbage):
        with pytest.raises(ValueError, match=str(bad.name)):
            keras.models.load_model(bad)


def test_a_tfrecord_in_the_wrong_format_is_a_clear_error(tmp_path):
    from rocket_keras.data import read_image_tfrecord

    path = str(tmp_path / "wrong.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        example = tf.train.Example(
            features=tf.train.Features(feature={"pixels": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))})
        )
        writer.write(example.SerializeToString())
    with pytest.raises(ValueError, match="not a TFRecord file of tf.train.Example records"):
        read_image_tfrecord(path)
    not_a_record = tmp_path / "text.tfrecord"
    not_a_record.write_text("this is plain text, not records " * 8)
    with pytest.raises(ValueError, match="not a TFRecord file"):
        read_image_tfrecord(str(not_a_record))
    with pytest.raises(ValueError, match="not found"):
        read_image_tfrecord(str(tmp_path / "missing.tfrecord"))


def test_a_failed_export_keeps_the_training_results(tmp_path):
    # The export is made to fail after training; results.json must still be
    # written, name the error, and the command must exit non-zero.
    command = [a for a in train_command(tmp_path, epochs=1) if a != "--noexport"]
    script = (
        "import runpy, sys\n"
        "import rocket_keras.export as export\n"
        "def fail(*args, **kwargs):\n"
        "    raise RuntimeError('XNNPACK failed to prepare')\n"
        "export.export_light = fail\n"
        f"sys.argv = {command[1:]!r}\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert "the TFLite export failed: RuntimeError: XNNPACK failed to prepare" in result.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["export_error"] == "RuntimeError: XNNPACK failed to prepare"
    # The recorded accuracy is the saved model's on the same test split.
    from rocket_keras import data

    splits = data.load("synthetic", batch_size=64, seed=0, train_size=512, validation_size=256)
    saved = keras.models.load_model(tmp_path / "model.keras")
    logs = saved.evaluate(splits.test, return_dict=True, verbose=0)
    assert results["light_test_accuracy"] == pytest.approx(logs["light_accuracy"], abs=1e-6)


def test_a_diverged_run_records_its_error_and_exits_non_zero(tmp_path):
    # A learning rate this large sends the loss to Inf/NaN within the first steps.
    command = train_command(tmp_path, epochs=1, extra=["--learning_rate=1e30"])
    result = subprocess.run(command, env=ENV, capture_output=True, text=True)
    assert result.returncode != 0
    assert "non-finite loss terms" in result.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert "non-finite loss terms" in results["training_error"]
    assert "light_test_accuracy" not in results and "booster_test_accuracy" not in results
    assert results["seed"] == 0 and results["train_seconds"] >= 0


def test_a_teacher_from_a_diverged_run_is_refused(tmp_path):
    teacher = tmp_path / "booster"
    teacher.mkdir()
    (teacher / "model.keras").write_bytes(b"")  # the checkpoint of an epoch before the divergence
    (teacher / "results.json").write_text(json.dumps({"training_error": "non-finite loss terms loss=nan"}))
    command = train_command(tmp_path / "kd", epochs=1, extra=["--method=kd", f"--teacher={teacher / 'model.keras'}"])
    result = subprocess.run(command, env=ENV, capture_output=True, text=True)
    assert result.returncode != 0
    assert "comes from a run that diverged" in result.stderr
