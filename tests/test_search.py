"""N2N architecture search: architecture actions, policies, reward, REINFORCE, the loop."""

import json
import pathlib

import keras
import numpy as np
import pytest
from conftest import run_example

from rocket_keras import data, zoo
from rocket_keras.search import N2NSearch, architecture, layer_space, policies, reward
from rocket_keras.search.child_training import LogitsDistiller
from rocket_keras.search.n2n import DEGENERATE_REWARD
from rocket_keras.zoo.dual_head import build_network
from rocket_keras.zoo.spec import NetworkSpec, StageSpec, save_spec, spec_from_dict, spec_to_dict

ROOT = pathlib.Path(__file__).resolve().parents[1]

SEARCHABLE = ("resnet14", "resnet8", "wrn16_2", "mobilenet0.35")


# -- which units can be removed, and every action builds ---------------------

def test_removable_blocks_are_the_identity_shortcut_blocks():
    units = architecture.describe(zoo.network_spec("resnet14"))
    assert [u.kind for u in units] == ["stem"] + ["block"] * 6 + ["head"]
    # Stage 1 takes the 16-channel stem at stride 1 (identity); stages 2 and 3
    # open with a strided, widening block that stays.
    assert [u.removable for u in units] == [False, True, True, False, True, False, True, False]
    # Checked against the built networks: an inverted residual block adds its
    # input back exactly when shapes allow; a basic block projects otherwise.
    for name, identity in (("mobilenet0.35", lambda names, block: f"{block}_add" in names),
                           ("resnet20", lambda names, block: f"{block}_shortcut" not in names)):
        names = {layer.name for layer in zoo.get_network(name).layers}
        for u in architecture.describe(zoo.network_spec(name)):
            if u.kind == "block":
                assert u.removable == identity(names, f"light_stage{u.stage + 1}_block{u.block + 1}"), u


def test_removing_every_removable_block_leaves_the_strided_ones():
    teacher = zoo.network_spec("resnet14")
    keep = [not u.removable for u in architecture.describe(teacher)]
    child = architecture.remove(teacher, keep)
    assert [s.blocks for s in child.stages] == [0, 1, 1]
    net = build_network(child, input_shape=(28, 28, 1), num_classes=10)
    assert net.output_shape == (None, 10)
    # ResNet-14 without three of its six blocks: fewer parameters, none new.
    assert net.count_params() < build_network(teacher, input_shape=(28, 28, 1), num_classes=10).count_params()


@pytest.mark.parametrize("name", SEARCHABLE)
def test_random_removals_and_shrinks_build(name):
    rng = np.random.default_rng(0)
    spec = zoo.network_spec(name)
    units = architecture.describe(spec)
    for _ in range(4):
        removed = architecture.remove(spec, rng.integers(0, 2, len(units)))
        kept_units = architecture.describe(removed)
        ratios = rng.choice(policies.DEFAULT_RATIOS, len(kept_units))
        child = architecture.shrink(removed, list(ratios))
        net = build_network(child, input_shape=(32, 32, 3), num_classes=7)
        assert net(np.zeros((2, 32, 32, 3), "float32")).shape == (2, 7)
        # Blocks that cannot be removed are all still there.
        fixed = sum(not u.removable for u in units if u.kind == "block")
        assert architecture.num_blocks(child) >= fixed


def test_shrink_scales_the_widths_it_says():
    spec = zoo.network_spec("resnet8")  # stem, three one-block stages, head
    child = architecture.shrink(spec, [0.5, 1.0, 0.5, 0.25, 1.0])
    assert child.stem_filters == 8
    assert [s.filters for s in child.stages] == [16, 16, 16]
    assert [s.inner_filters for s in child.stages] == [(16,), (16,), (16,)]
    net = build_network(child, input_shape=(28, 28, 1), num_classes=10)
    assert net.get_layer("light_stem_conv").filters == 8
    assert net.get_layer("light_stage3_block1_conv1").filters == 16
    assert net.get_layer("light_stage3_block1_conv2").filters == 16
    with pytest.raises(ValueError, match="one entry per unit"):
        architecture.shrink(spec, [1.0])


