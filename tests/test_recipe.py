"""The paper recipe's options: schedule, coupled L2, momentum reset, KD weighting,
rocket + KD from a frozen teacher, stem-only sharing, input normalisation,
reflect padding and the host-side data check. Each is checked against an
independent computation in numpy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_batch
from rocket_keras import baselines, data, input_checks, losses
from rocket_keras.optimizers import SGD, StepDecay, drop_steps, recipe_optimizer
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 3)


def softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_step_decay_drops_exactly_at_its_boundaries():
    schedule = StepDecay(0.1, boundaries=[30, 60, 80], factor=0.2)
    expected = {0: 0.1, 29: 0.1, 30: 0.02, 59: 0.02, 60: 0.004, 79: 0.004, 80: 0.0008, 10_000: 0.0008}
    for step, rate in expected.items():
        np.testing.assert_allclose(float(schedule(step)), rate, rtol=1e-6, err_msg=f"step {step}")


def test_drop_steps_are_fractions_of_training_and_the_paper_recipe_has_three():
    # 15 epochs of 352 steps: the authors' 60/120/160 of 200 epochs.
    assert drop_steps(15 * 352, [0.3, 0.6, 0.8]) == [1584, 3168, 4224]
    assert drop_steps(2, [0.3, 0.6]) == [1, 1]  # short runs: both drops on one step
    with pytest.raises(ValueError, match="between 0 and 1"):
        drop_steps(100, [0.5, 1.0])


def one_variable_steps(optimizer, w0, gradients):
    """Applies ``gradients`` one by one to a variable starting at ``w0``; returns its values."""
    w = keras.Variable(np.array(w0, "float32"))
    values = []
    for g in gradients:
        optimizer.apply([keras.ops.convert_to_tensor(np.array(g, "float32"))], [w])
        values.append(w.numpy().copy())
    return values


def torch_sgd(w0, gradients, rates, momentum, l2, reset_at=()):
    """PyTorch's SGD(weight_decay=l2) with a new optimizer at ``reset_at``, in numpy."""
    w, buf, values = np.array(w0, "float64"), None, []
    for step, (g, lr) in enumerate(zip(gradients, rates)):
        d = np.array(g) + l2 * w
        buf = d if buf is None or step in reset_at else momentum * buf + d
        w = w - lr * buf
        values.append(w.copy())
    return values


def test_coupled_l2_and_momentum_reset_match_pytorch_sgd():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=5)
    gradients = rng.normal(size=(8, 5))
    schedule = StepDecay(0.1, [3, 6], factor=0.2)
    optimizer = SGD(schedule, momentum=0.9, l2=5e-2, reset_momentum_at=schedule.boundaries)
    rates = [float(schedule(i)) for i in range(8)]
    expected = torch_sgd(w0, gradients, rates, 0.9, 5e-2, reset_at=(3, 6))
    np.testing.assert_allclose(one_variable_steps(optimizer, w0, gradients), expected, rtol=1e-5)
    # Without the reset the trajectory differs after the first drop: the reset is real.
    no_reset = torch_sgd(w0, gradients, rates, 0.9, 5e-2)
    assert not np.allclose(expected[3], no_reset[3])


def test_coupled_l2_equals_a_half_l2_loss_term_on_every_weight():
    # The same model trained one step (a) with SGD(l2) and (b) with plain SGD on
    # loss + l2 / 2 * sum(w**2) over every variable, BatchNorm included.
    x, y = tiny_batch(SHAPE, batch=8)

    def build():
        keras.utils.set_random_seed(1)
        return rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8).light_model()

    a = build()
    a.compile(optimizer=SGD(0.1, l2=0.01), loss=baselines.CROSS_ENTROPY)
    a.train_on_batch(x, y)

    b = build()

    class WithL2(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.005 * sum(keras.ops.sum(keras.ops.square(w)) for w in self.trainable_weights)

    b = WithL2(b.input, b.output)
    b.compile(optimizer=keras.optimizers.SGD(0.1), loss=baselines.CROSS_ENTROPY)
    b.train_on_batch(x, y)
    gammas = [w for w in a.trainable_weights if "gamma" in w.path]
    assert gammas  # BatchNorm scales are among the penalised weights
    for wa, wb in zip(a.trainable_weights, b.trainable_weights):
        np.testing.assert_allclose(wa.numpy(), wb.numpy(), rtol=1e-4, atol=1e-6, err_msg=wa.path)


def test_recipe_optimizer_round_trips_through_its_config():
    optimizer = recipe_optimizer(100, drops_at=(0.3, 0.6, 0.8), drop_factor=0.2, weight_decay=0, l2=5e-4,
                                 reset_momentum=True)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, SGD)
    assert (restored.l2, restored.reset_momentum_at) == (5e-4, [30, 60, 80])
    assert isinstance(restored._learning_rate, StepDecay)
    np.testing.assert_allclose(float(restored._learning_rate(60)), 0.004, rtol=1e-6)


