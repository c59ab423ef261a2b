"""RocketModel training: logs, gradient block, labels, saving, compile errors."""

import keras
import numpy as np
import pytest

import rocket_keras
from conftest import tiny_batch
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


def tiny_resnet(share="interval", **kwargs):
    return rocket_resnet(input_shape=SHAPE, num_classes=10, booster_depth=14, light_depth=8, share=share, **kwargs)


def trainable_by_path(model):
    return {w.path: np.array(w.numpy()) for w in model.trainable_weights}


def moved(before, after, prefix):
    return {p: not np.array_equal(before[p], after[p]) for p in before if p.startswith(prefix)}


def softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def numpy_terms(model, x, y, temperature=4.0):
    """The rocket loss terms computed in numpy from the model's inference logits."""
    logits = model.predict(x, verbose=0)
    z, l = logits["booster"].astype("float64"), logits["light"].astype("float64")
    rows = np.arange(len(y))
    soft = softmax(z / temperature)
    return {
        "booster_loss": -np.mean(np.log(softmax(z)[rows, y])),
        "light_loss": -np.mean(np.log(softmax(l)[rows, y])),
        "hint_loss": np.mean(np.sum((l - z) ** 2, axis=-1)),
        "kd_loss": -temperature**2 * np.mean(np.sum(soft * np.log(softmax(l / temperature)), axis=-1)),
    }


def test_fit_and_evaluate_log_every_term_and_head():
    model = tiny_resnet()
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    history = model.fit(x, y, validation_data=(x, y), epochs=1, batch_size=4, verbose=0)
    expected = {"loss", "booster_loss", "light_loss", "hint_loss", "booster_accuracy", "light_accuracy"}
    assert expected | {f"val_{k}" for k in expected} == set(history.history)
    logs = model.evaluate(x, y, batch_size=len(x), return_dict=True, verbose=0)
    assert expected == set(logs)
    terms = numpy_terms(model, x, y)
    for name in ("booster_loss", "light_loss", "hint_loss"):
        np.testing.assert_allclose(logs[name], terms[name], rtol=1e-4, err_msg=name)
    total = terms["booster_loss"] + terms["light_loss"] + 0.03 * terms["hint_loss"]
    np.testing.assert_allclose(logs["loss"], total, rtol=1e-4)


def test_rocket_plus_kd_adds_and_logs_the_kd_term():
    model = tiny_resnet()
    model.compile(optimizer="sgd", metrics=["accuracy"], kd_weight=0.5, temperature=2.0)
    x, y = tiny_batch(SHAPE)
    logs = model.evaluate(x, y, batch_size=len(x), return_dict=True, verbose=0)
    # T^2 times the cross-entropy of the softened heads, computed independently.
    terms = numpy_terms(model, x, y, temperature=2.0)
    np.testing.assert_allclose(logs["kd_loss"], terms["kd_loss"], rtol=1e-4)
    total = terms["booster_loss"] + terms["light_loss"] + 0.03 * terms["hint_loss"] + 0.5 * terms["kd_loss"]
    np.testing.assert_allclose(logs["loss"], total, rtol=1e-4)


def test_metric_objects_are_logged_once_per_head():
    model = tiny_resnet()
    model.compile(optimizer="sgd", metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    x, y = tiny_batch(SHAPE)
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    assert set(logs) == {"loss", "booster_loss", "light_loss", "hint_loss", "booster_acc", "light_acc"}


def test_weighted_metrics_use_sample_weights_per_head_and_survive_saving(tmp_path):
    model = tiny_resnet()
    model.compile(
        optimizer="sgd",
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="wacc")],
        auto_scale_loss=False,
    )
    x, _ = tiny_batch(SHAPE)
    predicted = np.argmax(model.predict(x, verbose=0)["light"], axis=-1)
    # Labels the light head gets right on the first half only, weight 1 there
    # and 0 elsewhere: plain accuracy 0.5, weighted accuracy 1.
    half = len(x) // 2
    y = np.concatenate([predicted[:half], (predicted[half:] + 1) % 10])
    weights = np.concatenate([np.ones(half), np.zeros(len(x) - half)]).astype("float32")
    logs = model.evaluate(x, y, sample_weight=weights, return_dict=True, verbose=0)
    assert {"booster_wacc", "light_wacc"} <= set(logs)
    assert logs["light_wacc"] == pytest.approx(1.0)
    path = tmp_path / "m.keras"
    model.save(path)
    config = keras.models.load_model(path).get_compile_config()
    assert config["weighted_metrics"] == model.get_compile_config()["weighted_metrics"] is not None
    assert config["auto_scale_loss"] is False