def test_searching_a_template_without_inner_widths_is_refused():
    with pytest.raises(ValueError, match="SqueezeNet"):
        architecture.describe(zoo.network_spec("squeezenet0.5"))


def test_architecture_files_round_trip(tmp_path):
    spec = architecture.shrink(zoo.network_spec("resnet14"), [0.5] * 8)
    assert spec_from_dict(spec_to_dict(spec), like=zoo.network_spec("resnet14")) == spec
    save_spec(spec, "resnet14", tmp_path / "child.json")
    assert zoo.network_spec(str(tmp_path / "child.json")) == spec
    net = zoo.get_network(str(tmp_path / "child.json"), input_shape=(28, 28, 1))
    assert net.count_params() == build_network(spec, input_shape=(28, 28, 1), num_classes=10).count_params()
    assert architecture.key(spec) != architecture.key(zoo.network_spec("resnet14"))


# -- the layer space: single convolutions removed, one ratio per free width ----

def _conv_layers(net):
    """``{local name: layer}`` of the convolutions inside the blocks of a built network."""
    return {layer.name[len("light_"):]: layer for layer in net.layers
            if "_block" in layer.name and isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))
            and not layer.name.endswith("_shortcut")}


def _removed_name(unit):
    return f"stage{unit.stage + 1}_block{unit.block + 1}_{unit.layer}"


@pytest.mark.parametrize("name", SEARCHABLE)
def test_layer_units_are_the_blocks_convolutions_and_only_stride_one_width_preserving_ones_go(name):
    spec = zoo.network_spec(name)
    units = layer_space.describe(spec)
    convs = _conv_layers(build_network(spec, input_shape=(16, 16, 3), num_classes=7))
    inside = [u for u in units if u.kind in ("conv", "depthwise")]
    assert [u.kind for u in units] == ["stem"] + ["conv" if u.layer != "depthwise" else "depthwise"
                                                  for u in inside] + ["head"]
    assert sorted(_removed_name(u) for u in inside) == sorted(convs)  # one unit per convolution, no shortcut
    for u in inside:
        layer = convs[_removed_name(u)]
        assert (u.stride, u.kernel_size) == (layer.strides[0], layer.kernel_size[0])
        width_kept = layer.input.shape[-1] == layer.output.shape[-1]
        # Checked on the built layer: strided and width-changing convolutions are never offered.
        assert u.removable == (layer.strides == (1, 1) and width_kept), u
    assert not units[0].removable and not units[-1].removable


@pytest.mark.parametrize("name", ("resnet14", "wrn16_2", "mobilenet0.35"))
def test_every_single_layer_removal_and_random_removals_build(name):
    spec = zoo.network_spec(name)
    units = layer_space.describe(spec)
    removable = [u for u in units if u.removable]
    assert removable

    def check(child):
        net = build_network(child, input_shape=(16, 16, 3), num_classes=7)
        assert net(np.zeros((2, 16, 16, 3), "float32")).shape == (2, 7)
        return net

    full = len(_conv_layers(build_network(spec, input_shape=(16, 16, 3), num_classes=7)))
    for u in removable:
        keep = np.ones(len(units), int)
        keep[u.index] = policies.REMOVE
        assert len(_conv_layers(check(layer_space.remove(spec, keep)))) == full - 1, u
    rng = np.random.default_rng(0)
    for _ in range(2):
        child = layer_space.remove(spec, rng.integers(0, 2, len(units)))
        ratios = rng.choice(policies.AUTHORS_RATIOS, len(layer_space.describe(child)))
        check(layer_space.shrink(child, list(ratios)))


