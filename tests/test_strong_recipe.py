"""The strong recipe's pieces against hand computations: the one-cycle schedule at its boundaries, label
smoothing's targets, the weight average after a few steps, flip test-time augmentation (and that plain
evaluation does not use it), and a run from Python with all of them."""

import keras
import numpy as np
import pytest

from conftest import tiny_batch
from rocket_keras import data, losses, methods, optimizers, training
from rocket_keras.training import evaluation
from rocket_keras.training.evaluation import flip_tta_accuracy, flip_tta_logits
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


def test_one_cycle_rises_to_its_peak_and_falls_to_zero():
    schedule = optimizers.OneCycle(0.4, total_steps=200, warmup=0.25, start_factor=0.1)
    values = {t: float(schedule(t)) for t in (0, 25, 50, 125, 200, 250)}
    assert values == pytest.approx({0: 0.04, 25: 0.04 + 0.36 * 0.5, 50: 0.4, 125: 0.2, 200: 0.0, 250: 0.0})
    restored = optimizers.OneCycle(**schedule.get_config())
    assert float(restored(125)) == pytest.approx(0.2)
    optimizer = optimizers.recipe_optimizer(200, learning_rate=0.4, schedule="one_cycle", nesterov=True)
    assert isinstance(optimizer._learning_rate, optimizers.OneCycle) and optimizer.nesterov
    with pytest.raises(ValueError, match="schedule"):
        optimizers.recipe_optimizer(200, schedule="cosine")


def test_the_warm_up_fraction_moves_the_one_cycle_peak():
    # --lr_warmup=0.15 over 200 steps: 0.1 x peak at step 0, the peak at step 30, then down to 0 at step 200.
    optimizer = methods.Recipe(epochs=2, learning_rate=0.4, schedule="one_cycle", warmup=0.15).optimizer(100)
    schedule = optimizer._learning_rate
    values = {t: float(schedule(t)) for t in (0, 15, 30, 115, 200)}
    assert values == pytest.approx({0: 0.04, 15: 0.04 + 0.36 * 0.5, 30: 0.4, 115: 0.2, 200: 0.0})
    assert methods.Recipe().warmup == 0.25, "the default peak stays at the first quarter"


@pytest.mark.parametrize("flag, value", [("lr_warmup", 1.0), ("lr_warmup", 0.0), ("lr_warmup", 0.15), ("pad", -1),
                                         ("pad", 2.0)])
def test_a_warm_up_or_pad_out_of_range_is_refused_before_training(tmp_path, flag, value):
    config = training.Config(dataset="synthetic", output_dir=str(tmp_path / "run"), **{flag: value})
    with pytest.raises(training.OptionError, match=f"Received: --{flag}={value}"):
        training.train(config)
    assert not (tmp_path / "run").exists(), "refused before anything is written"


def test_label_smoothing_mixes_the_targets_with_the_uniform_distribution():
    logits = np.array([[2.0, 0.5, -1.0, 0.0]], "float32")
    e = 0.2
    targets = np.array([[1 - e + e / 4, e / 4, e / 4, e / 4]])
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -(targets * log_p).sum(-1)
    for labels in (np.array([0]), np.array([[1.0, 0.0, 0.0, 0.0]], "float32")):
        got = keras.ops.convert_to_numpy(losses.cross_entropy(labels, logits, label_smoothing=e))
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(losses.CrossEntropy(e)(np.array([0]), logits)),
                               expected[0], rtol=1e-5)
    # Rocket's two label terms take the same smoothed targets; the hint has no labels.
    other = logits[:, ::-1].copy()
    terms = losses.rocket_loss_terms(np.array([0]), logits, other, label_smoothing=e)
    log_q = other - np.log(np.exp(other).sum(-1, keepdims=True))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(terms["booster_loss"]), expected, rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(terms["light_loss"]), -(targets * log_q).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(terms["hint_loss"]), keras.ops.convert_to_numpy(
        losses.rocket_loss_terms(np.array([0]), logits, other)["hint_loss"]), rtol=1e-6)
    model, _ = methods.build("rocket", lambda **kw: rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8,
                                                                  **kw), "sgd", label_smoothing=e)
    assert model.rocket_settings["label_smoothing"] == e
    with pytest.raises(ValueError, match="label_smoothing"):
        model.compile(optimizer="sgd", label_smoothing=1.5)


def test_the_weight_average_after_a_few_steps():
    """Keras' EMA: after each step avg <- m * avg + (1 - m) * w; fit leaves the average in the model."""
    x, y = tiny_batch((4,), num_classes=3, batch=8)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    net.compile(optimizer=optimizers.recipe_optimizer(3, learning_rate=0.5, weight_decay=0, momentum=0.0, ema=0.5),
                loss=losses.CrossEntropy())
    trajectory = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            trajectory.append(net.get_layer("d").kernel.numpy().copy())

    start = net.get_layer("d").kernel.numpy().copy()
    net.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Record()], shuffle=False)
    average = start
    for weights in trajectory:  # Keras starts the average at the first step's weights
        average = weights if average is start else 0.5 * average + 0.5 * weights
    np.testing.assert_allclose(net.get_layer("d").kernel.numpy(), average, rtol=1e-5, atol=1e-6)


