"""rocket_keras.pruning: masks, schedules, training, saving, stripping, rocket pairs."""

import json
import pathlib

import keras
import numpy as np
import pytest
from conftest import run_example

from rocket_keras import pruning
from rocket_keras.zoo import rocket_resnet

ROOT = pathlib.Path(__file__).resolve().parents[1]

SHAPE = (8, 8, 1)


def small_model():
    inputs = keras.Input(SHAPE)
    x = keras.layers.Conv2D(8, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, name="dense")(x))


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + SHAPE, dtype=np.float32), rng.integers(0, 10, n)


def compiled(model):
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def wrappers(model):
    return {layer.layer.name: layer for layer in model.layers if isinstance(layer, pruning.PruneLowMagnitude)}


def test_a_mask_zeroes_exactly_the_smallest_magnitudes_at_the_sparsity():
    pruned = pruning.prune_low_magnitude(small_model(), pruning.ConstantSparsity(0.75))
    dense = wrappers(pruned)["dense"]
    values = np.random.default_rng(1).normal(size=dense.layer.kernel.shape).astype("float32")
    dense.layer.kernel.assign(values)
    dense.update_mask(0.75)
    kept = dense.mask.numpy().astype(bool)
    assert kept.sum() == values.size - int(0.75 * values.size)
    assert np.abs(values[kept]).min() > np.abs(values[~kept]).max()  # the smallest went
    np.testing.assert_array_equal(dense.layer.kernel.numpy(), values * kept)
    assert [v.path.split("/")[-1] for v in dense.non_trainable_weights] == ["mask"]  # no bias mask


@pytest.mark.parametrize(
    "schedule, expected",
    [
        (pruning.ConstantSparsity(0.5, begin_step=10, frequency=5), {9: (False, 0.5), 10: (True, 0.5), 12: (False, 0.5), 15: (True, 0.5)}),
        (pruning.PolynomialDecay(0.0, 0.8, begin_step=0, end_step=100, power=3, frequency=10),
         {0: (True, 0.0), 50: (True, 0.8 - 0.8 * 0.5**3), 55: (False, 0.8 - 0.8 * 0.45**3), 100: (True, 0.8), 110: (False, 0.8)}),
    ],
)
def test_schedules_at_their_boundaries(schedule, expected):
    for step, (prune_now, target) in expected.items():
        got = schedule(step)
        assert got[0] == prune_now and got[1] == pytest.approx(target), step


def test_pruned_weights_stay_exactly_zero_through_training_with_momentum():
    x, y = data()
    # Pruned once, at step 8, when every weight has momentum; then 8 more steps.
    schedule = pruning.ConstantSparsity(0.5, begin_step=8, frequency=10_000)
    pruned = compiled(pruning.prune_low_magnitude(small_model(), schedule))
    pruned.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    assert int(pruned.optimizer.iterations) == 16
    for wrapper in wrappers(pruned).values():
        mask = wrapper.mask.numpy().astype(bool)
        kernel = pruning._kernel(wrapper.layer).numpy()
        assert np.all(kernel[~mask] == 0) and np.all(kernel[mask] != 0)
        assert mask.mean() == pytest.approx(0.5, abs=1 / mask.size)
    bias = pruned.get_layer("prune_low_magnitude_dense").layer.bias.numpy()
    assert np.count_nonzero(bias) == bias.size  # biases are not pruned


def test_polynomial_schedule_reaches_its_final_sparsity_and_strip_keeps_predictions(tmp_path):
    x, y = data()
    schedule = pruning.PolynomialDecay(0.0, 0.9, begin_step=0, end_step=12, frequency=4)
    pruned = compiled(pruning.prune_low_magnitude(small_model(), schedule))
    pruned.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    report = pruning.sparsity(pruned)
    assert report["conv"] == pytest.approx(0.9, abs=1 / 72) and report["dense"] == pytest.approx(0.9, abs=1 / 80)
    final = pruning.strip_pruning(pruned)
    assert not any(isinstance(layer, pruning.PruneLowMagnitude) for layer in final.layers)
    assert isinstance(final.get_layer("conv"), keras.layers.Conv2D)
    np.testing.assert_allclose(final.predict(x, verbose=0), pruned.predict(x, verbose=0), atol=1e-6)
    assert pruning.sparsity(final) == report


def masks_during_fit(schedule):
    """Prunes ``small_model`` with ``schedule`` over 16 training steps (4 epochs of 4 batches) and returns
    each layer's mask after every step: ``[{layer name: boolean mask}, ...]``."""
    x, y = data()
    pruned = compiled(pruning.prune_low_magnitude(small_model(), schedule))
    masks = []

    class RecordMasks(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            masks.append({name: w.mask.numpy().astype(bool) for name, w in wrappers(pruned).items()})

    pruned.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[pruning.UpdatePruningStep(), RecordMasks()])
    return masks


