"""One backend's view of a rocket model, for tests that compare backends.

    KERAS_BACKEND=jax python tests/backend_probe.py TASK[,TASK...] DIR

The backend is fixed per process, so each backend runs this script in its own
subprocess (several tasks, comma-separated, run in order in one process) and
writes numpy files to DIR for the test to compare:

* ``build``: a tiny rocket pair trained 2 steps, saved as DIR/model-<backend>.keras,
  with DIR/batch.npz (the batch) and DIR/predict-<backend>.npz.
* ``predict``: loads every DIR/model-*.keras and writes its predictions on the
  batch to DIR/loaded-<file>-by-<backend>.npz.
* ``grads``: loads DIR/model-tensorflow.keras and writes the loss terms and the
  gradients of the total loss and of the hint alone (booster-only variables
  marked) to DIR/grads-<backend>.npz.
* ``dataparallel`` (JAX, run with 2 host devices): trains the same pair on the
  same global batch on one device and with ``keras.distribution.DataParallel``
  over both; writes their weights (BatchNorm statistics included) to
  DIR/dataparallel.npz.
* ``multiprocess ID PORT`` (JAX): process ID of 2 joins a coordinator on
  127.0.0.1:PORT, trains with DataParallel over both processes' devices on
  its half of each global batch, and writes its weights to
  DIR/process-ID.npz (to compare with ``dataparallel``'s one-device run,
  which trains on the same global batches).
* ``data_order``: fits a small model on a shuffled, augmented tf.data split
  for 3 epochs, then again crashed at epoch 3 and resumed from its
  ``BackupAndRestoreDataOrder`` backup, for a training split of known size and
  one of unknown size; writes the digests of the batches each run's steps
  saw to DIR/data_order-<backend>.json.
"""

import glob
import hashlib
import json
import os
import shutil
import sys

import keras
import numpy as np

import rocket_keras  # noqa: F401  (registers RocketModel for load_model)
from rocket_keras import data, losses
from rocket_keras.callbacks import BackupAndRestoreDataOrder
from rocket_keras.zoo import rocket_resnet

BACKEND = keras.backend.backend()


def build(directory):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((16, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 10, 16)
    np.savez(os.path.join(directory, "batch.npz"), x=x, y=y)
    model = rocket_resnet(input_shape=(8, 8, 1), booster_depth=8, light_depth=8)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(directory, f"model-{BACKEND}.keras"))
    predictions = model.predict(x, verbose=0)
    np.savez(os.path.join(directory, f"predict-{BACKEND}.npz"), **predictions)


def predict(directory):
    x = np.load(os.path.join(directory, "batch.npz"))["x"]
    for path in glob.glob(os.path.join(directory, "model-*.keras")):
        model = keras.models.load_model(path)
        stem = os.path.basename(path)[: -len(".keras")]
        light = model.light_model().predict(x, verbose=0)
        heads = model.predict(x, verbose=0)
        np.savez(os.path.join(directory, f"loaded-{stem}-by-{BACKEND}.npz"), light_model=light, **heads)


def loss_and_grads(model, x, y):
    """The total loss of a training-mode forward pass and its gradients."""
    if BACKEND == "jax":
        import jax

        def loss_fn(trainable):
            # The loss trackers update state: keep that inside a stateless scope.
            with keras.StatelessScope():
                y_pred, _ = model.stateless_call(trainable, [v.value for v in model.non_trainable_variables], x,
                                                 training=True)
                return model.compute_loss(x=x, y=y, y_pred=y_pred), y_pred

        (loss, y_pred), grads = jax.value_and_grad(loss_fn, has_aux=True)([v.value for v in model.trainable_variables])
        return loss, y_pred, grads
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred)
    return loss, y_pred, tape.gradient(loss, model.trainable_variables)


def grads(directory):
    batch = np.load(os.path.join(directory, "batch.npz"))
    x, y = batch["x"], batch["y"]
    model = keras.models.load_model(os.path.join(directory, "model-tensorflow.keras"))
    booster_only = {id(w) for w in model.booster_only_weights}
    out = {}
    loss, y_pred, total_grads = loss_and_grads(model, x, y)
    terms = losses.rocket_loss_terms(y, y_pred["booster"], y_pred["light"])
    out.update({f"term_{k}": np.asarray(keras.ops.mean(v)) for k, v in terms.items()})
    out["loss"] = np.asarray(loss)
    # The hint alone: the other terms weighted 0.
    model.compile(optimizer="sgd", hint_weight=1.0, booster_loss_weight=0.0, light_loss_weight=0.0)
    _, _, hint_grads = loss_and_grads(model, x, y)
    for i, (w, g, h) in enumerate(zip(model.trainable_variables, total_grads, hint_grads)):
        out[f"grad_{i}"] = np.asarray(g)
        out[f"hint_grad_{i}"] = np.asarray(h)
        out[f"booster_only_{i}"] = np.asarray(id(w) in booster_only)
    np.savez(os.path.join(directory, f"grads-{BACKEND}.npz"), **out)