def test_uint8_images_train_like_floats():
    model = tiny_resnet()
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    pixels = np.round(x * 255).astype("uint8")
    logs = model.fit(pixels, y, epochs=1, batch_size=4, verbose=0).history
    assert np.isfinite(logs["loss"][0])


def test_outputs_are_logits_of_both_heads():
    model = tiny_resnet()
    x, _ = tiny_batch(SHAPE)
    out = model.predict(x, verbose=0)
    assert set(out) == {"booster", "light"}
    assert out["booster"].shape == out["light"].shape == (8, 10)
    np.testing.assert_allclose(model.light_model().predict(x, verbose=0), out["light"], atol=1e-5)
    np.testing.assert_allclose(model.booster_model().predict(x, verbose=0), out["booster"], atol=1e-5)


def test_one_hot_labels_give_the_same_loss_as_class_ids():
    model = tiny_resnet()
    x, y = tiny_batch(SHAPE)
    # Keras picks the accuracy variant on first use, so compile for each kind.
    model.compile(optimizer="sgd", metrics=["accuracy"])
    sparse = model.evaluate(x, y, return_dict=True, verbose=0)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    one_hot = model.evaluate(x, np.eye(10, dtype="float32")[y], return_dict=True, verbose=0)
    for key in sparse:
        np.testing.assert_allclose(sparse[key], one_hot[key], rtol=1e-5)


@pytest.mark.parametrize(
    "share, term",
    [("interval", "hint"), ("bottom", "hint"), ("none", "hint"), ("interval", "kd")],
)
def test_gradient_block_keeps_hint_out_of_booster_weights(share, term):
    x, y = tiny_batch(SHAPE)
    model = tiny_resnet(share)
    # Only the hint term (or only the rocket + KD term): every change comes from it.
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        hint_weight=1.0 if term == "hint" else 0.0,
        kd_weight=1.0 if term == "kd" else 0.0,
        booster_loss_weight=0.0,
        light_loss_weight=0.0,
        gradient_block=True,
    )
    before = trainable_by_path(model)
    model.train_on_batch(x, y)
    after = trainable_by_path(model)
    booster_moved = moved(before, after, "booster_")
    assert booster_moved and not any(booster_moved.values()), "the hint changed booster weights"
    assert all(moved(before, after, "light_").values()), "the hint must train every light weight"
    if share != "none":
        assert any(moved(before, after, "shared_").values())


def test_without_gradient_block_the_hint_moves_the_booster():
    x, y = tiny_batch(SHAPE)
    model = tiny_resnet("interval")
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        hint_weight=1.0,
        booster_loss_weight=0.0,
        light_loss_weight=0.0,
        gradient_block=False,
    )
    before = trainable_by_path(model)
    model.train_on_batch(x, y)
    assert all(moved(before, trainable_by_path(model), "booster_").values())


def count_traces(model, step="train_step"):
    """Counts the Python calls of ``model.<step>``: TensorFlow makes one per trace of the step."""
    traces = []
    original = getattr(model, step)

    def counted(*args):
        traces.append(1)
        return original(*args)

    setattr(model, step, counted)
    return traces