def test_removing_every_convolution_of_a_block_leaves_its_shortcut():
    teacher = zoo.network_spec("resnet14")
    units = layer_space.describe(teacher)
    keep = [not (u.stage == 0 and u.block == 1) for u in units]  # both convolutions of stage 1's second block
    child = layer_space.remove(teacher, keep)
    assert [s.blocks for s in child.stages] == [1, 2, 2] and not architecture.removed_convs(child)
    block_keep = [not (u.stage == 0 and u.block == 1) for u in architecture.describe(teacher)]
    assert architecture.key(child) == architecture.key(architecture.remove(teacher, block_keep))
    # Stage 1's first block whole and the second's conv1: the second stays, numbered first now.
    keep = [not (u.stage == 0 and (u.block == 0 or u.layer == "conv1")) for u in units]
    child = layer_space.remove(teacher, keep)
    assert [s.blocks for s in child.stages] == [1, 2, 2]
    assert architecture.removed_convs(child) == {"stage1_block1_conv1"}


def test_layer_shrink_gives_each_free_convolution_its_own_ratio():
    spec = zoo.network_spec("resnet14")  # stem, (conv1, conv2) x 6, head
    units = layer_space.describe(spec)
    assert [(u.layer, u.scales, u.shrinkable) for u in units[1:5]] == [
        ("conv1", "inner", True), ("conv2", "stage", True), ("conv1", "inner", True), ("conv2", "stage", False)]
    ratios = [1.0] * len(units)
    ratios[0], ratios[1], ratios[2], ratios[3], ratios[4] = 0.5, 0.25, 0.5, 0.75, 0.25  # [4]: tied, ignored
    child = layer_space.shrink(spec, ratios)
    net = build_network(child, input_shape=(16, 16, 3), num_classes=7)
    filters = {name: layer.filters for name, layer in _conv_layers(net).items()}
    assert net.get_layer("light_stem_conv").filters == 8
    assert (filters["stage1_block1_conv1"], filters["stage1_block1_conv2"]) == (4, 8)
    assert (filters["stage1_block2_conv1"], filters["stage1_block2_conv2"]) == (12, 8)  # conv2 follows the stage
    assert filters["stage2_block1_conv1"] == 32
    # A block whose conv2 is gone: its conv1 gives the block's output, so it takes the stage's width.
    removed_units = layer_space.describe(layer_space.remove(spec, [u.index != 4 for u in units]))
    assert [(u.layer, u.scales, u.shrinkable) for u in removed_units[3:4]] == [("conv1", "stage", False)]
    with pytest.raises(ValueError, match="one entry per unit"):
        layer_space.shrink(spec, [1.0])


def test_layer_children_round_trip_through_the_zoo_s_files(tmp_path):
    teacher = zoo.network_spec("resnet14")
    child = layer_space.remove(teacher, [u.index != 2 for u in layer_space.describe(teacher)])
    assert spec_from_dict(spec_to_dict(child), like=teacher) == child
    assert architecture.key(child) != architecture.key(teacher)
    save_spec(child, "resnet14", tmp_path / "child.json")
    # The zoo's reader (and so train.py --light_net) builds it without the removed convolution.
    assert zoo.network_spec(str(tmp_path / "child.json")) == child
    removed = architecture.removed_convs(child)
    names = [layer.name for layer in build_network(child, input_shape=(16, 16, 3), num_classes=7).layers]
    full = [layer.name for layer in build_network(teacher, input_shape=(16, 16, 3), num_classes=7).layers]
    assert removed and all(any(n.endswith(r) for n in full) and not any(n.endswith(r) for n in names) for r in removed)
    with pytest.raises(ValueError, match="removal='layer'"):
        architecture.describe(child)
    save_spec(teacher, "resnet14", tmp_path / "plain.json")  # no removed convolution: no field for it
    assert "removed_convs" not in (tmp_path / "plain.json").read_text()
    assert zoo.network_spec(str(tmp_path / "plain.json")) == teacher