def test_a_pruned_weight_never_regrows_as_the_sparsity_rises():
    # The documented difference from tfmot (which recomputes masks from the raw weights): masks come
    # from the masked weights, so each prune step keeps a subset of what the step before kept.
    masks = masks_during_fit(pruning.PolynomialDecay(0.2, 0.8, begin_step=0, end_step=12, frequency=2))
    assert len(masks) == 16
    for before, after in zip(masks, masks[1:]):
        for name in before:
            assert not np.any(after[name] & ~before[name]), f"{name}: a pruned weight came back"
    kept = [m["conv"].mean() for m in masks]
    assert kept[0] < 1 and kept[-1] == pytest.approx(0.2, abs=1 / 72) and len(set(kept)) > 3  # it pruned in steps


def test_masks_survive_saving_and_loading(tmp_path):
    x, y = data()
    pruned = compiled(pruning.prune_low_magnitude(small_model(), pruning.ConstantSparsity(0.6, frequency=1)))
    pruned.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    pruned.save(tmp_path / "pruned.keras")
    loaded = keras.models.load_model(tmp_path / "pruned.keras")
    for name, wrapper in wrappers(pruned).items():
        np.testing.assert_array_equal(wrappers(loaded)[name].mask.numpy(), wrapper.mask.numpy())
    assert isinstance(wrappers(loaded)["conv"].schedule, pruning.ConstantSparsity)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), pruned.predict(x, verbose=0), atol=1e-6)
    # Training goes on from the loaded file with the same masks.
    loaded.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    assert pruning.sparsity(loaded)["overall"] == pytest.approx(0.6, abs=0.02)


def test_the_light_net_of_a_rocket_pair_is_pruned_and_the_booster_stays_dense():
    x, y = data()
    model = rocket_resnet(input_shape=SHAPE, booster_depth=14, light_depth=8)
    pruned = pruning.prune_low_magnitude(model, pruning.ConstantSparsity(0.5, frequency=1), net="light")
    assert type(pruned).__name__ == "RocketModel"
    pruned.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"])
    pruned.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    assert pruning.sparsity(pruned.light_model())["overall"] == pytest.approx(0.5, abs=0.01)
    booster_kernels = [w for w in pruned.booster_only_weights if w.path.endswith("kernel")]
    assert booster_kernels and all(np.count_nonzero(w.numpy()) == w.numpy().size for w in booster_kernels)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="Received: target_sparsity=1.0"):
        pruning.ConstantSparsity(1.0)
    with pytest.raises(ValueError, match="can be pruned"):
        pruning.PruneLowMagnitude(keras.layers.BatchNormalization(), pruning.ConstantSparsity(0.5))
    with pytest.raises(ValueError, match="No prunable layer"):
        pruning.prune_low_magnitude(small_model(), pruning.ConstantSparsity(0.5), layers=["bn"])


