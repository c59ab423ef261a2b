"""rocket_keras.methods: one vocabulary of training methods, and what each builds."""

import keras
import pytest

from conftest import tiny_batch
from rocket_keras import RocketModel, methods
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


def make_pair(**kwargs):
    return rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8, **kwargs)


@pytest.mark.parametrize("spec, slug", [
    ("light", "light"),
    ("rocket:share=none,hint_weight=0.01", "rocket_hint_weight=0.01,share=none"),
    ("kd:alpha=0.9", "kd_alpha=0.9"),
    ("rocket:gradient_block=False", "rocket_gradient_block=False"),
])
def test_specs_are_canonical_and_their_slugs_read_back(spec, slug):
    method = methods.parse(spec)
    assert method.slug == slug
    assert methods.from_slug(slug) == method
    assert methods.parse(method.spec) == method


def test_parameters_are_typed_and_checked():
    method = methods.parse("rocket:gradient_block=False,hint_weight=0.01,share=stem")
    assert method.get("gradient_block") is False and method.get("hint_weight") == 0.01 and method.get("share") == "stem"
    with pytest.raises(ValueError, match="Valid methods"):
        methods.parse("rockets")
    with pytest.raises(ValueError, match="takes parameters"):
        methods.parse("kd:hint_weight=0.1")


def test_which_methods_need_a_teacher_and_train_which_heads():
    assert [methods.parse(s).needs_teacher for s in ("kd", "mimic", "rocket", "rocket:teacher_alpha=0.9", "light")] == [
        True, True, False, True, False]
    assert methods.parse("rocket").heads == ("light", "booster")
    assert methods.parse("booster").heads == ("booster",)
    assert methods.parse("kd").heads == ("light",)


def test_build_compiles_each_method_with_its_parameters_over_the_defaults():
    optimizer = methods.Recipe(epochs=1).optimizer(10)
    model, pair = methods.build("rocket:hint_weight=0.01,share=none", make_pair, optimizer,
                                defaults={"hint_weight": 0.03, "temperature": 2.0})
    assert model is pair and isinstance(model, RocketModel)
    assert model.rocket_settings["hint_weight"] == 0.01  # the spec wins over the defaults
    assert model.rocket_settings["temperature"] == 2.0  # a default the spec leaves alone
    assert not any(layer.name.startswith("shared_") for layer in model.layers)  # share=none was built
    light, _ = methods.build("light", make_pair, methods.Recipe().optimizer(10))
    assert light.name.endswith("_light")
    x, y = tiny_batch(SHAPE)
    light.fit(x, y, epochs=1, verbose=0)


def test_kd_with_the_authors_alpha_and_rocket_with_a_frozen_teacher():
    teacher = make_pair().booster_model()
    distiller, _ = methods.build("kd:alpha=0.9", make_pair, methods.Recipe().optimizer(10), teacher=teacher)
    assert isinstance(distiller, keras.distillation.Distiller)
    assert distiller.student_loss_weight == pytest.approx(0.1)
    assert distiller.distillation_loss_weights == [pytest.approx(0.2)]
    rocket, _ = methods.build("rocket:teacher_alpha=0.9", make_pair, methods.Recipe().optimizer(10), teacher=teacher)
    assert rocket.teacher is teacher and rocket.rocket_settings["teacher_kd_weight"] == pytest.approx(0.18)
    with pytest.raises(ValueError, match="needs a trained booster"):
        methods.build("mimic", make_pair, methods.Recipe().optimizer(10))


@pytest.mark.parametrize("student_loss_weight, temperature", [(0.9, 4.0), (0.5, 1.0), (0.1, 4.0)])
def test_kd_weight_and_temperature_reach_the_distiller_as_given(student_loss_weight, temperature):
    # The KD grid of issue 29: Hinton's weighting, hard-label weight w and soft weight 1 - w on T^2 KL.
    spec = f"kd:student_loss_weight={student_loss_weight},temperature={temperature}"
    distiller, _ = methods.build(spec, make_pair, methods.Recipe().optimizer(10), teacher=make_pair().booster_model())
    assert distiller.student_loss_weight == pytest.approx(student_loss_weight)
    assert distiller.distillation_loss_weights == [pytest.approx(1.0)]
    assert [loss.temperature for loss in distiller.distillation_losses] == [pytest.approx(temperature)]


def test_a_method_may_set_its_own_learning_rate():
    recipe = methods.Recipe(learning_rate=0.1)
    assert float(recipe.optimizer(10).learning_rate) == pytest.approx(0.1)
    assert float(recipe.optimizer(10, methods.parse("mimic:learning_rate=0.03")).learning_rate) == pytest.approx(0.03)


def test_a_method_may_set_its_own_l2_and_weight_decay():
    optimizer = methods.Recipe(weight_decay=5e-4).optimizer(10, methods.parse("rocket:l2=0.0005,weight_decay=0"))
    assert optimizer.l2 == 5e-4 and not optimizer.weight_decay
    assert methods.parse("rocket:l2=0.0005,weight_decay=0").slug == "rocket_l2=0.0005,weight_decay=0"


@pytest.mark.parametrize("spec, match", [
    ("rocket:gradient_block=false", "must be True or False. Received: gradient_block='false'"),
    ("rocket:hint_weight=abc", "must be a number. Received: hint_weight='abc'"),
    ("rocket:share=1", r"must be one of \('bottom', 'interval', 'stem', 'none'\). Received: share=1"),
    ("rocket:share=sideways", "must be one of .*Received: share='sideways'"),
    ("rocket:hint=l2", "must be one of .*standardized_logits_mse.*Received: hint='l2'"),
    ("rocket:hint_weight=0.01,hint_weight=0.02", "given twice"),
])
def test_parameter_values_are_checked_when_the_spec_is_read(spec, match):
    with pytest.raises(ValueError, match=match):
        methods.parse(spec)


def test_flags_are_made_from_the_declared_parameters():
    from absl import flags

    flag_values = flags.FlagValues()
    names = methods.define_flags(flag_values)
    assert set(names) == set(methods.DECLARED) >= set(methods.ROCKET_PARAMETERS) | set(methods.KD_PARAMETERS)
    flag_values(["train.py", "--hint=standardized_logits_mse", "--nogradient_block", "--share=stem"])
    assert flag_values.hint_weight == methods.ROCKET_PARAMETERS["hint_weight"] == 0.03
    assert flag_values.hint == "standardized_logits_mse" and flag_values.gradient_block is False
    assert flag_values.share == "stem" and flag_values.bottleneck_rank is None
    with pytest.raises(flags.IllegalFlagValueError):
        flag_values(["train.py", "--hint=l2"])