def global_batches():
    rng = np.random.default_rng(1)
    return rng.random((32, 8, 8, 1), dtype=np.float32), rng.integers(0, 10, 32)


def train_pair(x, y, batch_size):
    keras.utils.set_random_seed(0)
    model = rocket_resnet(input_shape=(8, 8, 1), booster_depth=8, light_depth=8)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), metrics=["accuracy"], hint_weight=1.0)
    history = model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0).history
    weights = {f"w{i}": np.asarray(w.value) for i, w in enumerate(model.weights)}
    return weights, history["loss"]


def dataparallel(directory):
    import jax

    assert len(jax.devices()) == 2, jax.devices()
    x, y = global_batches()
    one, loss_one = train_pair(x, y, 16)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    two, loss_two = train_pair(x, y, 16)
    np.savez(os.path.join(directory, "dataparallel.npz"), loss_one=loss_one, loss_two=loss_two,
             **{f"one_{k}": v for k, v in one.items()}, **{f"two_{k}": v for k, v in two.items()})


def multiprocess(directory, process_id, port):
    import jax

    x, y = global_batches()
    process_id = int(process_id)
    keras.distribution.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    distribution = keras.distribution.DataParallel(devices=jax.devices())
    distribution.auto_shard_dataset = False  # each process passes its own share, below
    keras.distribution.set_distribution(distribution)
    # Each process feeds its share of every global batch of 16: rows
    # 8k..8k+7 of batch b go to process k.
    rows = np.concatenate([np.arange(b * 16 + 8 * process_id, b * 16 + 8 * process_id + 8) for b in range(2)])
    weights, loss = train_pair(x[rows], y[rows], 8)
    np.savez(os.path.join(directory, f"process-{process_id}.npz"), loss=loss, **weights)


def fit_recording_batches(backup_dir, crash_at_epoch=None, known_size=True):
    """The digests of the batches a 3-epoch fit's steps saw (an epoch is 4 batches)."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)  # as a new process would start
    tf.config.experimental.enable_op_determinism()  # as train.py does: the crops in a set order
    seen = []

    def record(x, y):
        seen.append(hashlib.md5(x.numpy().tobytes() + y.numpy().tobytes()).hexdigest())
        return x

    train = data.synthetic(batch_size=16, train_size=64, input_shape=(8, 8, 1), augment=True).train
    if not known_size:
        train = train.filter(lambda x, y: True)
    train = train.map(lambda x, y: (tf.ensure_shape(tf.py_function(record, [x, y], tf.float32), x.shape), y))

    class Crash(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == crash_at_epoch:
                raise KeyboardInterrupt

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    try:
        model.fit(train, epochs=3, verbose=0, callbacks=[BackupAndRestoreDataOrder(backup_dir, train), Crash()])
    except KeyboardInterrupt:
        pass
    return seen


def data_order(directory):
    orders = {}
    for known_size in (True, False):
        backup = os.path.join(directory, f"backup-{BACKEND}-{known_size}")
        uninterrupted = fit_recording_batches(backup, known_size=known_size)
        fit_recording_batches(backup, crash_at_epoch=2, known_size=known_size)
        resumed = fit_recording_batches(backup, known_size=known_size)
        shutil.rmtree(backup, ignore_errors=True)
        orders["known_size" if known_size else "unknown_size"] = {"uninterrupted": uninterrupted, "resumed": resumed}
    with open(os.path.join(directory, f"data_order-{BACKEND}.json"), "w") as f:
        json.dump(orders, f)


if __name__ == "__main__":
    names, directory, *args = sys.argv[1:]
    tasks = {"build": build, "predict": predict, "grads": grads, "dataparallel": dataparallel,
             "multiprocess": multiprocess, "data_order": data_order}
    for task in names.split(","):
        tasks[task](directory, *args)
        print("OK", task, BACKEND)