def test_ratio_sets_are_named():
    assert policies.ratio_set("authors") == (0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    assert policies.ratio_set("default") == policies.DEFAULT_RATIOS == policies.ratio_set(["0.25", "0.5", "0.75", "1"])
    for wrong in ("mine", [], [0.0, 1.0], [1.5]):
        with pytest.raises(ValueError, match="ratios"):
            policies.ratio_set(wrong)


# -- policies -----------------------------------------------------------------

def _features(name="resnet14"):
    return architecture.features(architecture.describe(zoo.network_spec(name)))


def test_policy_shapes_and_log_probabilities():
    x_t = _features()
    removal = policies.removal_policy()
    x = np.asarray([x_t] * 3, "float32")
    assert removal(x).shape == (3, 8, 2)
    # The two actions' probabilities sum to one; log pi matches a softmax in numpy.
    logits = np.asarray(removal(x), "float64")
    expected = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    for action in (0, 1):
        got = policies.log_probabilities(removal, x, np.full((3, 8), action))
        np.testing.assert_allclose(got, expected[..., action], atol=1e-6)
    shrink = policies.shrink_policy(ratios=(0.5, 1.0))
    actions = policies.sample_shrink(shrink, x_t, np.random.default_rng(0), rollouts=4)
    assert actions.shape == (4, 8) and set(np.unique(actions)) <= {0, 1}
    assert policies.shrink_inputs(x_t, actions, 2).shape == (4, 8, architecture.FEATURES + 2)


def test_shrink_policy_is_causal_so_stepwise_sampling_scores_the_same():
    shrink = policies.shrink_policy()
    x_t = _features()
    actions = np.asarray([[3, 2, 1, 0, 1, 2, 3, 0]])
    full = np.asarray(shrink(policies.shrink_inputs(x_t, actions, 4)))
    changed = actions.copy()
    changed[0, 5:] = 0
    prefix = np.asarray(shrink(policies.shrink_inputs(x_t, changed, 4)))
    # Outputs up to t only read inputs up to t (actions up to t - 1).
    np.testing.assert_allclose(full[0, :6], prefix[0, :6], atol=1e-6)


def test_sampling_follows_the_policy():
    removal = policies.removal_policy()
    x_t = _features()
    keep_probability = np.exp(policies.log_probabilities(removal, np.asarray([x_t], "float32"), np.ones((1, 8), int)))[0]
    actions = policies.sample_removal(removal, x_t, np.random.default_rng(0), rollouts=4000)
    np.testing.assert_allclose(actions.mean(axis=0), keep_probability, atol=0.03)


def test_reinforce_update_is_the_weighted_policy_gradient():
    removal = policies.removal_policy(learning_rate=0.01)
    x_t = _features()
    acting = np.asarray([u.removable for u in architecture.describe(zoo.network_spec("resnet14"))])
    rng = np.random.default_rng(1)
    actions = policies.sample_removal(removal, x_t, rng, rollouts=6)
    x = np.asarray([x_t] * 6, "float32")
    # Toy reward: keeping unit 1 is worth one point.
    rewards = actions[:, 1].astype(float)
    baseline = 0.5
    before = policies.log_probabilities(removal, x, actions)
    keep1_before = np.exp(policies.log_probabilities(removal, x[:1], np.ones((1, 8), int)))[0, 1]
    loss = policies.reinforce_update(removal, x, actions, rewards, baseline, acting)
    # The loss Keras minimised: -sum_i sum_t (R_i - b) / N * mask_t * log pi(a_it).
    expected = -np.sum((rewards - baseline)[:, None] / 6 * acting[None, :] * before)
    np.testing.assert_allclose(loss, expected, rtol=1e-4)
    keep1_after = np.exp(policies.log_probabilities(removal, x[:1], np.ones((1, 8), int)))[0, 1]
    assert keep1_after > keep1_before


# -- reward and the loop --------------------------------------------------------

def test_reward_at_known_points():
    assert reward(100, 100, 0.9, 0.9) == 0.0  # C = 0
    assert reward(50, 100, 0.9, 0.9) == pytest.approx(0.75)  # C = 0.5: 0.5 * 1.5
    assert reward(50, 100, 0.45, 0.9) == pytest.approx(0.375)  # half the teacher's accuracy
    assert reward(0, 100, 0.9, 0.9) == pytest.approx(1.0)  # C = 1


def _arrays(splits, limit=None):
    return data.as_arrays(splits.train, limit), data.as_arrays(splits.validation, limit)


@pytest.fixture(scope="module")
def tiny_search():
    """Synthetic train and validation arrays and a ResNet-14 teacher trained on them for one epoch.

    Shared by the search tests (a search reads its teacher, never trains it).
    """
    train, validation = _arrays(data.synthetic(batch_size=64, train_size=128, validation_size=64))
    teacher = zoo.get_network("resnet14", input_shape=(28, 28, 1))
    teacher.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    teacher.fit(*train, epochs=1, verbose=0)
    return train, validation, teacher


def test_a_two_rollout_search_runs_logs_and_resumes(tmp_path, tiny_search):
    train, validation, teacher = tiny_search
    make = lambda: N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path),  # noqa: E731
                             rollouts=2, batch_size=64, verbose=False)
    best = make().run(removal_updates=1, shrink_updates=1)
    children = [json.loads(line) for line in open(tmp_path / "children.jsonl")]
    assert [(c["stage"], c["update"]) for c in children] == [("removal", 0)] * 2 + [("shrink", 0)] * 2
    state = json.load(open(tmp_path / "state.json"))
    for c in children:
        assert c["reward"] == pytest.approx(
            reward(c["params"], state["teacher_params"], c["accuracy"], state["teacher_accuracy"]))
        assert c["params"] == build_network(
            spec_from_dict(c["architecture"], zoo.network_spec("resnet14")),
            input_shape=(28, 28, 1), num_classes=10).count_params()
    assert best.reward == max(c["reward"] for c in children)
    # Resuming adds only the new update's children.
    search = make()
    search.run(removal_updates=1, shrink_updates=2)
    children = [json.loads(line) for line in open(tmp_path / "children.jsonl")]
    assert [(c["stage"], c["update"]) for c in children][4:] == [("shrink", 1)] * 2
    # A child with no block left is degenerate: reward -1, nothing trained.
    empty = NetworkSpec(name="empty", stem=zoo.network_spec("resnet8").stem,
                        block=zoo.network_spec("resnet8").block, head=zoo.network_spec("resnet8").head,
                        stem_filters=16, stages=(StageSpec(0, 16, 1),))
    degenerate = search.evaluate(empty, "removal", 99, 0)
    assert degenerate.reward == DEGENERATE_REWARD and degenerate.degenerate
    # A state without its policies (git keeps the log only) cannot continue.
    (tmp_path / "shrink_policy.keras").unlink()
    with pytest.raises(ValueError, match="not its shrink policy"):
        make()