def test_batch_norm_statistics_are_recomputed_as_the_mean_over_batches():
    from rocket_keras.callbacks import recompute_batch_norm_statistics

    rng = np.random.default_rng(0)
    batches = [rng.normal(k, 1.0 + k, size=(16, 3)).astype("float32") for k in range(4)]
    net = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(momentum=0.9, name="bn"),
                            keras.layers.Dense(2, name="d")])
    kernel = net.get_layer("d").kernel.numpy().copy()
    recompute_batch_norm_statistics(net, [(b, np.zeros(16)) for b in batches], steps=3)
    bn = net.get_layer("bn")
    np.testing.assert_allclose(bn.moving_mean.numpy(), np.mean([b.mean(0) for b in batches[:3]], 0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), np.mean([b.var(0) for b in batches[:3]], 0), rtol=1e-5)
    assert bn.momentum == 0.9  # restored
    np.testing.assert_array_equal(net.get_layer("d").kernel.numpy(), kernel)  # nothing else moves


def test_after_a_weight_average_the_batch_norm_statistics_are_the_averaged_weights_own():
    from rocket_keras.callbacks import RecomputeBatchNormStatistics

    x, y = tiny_batch((4,), num_classes=3, batch=32)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, name="d"),
                            keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(3)])
    net.compile(optimizer=optimizers.recipe_optimizer(4, learning_rate=0.5, weight_decay=0, ema=0.5),
                loss=losses.CrossEntropy())
    batches = [(x[:16], y[:16]), (x[16:], y[16:])]
    net.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False,
            callbacks=[RecomputeBatchNormStatistics(batches, steps=None)])
    dense = net.get_layer("d")
    features = [b[0] @ dense.kernel.numpy() + dense.bias.numpy() for b in batches]  # the averaged weights'
    np.testing.assert_allclose(net.get_layer("bn").moving_mean.numpy(), np.mean([f.mean(0) for f in features], 0),
                               rtol=1e-4, atol=1e-5)


def test_flip_tta_averages_an_image_and_its_mirror_and_plain_evaluation_does_not():
    keras.utils.set_random_seed(0)
    pair = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    light = pair.light_model()
    x, y = tiny_batch(SHAPE, batch=8)
    logits = flip_tta_logits(light, x)
    assert logits.shape == (8, 10)
    softmax = lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)  # noqa: E731
    plain, mirrored = light.predict(x, verbose=0), light.predict(x[:, :, ::-1], verbose=0)
    np.testing.assert_allclose(np.exp(logits), (softmax(plain) + softmax(mirrored)) / 2, rtol=1e-4, atol=1e-6)
    dataset = [(x, y)]
    assert flip_tta_accuracy(light, dataset) == np.mean(logits.argmax(-1) == y)
    # Keras' own evaluation stays plain: the unflipped arg-max.
    light.compile(metrics=["accuracy"], loss=losses.CrossEntropy())
    assert light.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == pytest.approx(
        float(np.mean(plain.argmax(-1) == y)))


def test_a_dml_run_with_the_strong_recipe_options_records_both_heads_and_tta_apart(tmp_path, monkeypatch):
    """One run for two things: every strong-recipe option, and a dml run through train (both heads, light.keras)."""
    # The TTA evaluation (checked against numpy above) answers a value no plain accuracy can take here
    # (256 test images): where it lands in the record shows that it is kept apart.
    tta_calls = []
    monkeypatch.setattr(evaluation, "flip_tta_accuracy", lambda net, dataset: tta_calls.append(net.name) or 0.1234)
    config = training.Config(dataset="synthetic", model="resnet14-resnet8", epochs=1, train_size=128, batch_size=64,
                             validation_size=256, verbose=0, export=False, output_dir=str(tmp_path), lr_schedule="one_cycle",
                             nesterov=True, ema=0.9, label_smoothing=0.1, tta=True, method="dml:mutual_weight=0.5",
                             batch_augment=True, cutout=4, padding="reflect", pad=2, lr_warmup=0.2)
    record = training.train(config)
    assert record["light_test_accuracy_tta"] == record["booster_test_accuracy_tta"] == 0.1234
    assert len(tta_calls) == 2
    assert record["flags"]["lr_schedule"] == "one_cycle" and record["flags"]["label_smoothing"] == 0.1
    assert record["flags"]["batch_augment"] and record["flags"]["cutout"] == 4
    assert record["flags"]["pad"] == 2 and record["flags"]["lr_warmup"] == 0.2
    assert record["method"] == "dml:mutual_weight=0.5"
    assert 0 <= record["light_test_accuracy"] <= 1 and 0 <= record["booster_test_accuracy"] <= 1
    assert 0 <= record["light_validation_accuracy"] <= 1 and 0 <= record["booster_validation_accuracy"] <= 1
    assert (tmp_path / "light.keras").exists() and record["light_weights"]["sha256"]
    # The saved model is the averaged one (the last epoch's checkpoint held the raw weights).
    saved = keras.saving.load_model(tmp_path / "model.keras")
    light = keras.saving.load_model(tmp_path / "light.keras")
    np.testing.assert_array_equal(saved.light_model().get_weights()[0], light.get_weights()[0])
    # Plain test accuracy is the saved light net's unflipped arg-max: TTA is not mixed in.
    test = data.load("synthetic", batch_size=64, validation_size=256, train_size=128).test
    hits = np.concatenate([np.argmax(light.predict(x, verbose=0), -1) == np.asarray(y) for x, y in test])
    assert len(hits) == 256 and record["light_test_accuracy"] == pytest.approx(hits.mean(), abs=1e-6)


