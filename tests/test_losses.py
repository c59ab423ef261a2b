"""The hint losses and the rocket loss against hand-computed numpy values."""

import numpy as np
import pytest
from keras import ops

from rocket_keras import losses

L = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], dtype="float32")
Z = np.array([[2.0, 0.0, -1.0], [1.0, 1.0, 1.0]], dtype="float32")


def softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_logits_mse_is_the_squared_l2_distance_summed_over_classes():
    # The paper's ||l - z||^2: a sum over classes, not a mean (which would
    # make lambda = 0.03 ten times weaker on 10 classes).
    expected = ((L - Z) ** 2).sum(-1)
    np.testing.assert_allclose(ops.convert_to_numpy(losses.logits_mse(L, Z)), expected, rtol=1e-6)


def test_softmax_mse():
    expected = ((softmax(L) - softmax(Z)) ** 2).sum(-1)
    np.testing.assert_allclose(ops.convert_to_numpy(losses.softmax_mse(L, Z)), expected, rtol=1e-5)


@pytest.mark.parametrize("t", [1.0, 4.0])
def test_kd_is_t_squared_cross_entropy(t):
    expected = -(t**2) * (softmax(Z / t) * np.log(softmax(L / t))).sum(-1)
    np.testing.assert_allclose(ops.convert_to_numpy(losses.kd(L, Z, t)), expected, rtol=1e-5)


def test_cross_entropy_sparse_and_one_hot_agree():
    y = np.array([2, 1])
    expected = -np.log(softmax(L)[np.arange(2), y])
    for labels in (y, y[:, None], np.eye(3, dtype="float32")[y]):
        np.testing.assert_allclose(
            ops.convert_to_numpy(losses.cross_entropy(labels, L)), expected, rtol=1e-5
        )


def test_rocket_loss_terms():
    y = np.array([0, 1])
    terms = losses.rocket_loss_terms(y, Z, L, hint="logits_mse")
    np.testing.assert_allclose(
        ops.convert_to_numpy(terms["booster_loss"]), -np.log(softmax(Z)[np.arange(2), y]), rtol=1e-5
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(terms["light_loss"]), -np.log(softmax(L)[np.arange(2), y]), rtol=1e-5
    )
    np.testing.assert_allclose(ops.convert_to_numpy(terms["hint_loss"]), ((L - Z) ** 2).sum(-1), rtol=1e-6)


def test_unknown_hint_lists_valid_ones():
    with pytest.raises(ValueError, match="kd.*logits_mse.*softmax_mse.*Received: hint='l2'"):
        losses.get_hint("l2")


def standardized(a):
    centered = a - a.mean(-1, keepdims=True)
    return centered / centered.std(-1, keepdims=True)


def test_standardized_hint_against_numpy_and_blind_to_the_logits_scale_and_shift():
    rng = np.random.default_rng(0)
    light, booster = rng.normal(size=(4, 10)).astype("float32"), 5 * rng.normal(size=(4, 10)).astype("float32")
    expected = ((standardized(light) - standardized(booster)) ** 2).sum(-1)
    hint = losses.standardized_logits_mse
    np.testing.assert_allclose(ops.convert_to_numpy(hint(light, booster)), expected, rtol=1e-4)
    # Both vectors scaled by 10 and shifted by 3: the hint does not move.
    np.testing.assert_allclose(ops.convert_to_numpy(hint(10 * light + 3, 10 * booster + 3)), expected, rtol=1e-4)
    # 2 C (1 - r): r the per-example correlation of the two vectors.
    r = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(light, booster)])
    np.testing.assert_allclose(expected, 2 * light.shape[-1] * (1 - r), rtol=1e-4)
    # The raw logits hint grows 100-fold under the same scaling.
    np.testing.assert_allclose(ops.convert_to_numpy(losses.logits_mse(10 * light, 10 * booster)),
                               100 * ((light - booster) ** 2).sum(-1), rtol=1e-4)
    # A constant vector has no spread: it standardises to zeros, not NaN.
    constant = np.ones((1, 10), "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(hint(light[:1], constant)), [10.0], rtol=1e-4)


def test_rocket_loss_weighs_every_term_and_adds_the_teacher_term_only_when_weighted():
    y = np.array([0, 1])
    teacher = np.array([[0.5, 0.5, 0.0], [2.0, -1.0, 0.0]], dtype="float32")
    settings = {"hint": "logits_mse", "temperature": 4.0, "gradient_block": True, "hint_weight": 0.03,
                "booster_loss_weight": 1.0, "light_loss_weight": 0.5, "kd_weight": 0.2, "teacher_kd_weight": 0.18,
                "mutual_weight": 0.4}
    total, means = losses.rocket_loss(y, Z, L, settings, teacher_logits=teacher)
    assert set(means) == set(losses.TERMS)
    expected = {
        "booster_loss": np.mean(-np.log(softmax(Z)[np.arange(2), y])),
        "light_loss": np.mean(-np.log(softmax(L)[np.arange(2), y])),
        "hint_loss": np.mean(((L - Z) ** 2).sum(-1)),
        "kd_loss": np.mean(-16 * (softmax(Z / 4) * np.log(softmax(L / 4))).sum(-1)),
        "teacher_kd_loss": np.mean(-16 * (softmax(teacher / 4) * np.log(softmax(L / 4))).sum(-1)),
        "mutual_loss": np.mean(-16 * (softmax(L / 4) * np.log(softmax(Z / 4))).sum(-1)),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(float(ops.convert_to_numpy(means[name])), value, rtol=1e-5)
    weighted = sum(settings[losses.TERM_WEIGHTS[name]] * value for name, value in expected.items())
    np.testing.assert_allclose(float(ops.convert_to_numpy(total)), weighted, rtol=1e-5)
    # Weight 0: the term is neither computed nor returned, teacher or not.
    _, means = losses.rocket_loss(y, Z, L, {**settings, "kd_weight": 0.0, "teacher_kd_weight": 0.0, "mutual_weight": 0.0},
                                  teacher_logits=teacher)
    assert set(means) == set(losses.ALWAYS_LOGGED)


def test_batch_mean_is_keras_sum_over_batch_size():
    np.testing.assert_allclose(float(ops.convert_to_numpy(losses.batch_mean(np.array([1.0, 3.0])))), 2.0)
    weighted = losses.batch_mean(np.array([1.0, 3.0]), sample_weight=np.array([1.0, 0.0]))
    np.testing.assert_allclose(float(ops.convert_to_numpy(weighted)), 0.5)


def test_the_authors_kd_split_is_one_minus_alpha_and_two_alpha_over_classes():
    hard, soft = losses.authors_kd_split(0.9, 10)
    assert hard == pytest.approx(0.1) and soft == pytest.approx(0.18)