def test_logits_distiller_loss_is_cross_entropy_plus_the_logits_hint():
    child = build_network(zoo.network_spec("resnet8"), input_shape=(16, 16, 1), num_classes=3)
    distiller = LogitsDistiller(child, hint_weight=0.5)
    x = np.random.default_rng(0).random((4, 16, 16, 1)).astype("float32")
    labels, teacher = np.asarray([0, 1, 2, 0]), np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    logits = np.asarray(child(x), "float64")
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = np.mean(-log_softmax[np.arange(4), labels] + 0.5 * np.sum((logits - teacher) ** 2, axis=-1))
    loss = distiller.compute_loss(y={"labels": labels, "teacher_logits": teacher}, y_pred=child(x))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_the_random_sampler_draws_uniformly_from_the_policies_space():
    rng = np.random.default_rng(0)
    units = architecture.describe(zoo.network_spec("resnet20"))
    removal = policies.sample_uniform(len(units), 2, rng, rollouts=4000)
    shrink = policies.sample_uniform(len(units), len(policies.DEFAULT_RATIOS), rng, rollouts=4000)
    # The same action sets as the policies' samples (keep/remove; a ratio index), each equally likely.
    assert set(np.unique(removal)) == {policies.KEEP, policies.REMOVE}
    assert set(np.unique(shrink)) == set(range(len(policies.DEFAULT_RATIOS)))
    assert abs(removal.mean() - 0.5) < 0.02
    np.testing.assert_allclose(np.bincount(shrink.ravel()) / shrink.size, 0.25, atol=0.02)
    spec = zoo.network_spec("resnet20")
    for keep, ratios in zip(removal[:5], shrink[:5]):  # every draw builds
        child = architecture.shrink(architecture.remove(spec, keep), [policies.DEFAULT_RATIOS[i] for i in ratios[:len(
            architecture.describe(architecture.remove(spec, keep)))]])
        build_network(child, input_shape=(32, 32, 3), num_classes=10)