@pytest.mark.parametrize("as_dataset", [False, True], ids=["arrays", "dataset"])
def test_fit_traces_its_step_once_and_reads_no_batch_to_build_it(as_dataset):
    # Variables created inside the first traced step (the optimizer's slots,
    # the compiled metrics' totals) would cost TensorFlow a second trace.
    import tensorflow as tf

    x, y = tiny_batch(SHAPE)
    passes = []

    def examples():
        passes.append(1)
        yield from zip(x, y)

    signature = (tf.TensorSpec(SHAPE, tf.float32), tf.TensorSpec((), tf.int64))
    data = tf.data.Dataset.from_generator(examples, output_signature=signature).batch(4) if as_dataset else x
    model = tiny_resnet()
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"])
    traces = count_traces(model)
    seen = []
    probe = keras.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(
        (model.optimizer.built, len(model.optimizer.variables))))
    model.fit(data, None if as_dataset else y, epochs=2, batch_size=None if as_dataset else 4, verbose=0,
              callbacks=[probe])
    assert len(traces) == 1
    # One momentum slot per trainable variable, plus the iteration count and the learning rate.
    assert seen[0] == (True, len(model.trainable_variables) + 2)
    if as_dataset:
        assert len(passes) == 2  # one pass per epoch: no batch was read to build


def test_evaluate_before_any_fit_traces_its_step_once(tmp_path):
    # A fresh model, and one loaded from a file (its metrics are not built
    # until data arrives): the metrics' variables are made before the trace.
    x, y = tiny_batch(SHAPE)
    model = tiny_resnet()
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"])

    def evaluated_with_one_trace(evaluated):
        traces = count_traces(evaluated, "test_step")
        logs = evaluated.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
        assert len(traces) == 1
        return logs

    logs = evaluated_with_one_trace(model)
    model.save(tmp_path / "model.keras")
    assert evaluated_with_one_trace(keras.models.load_model(tmp_path / "model.keras")) == pytest.approx(logs)


def test_building_before_the_first_trace_agrees_with_keras_order_to_rounding(monkeypatch):
    from rocket_keras import backends

    x, y = tiny_batch(SHAPE)

    def trained():
        keras.utils.set_random_seed(0)
        model = tiny_resnet()
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"])
        history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        return [w.numpy() for w in model.weights], history.history

    weights, history = trained()
    monkeypatch.setattr(backends, "build_before_tracing", lambda *args: None)  # Keras' own order
    weights_keras_order, history_keras_order = trained()
    # Only the first step's graph differs (it no longer creates variables).
    assert history.keys() == history_keras_order.keys()
    for name in history:
        np.testing.assert_allclose(history[name], history_keras_order[name], rtol=1e-5)
    for a, b in zip(weights, weights_keras_order):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_keras_file_round_trip_keeps_weights_settings_and_optimizer(tmp_path):
    x, y = tiny_batch(SHAPE)
    model = tiny_resnet()
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
        metrics=["accuracy"],
        hint="kd",
        hint_weight=0.5,
        temperature=2.0,
        gradient_block=False,
        light_loss_weight=0.7,
        kd_weight=0.2,
    )
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, rocket_keras.RocketModel)
    assert loaded.rocket_settings == model.rocket_settings
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 2
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(
        model.predict(x, verbose=0)["light"], loaded.predict(x, verbose=0)["light"]
    )
    # Training continues identically from the file.
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    np.testing.assert_allclose(
        model.predict(x, verbose=0)["light"], loaded.predict(x, verbose=0)["light"], atol=1e-5
    )
    assert set(loaded.evaluate(x, y, return_dict=True, verbose=0)) >= {"light_accuracy", "hint_loss", "kd_loss"}


def test_compile_accepts_numpy_numbers():
    model = tiny_resnet()
    model.compile(optimizer="sgd", hint_weight=np.float32(0.05), temperature=np.float64(2.0), kd_weight=np.int64(1))
    assert model.rocket_settings["hint_weight"] == pytest.approx(0.05)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hint": "l2"}, "Valid hints are"),
        ({"hint_weight": -1.0}, "hint_weight"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"hint_weight": "0.03"}, "hint_weight"),
        ({"booster_loss_weight": -0.1}, "booster_loss_weight"),
        ({"kd_weight": -1.0}, "kd_weight"),
        ({"loss": "mse"}, "computes its own loss"),
        ({"metrics": "accuracy"}, "must be a list"),
        ({"weighted_metrics": "accuracy"}, "weighted_metrics"),
    ],
)
def test_compile_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny_resnet().compile(optimizer="sgd", **kwargs)


