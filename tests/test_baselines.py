"""Baselines: single nets, KD on keras.distillation, mimic learning."""

import numpy as np
import pytest

from conftest import tiny_batch
from rocket_keras import baselines
from rocket_keras.zoo import rocket_resnet

SHAPE = (16, 16, 1)


def pair():
    return rocket_resnet(input_shape=SHAPE, booster_depth=8, light_depth=8)


def snapshot(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def changed(before, model):
    return [not np.array_equal(a, w.numpy()) for a, w in zip(before, model.trainable_weights)]


def test_knowledge_distillation_trains_the_student_only():
    x, y = tiny_batch(SHAPE, batch=16)
    teacher = baselines.single_net(pair().booster_model())
    teacher.fit(x, y, epochs=1, verbose=0)
    student = pair().light_model()
    distiller = baselines.knowledge_distillation(teacher, student, temperature=4.0, student_loss_weight=0.3)
    teacher_before, student_before = snapshot(teacher), snapshot(student)
    logs = distiller.fit(x, y, epochs=1, batch_size=8, verbose=0).history
    assert {"student_loss", "distillation_loss", "accuracy"} <= set(logs)
    assert not any(changed(teacher_before, teacher))
    assert all(changed(student_before, student))
    assert distiller.student is student


def test_kd_loss_is_t_squared_kl_of_softened_probabilities():
    x, y = tiny_batch(SHAPE, batch=16)
    teacher, student = pair().booster_model(), pair().light_model()
    t = 4.0
    distiller = baselines.knowledge_distillation(teacher, student, temperature=t, student_loss_weight=0.0)
    logs = distiller.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)

    def softmax(a):
        e = np.exp(a - a.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    p_teacher = softmax(teacher.predict(x, verbose=0) / t)
    p_student = softmax(student.predict(x, verbose=0) / t)
    kl = np.sum(p_teacher * np.log(p_teacher / p_student), axis=-1).mean()
    np.testing.assert_allclose(logs["distillation_loss"], t**2 * kl, rtol=1e-3)


def test_mimic_regresses_logits_through_a_bottleneck():
    x, y = tiny_batch(SHAPE, batch=16)
    teacher = pair().booster_model()
    distiller = baselines.mimic(teacher, pair().light_model(), bottleneck_rank=4)
    assert distiller.student.get_layer("light_mimic_bottleneck").units == 4
    distiller.fit(x, y, epochs=1, batch_size=8, verbose=0)
    logs = distiller.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    assert logs["student_loss"] == 0.0  # labels are not used
    student_logits = distiller.student.predict(x, verbose=0)
    teacher_logits = teacher.predict(x, verbose=0)
    np.testing.assert_allclose(
        logs["distillation_loss"], np.mean((student_logits - teacher_logits) ** 2), rtol=1e-4
    )


def test_teacher_and_student_of_one_shared_model_are_refused():
    model = pair()  # interval sharing: the light net reuses booster convolutions
    with pytest.raises(ValueError, match="share weights"):
        baselines.knowledge_distillation(model.booster_model(), model.light_model())