@pytest.mark.parametrize("space", (architecture, layer_space))
def test_the_random_sampler_draws_only_the_spaces_legal_actions(space):
    rng = np.random.default_rng(0)
    spec = zoo.network_spec("resnet20")
    units = space.describe(spec)
    removable = np.asarray([u.removable for u in units])
    removal = policies.sample_uniform(len(units), 2, rng, rollouts=2000, acting=removable)
    # Units that cannot be removed are always kept; the others are removed with probability 1/2.
    assert np.all(removal[:, ~removable] == policies.KEEP)
    assert abs(removal[:, removable].mean() - 0.5) < 0.02
    ratios = policies.AUTHORS_RATIOS
    for keep in removal[:5]:
        child = space.remove(spec, keep)
        child_units = space.describe(child)
        shrinkable = np.asarray([u.shrinkable for u in child_units])
        shrink = policies.sample_uniform(len(child_units), len(ratios), rng, rollouts=1, acting=shrinkable,
                                         idle=len(ratios) - 1)[0]
        assert set(shrink[~shrinkable]) <= {len(ratios) - 1} and set(shrink) <= set(range(len(ratios)))
        shrunk = space.shrink(child, [ratios[i] for i in shrink])
        # Only removable convolutions went (none in the block space).
        assert architecture.removed_convs(child) <= {_removed_name(u) for u in units if u.removable}
        # Every width is the parent's, or the parent's scaled by a ratio of the set.
        for u, v in zip(child_units, space.describe(shrunk)):
            assert v.outputs in {u.outputs} | {architecture.scaled(u.outputs, r) for r in ratios}, (u, v)
        build_network(shrunk, input_shape=(16, 16, 3), num_classes=10)


def test_random_search_trains_policies_never_and_the_parent_reward_and_budget_apply(tmp_path, tiny_search):
    train, validation, teacher = tiny_search
    search = N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path), rollouts=2,
                       batch_size=64, verbose=False, sampler="random", shrink_reward="parent", max_params=60_000)
    before = {stage: [w.numpy().copy() for w in p.weights] for stage, p in search.policies.items()}
    search.run(removal_updates=1, shrink_updates=1)
    for stage, policy in search.policies.items():
        for a, b in zip(before[stage], policy.weights):
            np.testing.assert_array_equal(a, b.numpy())
    children = search.children()
    parent = search.state["best"]["removal"]
    for child in children:
        if child.degenerate:
            continue
        if child.params > 60_000:
            assert child.reward == DEGENERATE_REWARD
        elif child.stage == "shrink":
            assert child.reward == pytest.approx(reward(child.params, parent["params"], child.accuracy,
                                                        parent["accuracy"]))
    # Random search never reads its policies: a state without them continues.
    for stage in ("removal", "shrink"):
        (tmp_path / f"{stage}_policy.keras").unlink()
    resumed = N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path), rollouts=2,
                        batch_size=64, verbose=False, sampler="random", shrink_reward="parent", max_params=60_000)
    assert resumed.state["updates"] == search.state["updates"]
    with pytest.raises(ValueError, match="sampler"):
        N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path / "x"), sampler="grid")