def test_sample_weights_weight_every_loss_term_as_keras_does():
    model = tiny_resnet()
    model.compile(optimizer="sgd", auto_scale_loss=False)
    x, y = tiny_batch(SHAPE)
    weights = np.linspace(0.0, 2.0, len(x)).astype("float32")
    logs = model.evaluate(x, y, sample_weight=weights, batch_size=len(x), return_dict=True, verbose=0)
    logits = model.predict(x, verbose=0)
    z, l = logits["booster"].astype("float64"), logits["light"].astype("float64")
    rows = np.arange(len(y))
    # Keras' "sum_over_batch_size": sum(w * loss) / batch size.
    expected = {
        "booster_loss": np.sum(weights * -np.log(softmax(z)[rows, y])) / len(x),
        "light_loss": np.sum(weights * -np.log(softmax(l)[rows, y])) / len(x),
        "hint_loss": np.sum(weights * np.sum((l - z) ** 2, axis=-1)) / len(x),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(logs[name], value, rtol=1e-4, err_msg=name)


def test_regularisation_losses_are_added_to_the_total():
    model = tiny_resnet()
    model.compile(optimizer="sgd")
    x, y = tiny_batch(SHAPE)
    plain = model.evaluate(x, y, batch_size=len(x), return_dict=True, verbose=0)["loss"]
    conv = model.get_layer("shared_stem_conv")
    conv.kernel.regularizer = keras.regularizers.L2(0.1)  # as if built with kernel_regularizer
    model.compile(optimizer="sgd")
    regularised = model.evaluate(x, y, batch_size=len(x), return_dict=True, verbose=0)["loss"]
    penalty = 0.1 * np.sum(np.square(conv.kernel.numpy()))
    np.testing.assert_allclose(regularised - plain, penalty, rtol=1e-3)


@pytest.mark.parametrize("share", ["interval", "bottom"])
def test_shared_weights_get_the_hint_gradient_through_the_light_path_only(share):
    import tensorflow as tf

    x, y = tiny_batch(SHAPE)
    model = tiny_resnet(share)
    model.compile(optimizer="sgd", hint_weight=1.0, booster_loss_weight=0.0, light_loss_weight=0.0)
    shared = [w for w in model.trainable_weights if w.path.startswith("shared_")]
    assert shared
    # The booster's logits as a number, computed first: the hint then reaches
    # the shared weights only through the light net.
    target = model(x, training=True)["booster"]
    with tf.GradientTape(persistent=True) as tape:
        y_pred = model(x, training=True)
        blocked = model.compute_loss(x=x, y=y, y_pred=y_pred)
        light_only = tf.reduce_mean(tf.reduce_sum(tf.square(y_pred["light"] - tf.constant(target)), axis=-1))
    light_grads = tape.gradient(light_only, shared)
    for a, b in zip(tape.gradient(blocked, shared), light_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)
    # Without the block, the booster path adds its own part.
    model.compile(optimizer="sgd", hint_weight=1.0, booster_loss_weight=0.0, light_loss_weight=0.0,
                  gradient_block=False)
    with tf.GradientTape() as tape:
        unblocked = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    differences = [np.max(np.abs(a.numpy() - b.numpy()))
                   for a, b in zip(tape.gradient(unblocked, shared), light_grads)]
    assert max(differences) > 1e-4


def test_gradient_block_must_be_a_bool():
    with pytest.raises(ValueError, match="Received: gradient_block='false'"):
        tiny_resnet().compile(optimizer="sgd", gradient_block="false")


def test_switching_the_label_format_is_refused_until_compile_again():
    model = tiny_resnet()
    model.compile(optimizer="sgd", metrics=["accuracy"])
    x, y = tiny_batch(SHAPE)
    model.fit(x, np.eye(10, dtype="float32")[y], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="built for labels as one-hot.*Received: labels as class ids"):
        model.evaluate(x, y, verbose=0)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    predicted = np.argmax(model.predict(x, verbose=0)["light"], -1)
    assert logs["light_accuracy"] == pytest.approx(np.mean(predicted == y))