def _crops_of(image, pad, padding):
    """Every crop of ``image`` padded by ``pad``, and its mirror: what the crop-and-flip may give."""
    mode = "symmetric" if padding == "reflect" else "constant"
    padded = np.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode=mode)
    height, width = image.shape[:2]
    crops = [padded[i:i + height, j:j + width] for i in range(2 * pad + 1) for j in range(2 * pad + 1)]
    return crops + [c[:, ::-1] for c in crops]


@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_batch_augmentation_gives_each_image_a_crop_of_its_own_and_reaches_every_offset(padding):
    import tensorflow as tf

    from rocket_keras import data

    images = np.random.default_rng(0).random((64, 6, 5, 2)).astype("float32")
    tf.random.set_seed(0)
    out = data.augment_batch(tf.constant(images), pad=2, padding=padding, seed=0).numpy()
    assert out.shape == images.shape
    seen = set()
    for image, augmented in zip(images, out):
        matches = [k for k, crop in enumerate(_crops_of(image, 2, padding)) if np.array_equal(crop, augmented)]
        assert matches, "each output is a crop (maybe mirrored) of its own padded image"
        seen.update(matches)
    assert len(seen) > 30, "offsets and flips vary between the images of a batch"


@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_pad_sets_the_largest_shift_of_the_per_image_crop(padding):
    import tensorflow as tf

    images = np.random.default_rng(1).random((40, 6, 5, 2)).astype("float32")
    tf.random.set_seed(0)
    for pad in (1, 2):
        for image in images:
            augmented = data.pad_crop_flip(tf.constant(image), pad=pad, padding=padding).numpy()
            assert any(np.array_equal(crop, augmented) for crop in _crops_of(image, pad, padding))
    with pytest.raises(ValueError, match="Received: pad=-1"):
        data.load("synthetic", pad=-1)


def _deepest_black_border(images):
    """The most all-black rows or columns any image of ``images`` has along one of its edges."""
    black = (np.asarray(images) == 0).all(-1)  # the synthetic images have no black pixel of their own
    return max(max(np.nonzero(~side.all(-1))[0][0] for side in (b, b[::-1], b.T, b.T[::-1])) for b in black)


def test_a_runs_splits_augment_as_its_config_says_and_not_at_all_when_measured():
    smoke = dict(dataset="synthetic", batch_size=64, validation_size=64, train_size=128, augment=True, padding="zeros")

    def images(config, augment=True):
        return np.concatenate([x.numpy() for x, _ in training.load_splits(config, augment=augment).train])

    def as_set(batch):
        return {image.tobytes() for image in batch}

    plain = as_set(np.concatenate([x.numpy() for x, _ in data.load("synthetic", batch_size=64, validation_size=64,
                                                                    train_size=128, augment=False).train]))
    for pad in (0, 3):  # --pad reaches the data, per image and per batch: zero padding shifts in pad black rows at most
        for batch_augment in (False, True):
            config = training.Config(**smoke, pad=pad, batch_augment=batch_augment)
            augmented = images(config)
            assert _deepest_black_border(augmented) == pad
            if pad:
                assert as_set(augmented) != plain
            # Measured as they are: the same images as an un-augmented load, whatever the config augments.
            assert as_set(images(config.replace(cutout=4) if batch_augment else config, augment=False)) == plain


def test_cutout_zeroes_one_square_of_its_size_in_each_image():
    import tensorflow as tf

    from rocket_keras import data

    ones = tf.ones((32, 12, 12, 3))
    out = data.augment_batch(ones, pad=0, flip=False, cutout=4, seed=1).numpy()
    holes = (out == 0).all(-1)
    for hole in holes:  # a 4 x 4 square, fewer pixels only where it is clipped at the border
        rows, columns = np.nonzero(hole)
        assert 0 < hole.sum() <= 16 and hole.sum() == (np.ptp(rows) + 1) * (np.ptp(columns) + 1)
        assert np.ptp(rows) < 4 and np.ptp(columns) < 4
    assert (holes.sum((1, 2)) == 16).any()
    with pytest.raises(ValueError, match="Received: cutout=-1"):
        data.augment_batch(ones, cutout=-1)


def test_cutout_needs_batch_augmentation(tmp_path):
    config = training.Config(dataset="synthetic", cutout=8, output_dir=str(tmp_path / "run"))
    with pytest.raises(training.OptionError, match="add --batch_augment. Received: --cutout=8"):
        training.train(config)
    assert not (tmp_path / "run").exists(), "refused before anything is written"