def test_a_layer_space_search_runs_end_to_end_and_keeps_its_space(tmp_path, tiny_search):
    train, validation, teacher = tiny_search
    search = N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path), rollouts=2,
                       batch_size=64, verbose=False, removal="layer", ratios="authors")
    assert search.policies["removal"].input_shape == (None, None, layer_space.FEATURES)
    assert search.policies["shrink"].output_shape == (None, None, 11)
    search.run(removal_updates=1, shrink_updates=1)
    children = search.children()
    assert [(c.stage, c.update) for c in children] == [("removal", 0)] * 2 + [("shrink", 0)] * 2
    for c in children:
        spec = search.spec_of(c)
        assert c.params == build_network(spec, input_shape=(28, 28, 1), num_classes=10).count_params()
        assert sorted(architecture.removed_convs(spec)) == c.architecture.get("removed_convs", [])
    assert any(c.architecture.get("removed_convs") for c in children if c.stage == "removal")
    # A layer search continues as a layer search only.
    with pytest.raises(ValueError, match="removal='layer'"):
        N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path), verbose=False,
                  ratios="authors")
    with pytest.raises(ValueError, match="removal"):
        N2NSearch(teacher, zoo.network_spec("resnet14"), train, validation, str(tmp_path / "x"), removal="unit")


def _write_children(directory, children):
    directory.mkdir(parents=True)
    base = {"update": 0, "rollout": 0, "architecture": {}, "params": 10, "accuracy": 0.5, "seconds": 1.0}
    (directory / "children.jsonl").write_text(
        "".join(json.dumps({**base, "stage": "removal", **c}) + "\n" for c in children))


def test_the_best_reward_curve_advances_only_with_trained_children(tmp_path):
    from rocket_keras.search import best_reward_curve, read_children

    _write_children(tmp_path / "s", [
        {"reward": 0.3, "cached": False},
        {"reward": -1.0, "cached": False, "degenerate": True},  # no block left: not trained
        {"reward": 0.6, "cached": False},
        {"reward": 0.6, "cached": True},  # seen before: not trained again
        {"reward": 0.4, "cached": False},
    ])
    children = read_children(tmp_path / "s")
    assert [c.reward for c in children] == [0.3, -1.0, 0.6, 0.6, 0.4]
    assert best_reward_curve(children) == [0.3, 0.6, 0.6]


def test_the_control_report_compares_samplers_at_the_children_every_search_trained(tmp_path):
    for sampler, seed, rewards in [("policy", 0, [0.2, 0.5, 0.9]), ("policy", 1, [0.4, 0.6]),
                                   ("random", 0, [0.3, 0.4, 0.5]), ("random", 1, [0.1, 0.2, 0.7])]:
        _write_children(tmp_path / f"{sampler}-seed{seed}", [{"reward": r, "cached": False} for r in rewards])
    run_example("search_control_report", f"--search_dir={tmp_path}", cwd=ROOT)
    text = (tmp_path / "control.md").read_text()
    # Two trained children is what every search reached: policy 0.5 and 0.6, random 0.4 and 0.2.
    assert "Best reward after 2 trained children" in text
    assert "| policy | 0.5000 | 0.6000 | 0.5500 ± 0.0707 |" in text
    assert "| random | 0.4000 | 0.2000 | 0.3000 ± 0.1414 |" in text
    assert "paired by seed: +0.1000, +0.4000" in text
    assert "| policy-seed1 | 2 | unfinished |" in text  # no summary.json yet
    assert (tmp_path / "control.png").stat().st_size > 0
    assert "Retrained" not in text  # nothing retrained yet