@pytest.mark.parametrize("build", [
    lambda: __import__("rocket_keras").zoo.rocket_mobilenet(input_shape=(16, 16, 3), booster_alpha=0.5, light_alpha=0.35),
    lambda: __import__("rocket_keras").zoo.rocket_shufflenet(input_shape=(16, 16, 3), booster_width=1.0, light_width=0.5),
])
def test_depthwise_layers_are_pruned_too(build):
    pruned = pruning.prune_low_magnitude(build(), pruning.ConstantSparsity(0.5, frequency=1), net="light")
    depthwise = [w for w in pruned.light_model()._flatten_layers() if isinstance(w, pruning.PruneLowMagnitude)
                 and isinstance(w.layer, keras.layers.DepthwiseConv2D)]
    assert depthwise
    x = np.random.default_rng(0).random((8, 16, 16, 3), dtype=np.float32)
    # Eager: tracing two dozen depthwise blocks costs more than the step;
    # the compiled pruning step is covered on the small models above.
    pruned.compile(optimizer="sgd", run_eagerly=True)
    pruned.fit(x, np.arange(8), epochs=1, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    assert pruning.sparsity(pruned.light_model())["overall"] == pytest.approx(0.5, abs=0.01)


def test_layers_inside_nested_models_are_pruned():
    from rocket_keras import from_networks

    def net(name, width):
        inputs = keras.Input(SHAPE)
        x = keras.layers.Conv2D(width, 3, name=f"{name}_conv")(inputs)
        return keras.Model(inputs, keras.layers.Dense(10, name=f"{name}_out")(keras.layers.Flatten()(x)), name=name)

    pruned = pruning.prune_low_magnitude(from_networks(net("big", 8), net("small", 2)),
                                         pruning.ConstantSparsity(0.5, frequency=1), net="light")
    x, y = data(16)
    pruned.compile(optimizer="sgd")
    pruned.fit(x, y, epochs=1, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    report = pruning.sparsity(pruned)
    assert report["small_conv"] == pytest.approx(0.5, abs=0.05) and report["big_conv"] == 0.0


def test_training_without_the_callback_is_refused():
    pruned = compiled(pruning.prune_low_magnitude(small_model(), pruning.ConstantSparsity(0.5)))
    x, y = data(16)
    with pytest.raises(ValueError, match="UpdatePruningStep"):
        pruned.fit(x, y, epochs=1, verbose=0)


def test_magnitude_mask_against_a_sort():
    values = np.random.default_rng(3).normal(size=(5, 7))
    mask = pruning.magnitude_mask(values, 0.6)
    assert mask.sum() == values.size - int(0.6 * values.size)
    # Every kept magnitude is at least every pruned one.
    assert np.abs(values[mask == 1]).min() >= np.abs(values[mask == 0]).max()


def test_sensitivity_prunes_one_layer_at_a_time_and_restores_the_weights():
    model = small_model()
    before = [w.numpy().copy() for w in model.weights]
    x, _ = data(16)
    reference = model.predict(x, verbose=0)
    seen = []

    def evaluate(m):
        # What the evaluation sees: the zeros of the layer under test only.
        seen.append({name: float(np.mean(m.get_layer(name).kernel.numpy() == 0)) for name in ("conv", "dense")})
        return float(np.mean(np.abs(m.predict(x, verbose=0) - reference)))

    report = pruning.sensitivity(model, evaluate, sparsities=(0.5, 0.9))
    assert set(report["layers"]) == {"conv", "dense"}
    assert report["baseline"] == 0.0 and report["parameters"] == {"conv": 72, "dense": 80}
    assert seen[1:] == [{"conv": 0.5, "dense": 0.0}, {"conv": 64 / 72, "dense": 0.0},
                        {"conv": 0.0, "dense": 0.5}, {"conv": 0.0, "dense": 0.9}]
    for after, original in zip(model.weights, before):
        np.testing.assert_array_equal(after.numpy(), original)
    # Pruning more of a layer changes the outputs more.
    assert report["layers"]["dense"][0.9] > report["layers"]["dense"][0.5] > 0


def test_layer_targets_and_per_layer_schedules():
    report = {"baseline": 0.90, "layers": {"conv": {0.5: 0.895, 0.75: 0.88, 0.9: 0.70}, "dense": {0.5: 0.80}}}
    targets = pruning.layer_targets(report, max_drop=0.01)
    assert targets == {"conv": 0.5}
    assert pruning.layer_targets(report, max_drop=0.1) == {"conv": 0.75, "dense": 0.5}
    schedules = {name: pruning.ConstantSparsity(t, frequency=1) for name, t in {"conv": 0.5, "dense": 0.9}.items()}
    pruned = compiled(pruning.prune_low_magnitude(small_model(), schedules))
    pruned.fit(*data(), epochs=1, batch_size=32, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    report = pruning.sparsity(pruning.strip_pruning(pruned))
    assert report["conv"] == pytest.approx(0.5, abs=1 / 72) and report["dense"] == pytest.approx(0.9, abs=1 / 80)
    assert pruning.is_pruned(pruned) and not pruning.is_pruned(pruning.strip_pruning(pruned))
    with pytest.raises(ValueError, match="not prunable layers"):
        pruning.prune_low_magnitude(small_model(), {"conv": pruning.ConstantSparsity(0.5), "bn": pruning.ConstantSparsity(0.5)})


def tfmot_prunes_at(step, begin, end, frequency):
    """tfmot's PruningSchedule._should_prune_in_step, written out."""
    return begin <= step and (end == -1 or step <= end) and (step - begin) % frequency == 0


def test_training_prunes_on_the_schedules_steps_and_no_other():
    # The masks change during the steps the schedule names (tfmot's rule: 2, 5, 8, 11 here), each to
    # that step's sparsity, and stay as they are between them.
    schedule = pruning.PolynomialDecay(0.25, 0.75, begin_step=2, end_step=11, frequency=3)
    kept = [float(masks["dense"].mean()) for masks in masks_during_fit(schedule)]
    changed = [step for step in range(16) if kept[step] != (kept[step - 1] if step else 1.0)]
    assert changed == [t for t in range(16) if tfmot_prunes_at(t, 2, 11, 3)] == [2, 5, 8, 11]
    for step in changed:
        assert 1 - kept[step] == pytest.approx(float(schedule(step)[1]), abs=1 / 80)


@pytest.mark.parametrize("begin, end, frequency", [(0, 100, 10), (5, 47, 7), (3, -1, 4), (0, 12, 5)])
def test_prune_steps_are_tfmots_and_the_end_step_prune_is_an_option(begin, end, frequency):
    schedules = [pruning.ConstantSparsity(0.5, begin_step=begin, end_step=end, frequency=frequency)]
    if end != -1:
        schedules.append(pruning.PolynomialDecay(0.0, 0.5, begin_step=begin, end_step=end, frequency=frequency))
    for schedule in schedules:
        assert [schedule(t)[0] for t in range(120)] == [tfmot_prunes_at(t, begin, end, frequency) for t in range(120)]
    if end != -1:
        extra = pruning.PolynomialDecay(0.0, 0.5, begin_step=begin, end_step=end, frequency=frequency,
                                        prune_at_end_step=True)
        assert [t for t in range(120) if extra(t)[0]] == sorted(
            {t for t in range(120) if tfmot_prunes_at(t, begin, end, frequency)} | {end})
        assert pruning.PolynomialDecay.from_config(extra.get_config()).prune_at_end_step


def test_a_users_kernel_constraint_holds_during_pruning_and_survives_strip_pruning():
    x, y = data()
    inputs = keras.Input(SHAPE)
    features = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(8, 3, name="conv")(inputs))
    constraint = keras.constraints.MaxNorm(0.05, axis=0)
    model = keras.Model(inputs, keras.layers.Dense(10, kernel_constraint=constraint, name="dense")(features))
    pruned = compiled(pruning.prune_low_magnitude(model, pruning_schedule=pruning.ConstantSparsity(0.5, frequency=1)))
    pruned.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[pruning.UpdatePruningStep()])
    wrapper = wrappers(pruned)["dense"]
    kernel = wrapper.layer.kernel.numpy()
    assert np.all(np.linalg.norm(kernel, axis=0) <= 0.05 + 1e-6), "MaxNorm must hold while pruning"
    assert np.all(kernel[wrapper.mask.numpy() == 0] == 0)
    final = pruning.strip_pruning(pruned)
    assert final.get_layer("dense").kernel.constraint is constraint
    assert final.get_layer("conv").kernel.constraint is None


def test_the_schedule_is_given_once_under_tfmots_keyword_or_this_packages():
    schedule = pruning.ConstantSparsity(0.5)
    assert pruning.is_pruned(pruning.prune_low_magnitude(small_model(), pruning_schedule=schedule))
    assert pruning.is_pruned(pruning.prune_low_magnitude(small_model(), schedule=schedule))
    with pytest.raises(ValueError, match="Give the schedule once"):
        pruning.prune_low_magnitude(small_model(), schedule, schedule=schedule)
    with pytest.raises(ValueError, match="Give the schedule once"):
        pruning.prune_low_magnitude(small_model())


def test_the_equal_budget_report_tables_each_variant_over_its_seeds(tmp_path):
    def write(variant, seed, accuracy, epochs, sparsity=None):
        run = tmp_path / f"{variant}-seed{seed}"
        run.mkdir()
        record = {"seed": seed, "epochs": epochs, "light_test_accuracy": accuracy,
                  "tflite_int8": {"test_accuracy": accuracy, "gzip_size_bytes": 1000}}
        if sparsity is not None:
            record["light_sparsity"] = sparsity
        (run / "results.json").write_text(json.dumps(record))

    write("rocket_4_epochs", 0, 0.80, 4)
    write("rocket_4_epochs", 1, 0.82, 4)
    write("after_0.5", 0, 0.78, 1, 0.5)
    write("after_0.5", 1, 0.76, 1, 0.5)
    write("during_0.5", 0, 0.79, 4, 0.5)
    run_example("pruning_budget_report", f"--runs_dir={tmp_path}", cwd=ROOT)
    rows = [line for line in (tmp_path / "README.md").read_text().splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    # References first; "after" counts the 3 epochs of the net it started from.
    assert rows[1] == "| rocket_4_epochs | 0,1 | 4 | 81.00 ± 1.41 | 81.00 ± 1.41 | 0.000 ± 0.000 | 1000 ± 0 |"
    assert rows[2] == "| after_0.5 | 0,1 | 4 | 77.00 ± 1.41 | 77.00 ± 1.41 | 0.500 ± 0.000 | 1000 ± 0 |"
    assert rows[3] == "| during_0.5 | 0 | 4 | 79.00 | 79.00 | 0.500 | 1000 |"