def test_decoupled_decay_keeps_skipping_batchnorm_and_biases_after_a_config_round_trip():
    optimizer = recipe_optimizer(100, weight_decay=0.1)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert restored.exclude_from_weight_decay_names == ("gamma", "beta", "bias")
    layer = keras.layers.Dense(2, bias_initializer="ones")
    norm = keras.layers.BatchNormalization()
    layer.build((None, 2))
    norm.build((None, 2))
    variables = [layer.kernel, layer.bias, norm.gamma]
    before = [v.numpy().copy() for v in variables]
    restored.apply_gradients([(keras.ops.zeros_like(v), v) for v in variables])
    # A zero gradient leaves only the decay: it shrinks the kernel and skips the rest.
    np.testing.assert_allclose(layer.kernel.numpy(), before[0] * (1 - 0.1 * 0.1), rtol=1e-6)
    np.testing.assert_array_equal(layer.bias.numpy(), before[1])
    np.testing.assert_array_equal(norm.gamma.numpy(), before[2])


def test_coupled_l2_can_leave_batchnorm_and_biases_out_and_keeps_that_after_a_config_round_trip():
    layer = keras.layers.Dense(2, bias_initializer="ones")
    norm = keras.layers.BatchNormalization()
    layer.build((None, 2))
    norm.build((None, 2))
    variables = [layer.kernel, layer.bias, norm.gamma, norm.beta]
    for l2_norm_and_bias, penalised in ((True, [True] * 4), (False, [True, False, False, False])):
        optimizer = recipe_optimizer(100, learning_rate=0.1, weight_decay=0, l2=0.5, l2_norm_and_bias=l2_norm_and_bias)
        restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
        assert restored.exclude_from_l2_names == (() if l2_norm_and_bias else ("gamma", "beta", "bias"))
        before = [v.numpy().copy() for v in variables]
        restored.apply_gradients([(keras.ops.ones_like(v), v) for v in variables])
        # One SGD step from zero momentum: w - lr * (g + l2 * w) where penalised, w - lr * g elsewhere.
        for variable, w, with_l2 in zip(variables, before, penalised):
            expected = w - 0.1 * (1.0 + (0.5 * w if with_l2 else 0.0))
            np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-6, err_msg=variable.path)
    with pytest.raises(ValueError, match="Received: exclude_from_l2_names='bias'"):
        SGD(0.1, l2=5e-4, exclude_from_l2_names="bias")


def test_authors_kd_weighting_matches_their_formula():
    # Their distillation(): kl_div(log_softmax(l/T), softmax(z/T)) [mean over batch
    # and classes] * T^2 * 2 * alpha + cross_entropy * (1 - alpha).
    x, y = tiny_batch(SHAPE, batch=16)
    teacher = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8).booster_model()
    student = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8).light_model()
    alpha, t, classes = 0.9, 4.0, 10
    distiller = baselines.knowledge_distillation(
        teacher, student, t, student_loss_weight=1 - alpha, distillation_loss_weight=2 / classes
    )
    logs = distiller.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    z, l = teacher.predict(x, verbose=0), student.predict(x, verbose=0)
    pt, ps = softmax(z / t), softmax(l / t)
    kl_mean_over_batch_and_classes = np.mean(pt * np.log(pt / ps))
    ce = -np.mean(np.log(softmax(l)[np.arange(16), y]))
    expected = kl_mean_over_batch_and_classes * t * t * 2 * alpha + ce * (1 - alpha)
    np.testing.assert_allclose(logs["total_loss"], expected, rtol=1e-3)
    assert losses.authors_kd_weight(0.9, 10) == pytest.approx(0.18)


def test_rocket_kd_from_a_frozen_teacher_leaves_the_teacher_unchanged():
    x, y = tiny_batch(SHAPE, batch=8)
    teacher = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8).booster_model()
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8)
    model.compile(optimizer=SGD(0.1, momentum=0.9), teacher=teacher, teacher_kd_weight=0.18)
    before = [w.numpy().copy() for w in teacher.weights]  # BatchNorm statistics included
    logs = model.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, teacher.weights))
    assert not any(id(w) in {id(v) for v in model.weights} for w in teacher.weights)
    assert "teacher_kd_loss" in logs
    # The term is T^2 H(softmax(t/T), softmax(l/T)) of the teacher in inference mode.
    logs = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
    pt = softmax(teacher.predict(x, verbose=0) / 4.0)
    log_ps = np.log(softmax(model.predict(x, verbose=0)["light"] / 4.0))
    np.testing.assert_allclose(logs["teacher_kd_loss"], -16.0 * np.mean(np.sum(pt * log_ps, -1)), rtol=1e-4)


def test_teacher_arguments_are_checked():
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8)
    with pytest.raises(ValueError, match="go together"):
        model.compile(optimizer="sgd", teacher_kd_weight=0.18)
    with pytest.raises(ValueError, match="shares weights"):
        model.compile(optimizer="sgd", teacher=model.booster_model(), teacher_kd_weight=0.18)
    other = rocket_resnet(input_shape=SHAPE, num_classes=5, booster_depth=8, light_depth=8).booster_model()
    with pytest.raises(ValueError, match="10 classes"):
        model.compile(optimizer="sgd", teacher=other, teacher_kd_weight=0.18)