def test_the_control_report_tables_the_retrained_children_beside_resnet8(tmp_path):
    _write_children(tmp_path / "policy-seed0", [{"reward": 0.5, "cached": False}])
    for child, parameters, accuracies in [("policy-seed0-best", 40000, [0.80, 0.82]), ("policy-seed0-within_resnet8", 70000, [0.83, 0.83]),
                                         ("resnet8", 78042, [0.84, 0.85])]:
        for seed, accuracy in enumerate(accuracies):
            run = tmp_path / "retrained" / child / "fashion_mnist" / "resnet20-resnet8" / f"light-seed{seed}"
            run.mkdir(parents=True)
            (run / "results.json").write_text(json.dumps(
                {"method": "light", "seed": seed, "light_parameters": parameters, "light_test_accuracy": accuracy}))
    run_example("search_control_report", f"--search_dir={tmp_path}", cwd=ROOT)
    table = (tmp_path / "control.md").read_text().split("Retrained like the zoo's light net")[1]
    rows = [line.split(" | ")[0] for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == ["| resnet8", "| policy-seed0-best", "| policy-seed0-within_resnet8"]  # ResNet-8 first
    assert "| resnet8 | 78,042 | 0,1 | 84.50 ± 0.71 |" in table
    assert "| policy-seed0-best | 40,000 | 0,1 | 81.00 ± 1.41 |" in table


def test_trained_prefix_and_best_child_count_trained_children_only(tmp_path):
    from rocket_keras.search import best_child, read_children, trained_prefix

    _write_children(tmp_path / "s", [
        {"reward": 0.3, "cached": False, "params": 50},
        {"reward": 0.9, "cached": False, "degenerate": True},  # no block left: never the best
        {"reward": 0.6, "cached": True, "params": 90},  # seen before: drawn, not trained again
        {"reward": 0.5, "cached": False, "params": 20, "accuracy": 0.7},
        {"reward": 0.8, "cached": False, "params": 10},
    ])
    children = read_children(tmp_path / "s")
    assert [c.reward for c in trained_prefix(children, 2)] == [0.3, 0.9, 0.6, 0.5]
    assert trained_prefix(children, 9) == children  # fewer trained than asked: all of them
    assert best_child(trained_prefix(children, 2)).reward == 0.6
    assert best_child(children).reward == 0.8
    # Within a size: the most accurate of at most that many parameters.
    assert best_child(trained_prefix(children, 2), max_params=40).reward == 0.5
    assert best_child(children, max_params=5) is None


def test_the_retrained_children_come_from_the_trained_children_every_search_reached(tmp_path):
    teacher = zoo.network_spec("resnet20")
    widths = architecture.describe(teacher)

    def child(ratio, reward, cached=False):
        spec = architecture.shrink(teacher, [ratio] * len(widths))
        params = build_network(spec, input_shape=(28, 28, 1), num_classes=10).count_params()
        return {"reward": reward, "cached": cached, "params": params, "accuracy": ratio,
                "architecture": spec_to_dict(spec)}

    # The policy trained 2 children (its third draw was seen before), random 3: cut at 2, random's
    # best is its second child, not its third.
    searches = {"policy-seed0": [child(0.25, 0.6), child(0.5, 0.7), child(0.5, 0.7, cached=True)],
                "random-seed0": [child(0.25, 0.5), child(0.75, 0.55), child(0.5, 0.9)]}
    resnet8_params = zoo.get_network("resnet8", input_shape=(28, 28, 1)).count_params()
    for name, children in searches.items():
        _write_children(tmp_path / name, children)
    with pytest.raises(ValueError, match=r"must be finished.*Received: unfinished \['policy-seed0', 'random-seed0'\]"):
        run_example("search_control_report", f"--search_dir={tmp_path}", "--write_children", cwd=ROOT)
    for name in searches:
        (tmp_path / name / "summary.json").write_text(json.dumps(
            {"flags": {"model": "resnet20-resnet8"}, "light": {"architecture": "resnet8", "params": resnet8_params}}))
    run_example("search_control_report", f"--search_dir={tmp_path}", "--write_children", cwd=ROOT)

    def written(name, file):
        return spec_to_dict(zoo.network_spec(str(tmp_path / name / file)))

    assert written("random-seed0", "best_child_common.json") == searches["random-seed0"][1]["architecture"]
    assert written("policy-seed0", "best_child_common.json") == searches["policy-seed0"][1]["architecture"]
    # Within ResNet-8's parameters (the x0.25 and x0.5 children are; x0.75 is not): the most accurate.
    small = [c for c in searches["random-seed0"][:2] if c["params"] <= resnet8_params]
    assert written("random-seed0", "best_child_within_resnet8_common.json") == max(
        small, key=lambda c: c["accuracy"])["architecture"]
