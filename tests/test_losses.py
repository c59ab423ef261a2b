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
