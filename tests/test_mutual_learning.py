"""Deep Mutual Learning (the ``dml`` method): its loss against numpy, its stop-gradients, and a DML
pair that saves, reloads and exports its light net alone; KD's alpha and T reach the loss as given."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_batch
from rocket_keras import export_light, from_networks, losses, methods
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


def make_pair(**kwargs):
    return rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8, **kwargs)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def kl(p, q):
    return (p * (np.log(p) - np.log(q))).sum(-1)


def test_dml_builds_an_unshared_pair_with_both_kl_terms():
    pair, fitted = methods.build("dml:mutual_weight=0.5,mutual_temperature=2.0", make_pair,
                                 methods.Recipe().optimizer(10))
    assert fitted is pair and methods.parse("dml").heads == ("light", "booster")
    light = {id(w) for w in pair.light_model().weights}
    assert not any(id(w) in light for w in pair.booster_model().weights), "DML nets share no layer"
    settings = pair.rocket_settings
    assert (settings["hint_weight"], settings["kd_weight"], settings["mutual_weight"], settings["temperature"]) == (
        0.0, 0.5, 0.5, 2.0)
    with pytest.raises(ValueError, match="share 2 weights|share .* weights"):
        methods.mutual_learning(make_pair(share="interval"))


def test_dml_loss_is_each_nets_labels_plus_t_squared_kl_to_the_other_checked_against_numpy():
    x, y = tiny_batch(SHAPE)
    pair = methods.mutual_learning(make_pair(share="none"), "sgd", mutual_weight=0.7, temperature=3.0)
    outputs = pair(x, training=False)
    z, l = (keras.ops.convert_to_numpy(outputs[h]).astype("float64") for h in ("booster", "light"))
    total, means = losses.rocket_loss(y, outputs["booster"], outputs["light"], pair.rocket_settings)
    ce_booster = -np.log(softmax(z)[np.arange(len(y)), y])
    ce_light = -np.log(softmax(l)[np.arange(len(y)), y])
    p_z, p_l = softmax(z / 3), softmax(l / 3)
    # The terms are T^2 cross-entropies: T^2 KL plus the (constant) entropy of the other's softmax.
    entropy = lambda p: -(p * np.log(p)).sum(-1)  # noqa: E731
    np.testing.assert_allclose(float(means["kd_loss"]), np.mean(9 * (kl(p_z, p_l) + entropy(p_z))), rtol=1e-4)
    np.testing.assert_allclose(float(means["mutual_loss"]), np.mean(9 * (kl(p_l, p_z) + entropy(p_l))), rtol=1e-4)
    expected = np.mean(ce_booster + ce_light) + 0.7 * np.mean(9 * (kl(p_z, p_l) + entropy(p_z))) + 0.7 * np.mean(
        9 * (kl(p_l, p_z) + entropy(p_l)))
    np.testing.assert_allclose(float(total), expected, rtol=1e-4)


@pytest.mark.parametrize("term, weight_name", [("kd_loss", "kd_weight"), ("mutual_loss", "mutual_weight")])
def test_each_kl_term_trains_one_net_only(term, weight_name):
    """The light net's KL sends no gradient into the booster, and the booster's none into the light net."""
    x, y = tiny_batch(SHAPE)
    pair = make_pair(share="none")
    pair.compile(optimizer="sgd", hint_weight=0.0, booster_loss_weight=0.0, light_loss_weight=0.0,
                 **{weight_name: 1.0})
    light_ids = {id(w) for w in pair.light_model().trainable_weights}
    with tf.GradientTape() as tape:
        outputs = pair(x, training=True)
        total, _ = losses.rocket_loss(y, outputs["booster"], outputs["light"], pair.rocket_settings)
    grads = tape.gradient(total, pair.trainable_weights)
    reached = {id(w): g is not None and float(tf.reduce_max(tf.abs(g))) > 0
               for w, g in zip(pair.trainable_weights, grads)}
    light_reached = [reached[i] for i in reached if i in light_ids]
    booster_reached = [reached[i] for i in reached if i not in light_ids]
    taught, untouched = (light_reached, booster_reached) if term == "kd_loss" else (booster_reached, light_reached)
    assert any(taught) and not any(untouched)


def test_a_dml_pair_of_own_networks_saves_reloads_and_exports_its_light_net_alone(tmp_path):
    def net(name, width):
        inputs = keras.Input(SHAPE)
        x = keras.layers.Dense(width, activation="relu", name=f"{name}_hidden")(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, keras.layers.Dense(10, name=f"{name}_out")(x), name=name)

    x, y = tiny_batch(SHAPE, batch=32)
    pair = methods.mutual_learning(from_networks(net("big", 64), net("small", 8)), "sgd", metrics=["accuracy"])
    history = pair.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert {"mutual_loss", "kd_loss", "light_accuracy", "booster_accuracy"} <= set(history.history)
    pair.save(tmp_path / "dml.keras")
    loaded = keras.models.load_model(tmp_path / "dml.keras")
    assert loaded.rocket_settings == pair.rocket_settings
    np.testing.assert_allclose(loaded.predict(x, verbose=0)["light"], pair.predict(x, verbose=0)["light"], rtol=1e-5)
    report = export_light(loaded, tmp_path / "light.tflite", representative_data=x)
    assert report.argmax_agreement == 1.0
    assert {w.path for w in loaded.light_model().weights} == {
        "small_hidden/kernel", "small_hidden/bias", "small_out/kernel", "small_out/bias"}


def test_kd_alpha_and_temperature_reach_the_loss_as_given():
    teacher = make_pair().booster_model()
    distiller, _ = methods.build("kd:alpha=0.5,temperature=1.0", make_pair, methods.Recipe().optimizer(10),
                                 teacher=teacher)
    hard, soft = losses.authors_kd_split(0.5, 10)
    assert distiller.student_loss_weight == pytest.approx(hard)
    (term,) = distiller.distillation_losses
    assert term.temperature == 1.0
    # The Distiller's soft weight is scaled by 1 - student_loss_weight: the total is the authors' soft weight.
    assert (1 - distiller.student_loss_weight) * distiller.distillation_loss_weights[0] == pytest.approx(soft)