def test_a_saved_rocket_kd_model_loads_with_a_warning_and_no_teacher(tmp_path):
    teacher = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8).booster_model()
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8)
    model.compile(optimizer="sgd", teacher=teacher, teacher_kd_weight=0.18)
    x, y = tiny_batch(SHAPE, batch=4)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match="teacher"):
        loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.teacher is None and loaded.rocket_settings["teacher_kd_weight"] == 0.0
    assert len(loaded.weights) == len(model.weights)  # the teacher was not saved inside


def test_stem_sharing_shares_the_stem_only():
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8, share="stem")
    shared = {w.path for w in model.light_model().weights} & {w.path for w in model.booster_model().weights}
    assert shared == {w.path for w in model.get_layer("shared_stem_conv").weights}
    owners = {layer.name.split("_")[0] for layer in model.layers if layer.weights}
    assert owners == {"shared", "booster", "light"}


def test_input_normalization_is_a_layer_of_both_nets_and_computes_x_minus_mean_over_std():
    mean, std = data.CIFAR10_CHANNEL_STATS
    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8, input_normalization=(mean, std))
    layer = model.get_layer("shared_input_normalization")
    assert layer in model.light_model().layers and layer in model.booster_model().layers
    x = np.random.default_rng(0).random((2,) + SHAPE).astype("float32")
    np.testing.assert_allclose(layer(x), (x - np.array(mean)) / np.array(std), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="Received: input_normalization"):
        rocket_resnet(input_shape=SHAPE, input_normalization=((0.5, 0.5), (0.2, 0.2)))


def test_reflect_padding_mirrors_the_border_and_zero_padding_does_not():
    image = np.arange(1, 17, dtype="float32").reshape(4, 4, 1)
    # numpy's "symmetric" repeats the edge pixel, like OpenCV's BORDER_REFLECT.
    mirrored = np.pad(image, [(2, 2), (2, 2), (0, 0)], mode="symmetric")
    windows = {mirrored[i:i + 4, j:j + 4].tobytes() for i in range(5) for j in range(5)}
    tf.random.set_seed(0)
    reflected = [pad_crop(image, "reflect") for _ in range(30)]
    assert all(crop.tobytes() in windows for crop in reflected)
    assert len({crop.tobytes() for crop in reflected}) > 5  # the crop position varies
    zeros = np.stack([pad_crop(image, "zeros") for _ in range(30)])
    assert zeros.min() == 0  # some crops reach into the black border
    with pytest.raises(ValueError, match="Received: padding='wrap'"):
        data.pad_crop_flip(tf.constant(image), padding="wrap")


def pad_crop(image, padding):
    return data.pad_crop_flip(tf.constant(image), flip=False, pad=2, padding=padding).numpy()


def test_check_dataset_refuses_bad_labels_and_non_finite_inputs():
    x, y = tiny_batch(SHAPE, batch=8)
    ok = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    input_checks.check_dataset(ok, 10)
    bad_labels = y.copy()
    bad_labels[6] = 10
    with pytest.raises(ValueError, match=r"class ids in \[0, 10\). Received: label 10 at position 2 of batch 1"):
        input_checks.check_dataset(tf.data.Dataset.from_tensor_slices((x, bad_labels)).batch(4), 10)
    bad_x = x.copy()
    bad_x[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf. Received: a non-finite value of batch 0"):
        input_checks.check_dataset(tf.data.Dataset.from_tensor_slices((bad_x, y)).batch(4), 10)


def test_a_model_compiled_with_the_recipe_optimizer_loads_in_a_fresh_process(tmp_path):
    import subprocess
    import sys

    model = rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)
    model.compile(optimizer=recipe_optimizer(10, drops_at=(0.3, 0.6), l2=5e-4, weight_decay=0, reset_momentum=True))
    x, y = tiny_batch(SHAPE)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    code = (
        "import keras, rocket_keras, sys; m = keras.models.load_model(sys.argv[1]); "
        "print(type(m.optimizer).__name__, m.optimizer.l2, m.optimizer.reset_momentum_at, int(m.optimizer.iterations))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.keras")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SGD 0.0005 [3, 6] 1" in result.stdout  # class, settings and the step count all restored


def test_a_teacher_must_be_one_net_of_logits_on_the_same_inputs():
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8)
    with pytest.raises(ValueError, match="booster_model"):
        model.compile(optimizer="sgd", teacher=rocket_resnet(input_shape=SHAPE), teacher_kd_weight=0.18)
    other_inputs = rocket_resnet(input_shape=(8, 8, 3), booster_depth=8, light_depth=8).booster_model()
    with pytest.raises(ValueError, match="inputs of shape"):
        model.compile(optimizer="sgd", teacher=other_inputs, teacher_kd_weight=0.18)
    inputs = keras.Input(SHAPE)
    softmax = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="ends in a softmax"):
        model.compile(optimizer="sgd", teacher=softmax, teacher_kd_weight=0.18)
