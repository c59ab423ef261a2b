r"""Finds a light net from a trained booster by N2N layer removal and shrinkage.

    python examples/search.py --model=resnet14-resnet8 --dataset=fashion_mnist \
        --output_dir=runs/search

The teacher is the pair's booster (``--teacher``: a ``model.keras`` of
``examples/train.py --method=booster``; without it the booster is trained
here first, ``--teacher_epochs`` on ``--teacher_train_size`` training images, and saved as
``teacher.keras``). Children are distilled from it for ``--child_epochs`` on
``--child_train_size`` training images and scored on ``--child_validation_size``
images of the validation split; the test set is never read.

The output directory gets ``children.jsonl`` (every child: architecture,
parameters, validation accuracy, reward, seconds), ``reference.json`` (the
zoo's hand-designed light nets trained the same way as a child),
``best_child.json`` (the best child's architecture), ``best_child_within_<light>.json`` (the most
accurate child no larger than the pair's light net), ``search.png``
(accuracy against parameters) and ``summary.json``. Rerunning the command
continues an interrupted search (``--resume``, on by default).

Hand the best child to rocket training with one flag:

    python examples/train.py --flagfile=recipes/resnet14-resnet8/fashion_mnist_demo.txt \
        --light_net=runs/search/best_child.json --method=rocket

``--removal=layer`` searches single convolutions instead of whole blocks
(``rocket_keras.search.layer_space``), ``--ratios=authors`` the N2N authors'
11 shrink actions. A child with convolutions removed from its blocks
records them in its file (``"removed_convs"``), which ``--light_net`` reads
like any other.
"""

import json
import os
import sys
import time

from absl import app, flags

flags.DEFINE_string("model", "resnet14-resnet8", "Registered pair: its booster is the teacher, its light net the reference.")
flags.DEFINE_string("dataset", "fashion_mnist", "Dataset name (rocket_keras.data.load).")
flags.DEFINE_string("data_dir", None, "cifar10: directory of the TFRecords; others: tfds data_dir.")
flags.DEFINE_string("teacher", None, "A trained booster (.keras, a plain network); default: train one here.")
flags.DEFINE_integer("teacher_epochs", 3, "Epochs of the teacher trained here (SGD 0.1, the demo recipe).")
flags.DEFINE_integer("teacher_train_size", 15000, "Training images of the teacher trained here (the demo recipe's).")
flags.DEFINE_integer("child_train_size", 10000, "Training images each child is distilled on.")
flags.DEFINE_integer("child_validation_size", 2000, "Validation images that score each child.")
flags.DEFINE_integer("child_epochs", 2, "Epochs of each child's distillation.")
flags.DEFINE_float("hint_weight", None, "lambda of the children's logits term (summed over classes); "
                   "default: rocket_keras.losses.HINT_WEIGHT, the paper's.")
flags.DEFINE_integer("rollouts", 5, "Children per policy update (the paper: 5).")
flags.DEFINE_integer("removal_updates", 6,
                     "Policy updates of stage 1 (layer removal; ResNet-14 has 16 block-removal children).")
flags.DEFINE_integer("shrink_updates", 20, "Policy updates of stage 2 (layer shrinkage).")
flags.DEFINE_list("ratios", ["0.25", "0.5", "0.75", "1.0"],
                  "Shrink ratios the second policy chooses from, or a named set: default, authors (the N2N "
                  "authors' 11 actions).")
flags.DEFINE_enum("removal", "block", ["block", "layer"],
                  "The search space: block (remove identity-shortcut blocks, one ratio per block) or layer "
                  "(remove single width-preserving convolutions, one ratio per free convolution width).")
flags.DEFINE_float("policy_learning_rate", 0.003, "Adam learning rate of both policies.")
flags.DEFINE_enum("sampler", "policy", ["policy", "random"],
                  "policy: N2N's REINFORCE policies; random: the control, uniform children from the same space.")
flags.DEFINE_enum("shrink_reward", "teacher", ["teacher", "parent"],
                  "Score stage 2 against the teacher or against stage 1's best child (the authors' code).")
flags.DEFINE_integer("max_params", None, "Size budget: children above it get reward -1 (the constrained reward).")
flags.DEFINE_bool("reference", True, "Train the zoo's light nets the same way as a child, for the plot.")
flags.DEFINE_integer("batch_size", 128, "Batch size of children and teacher.")
flags.DEFINE_integer("seed", 0, "Seed of the data split, the policies and the children.")
flags.DEFINE_string("output_dir", "runs/search", "Where the log, policies and plot go.")
flags.DEFINE_bool("resume", True, "Continue the search saved in --output_dir.")
FLAGS = flags.FLAGS


def children_hint_weight():
    from rocket_keras import losses

    return losses.HINT_WEIGHT if FLAGS.hint_weight is None else FLAGS.hint_weight


def load_or_train_teacher(splits, booster):
    import keras

    from rocket_keras import baselines, methods, zoo

    if FLAGS.teacher:
        return keras.models.load_model(FLAGS.teacher), FLAGS.teacher
    path = os.path.join(FLAGS.output_dir, "teacher.keras")
    if os.path.exists(path):
        return keras.models.load_model(path), path
    if FLAGS.resume and os.path.exists(os.path.join(FLAGS.output_dir, "state.json")):
        raise app.UsageError(
            f"{FLAGS.output_dir} holds a search whose teacher.keras is gone (git does not keep .keras files); "
            "a new teacher would not match its log. Pass --noresume to start over, or --teacher.")
    keras.utils.set_random_seed(FLAGS.seed)
    net = zoo.get_network(booster, input_shape=splits.input_shape, num_classes=splits.num_classes)
    teacher_splits = _splits(FLAGS.teacher_train_size)
    recipe = methods.Recipe(epochs=FLAGS.teacher_epochs)
    baselines.single_net(net, recipe.optimizer(teacher_splits.steps_per_epoch))
    print(f"Training the teacher ({booster}, {FLAGS.teacher_epochs} epochs on {teacher_splits.train_size} images)")
    net.fit(teacher_splits.train, epochs=FLAGS.teacher_epochs, verbose=2)
    net.save(path)
    return net, path


def _splits(train_size):
    from rocket_keras import data

    return data.load(FLAGS.dataset, batch_size=FLAGS.batch_size, seed=FLAGS.seed, data_dir=FLAGS.data_dir,
                     train_size=train_size, augment=False)


def reference_nets(search_run, input_shape, num_classes):
    """The zoo's light nets (one per architecture), each trained like a child."""
    from rocket_keras import zoo
    from rocket_keras.search import child_training

    path = os.path.join(FLAGS.output_dir, "reference.json")
    done = json.load(open(path)) if os.path.exists(path) else {}
    for pair in zoo.list_models():
        light = zoo.pair_architectures(pair)[1]
        if light in done:
            continue
        net = zoo.get_network(light, input_shape=input_shape, num_classes=num_classes)
        accuracy, seconds = child_training.train_child(
            net, search_run.train, search_run.validation, search_run.logits, epochs=FLAGS.child_epochs,
            batch_size=FLAGS.batch_size, hint_weight=children_hint_weight(), seed=FLAGS.seed,
        )
        done[light] = {"params": net.count_params(), "accuracy": accuracy, "seconds": seconds}
        print(f"zoo light net {light}: {net.count_params():,} parameters, validation accuracy {accuracy:.4f}")
        with open(path, "w") as f:
            json.dump(done, f, indent=1)
    return done


def plot(children, reference, teacher, best, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for stage, marker in (("removal", "o"), ("shrink", "s")):
        points = [c for c in children if c.stage == stage and not c.degenerate]
        ax.scatter([c.params for c in points], [c.accuracy for c in points], marker=marker, alpha=0.6,
                   label=f"N2N children, {stage}")
    ax.scatter([best.params], [best.accuracy], marker="*", s=250, color="gold", edgecolor="k", label="best reward")
    for name, ref in reference.items():
        ax.scatter([ref["params"]], [ref["accuracy"]], marker="^", color="k")
        ax.annotate(name, (ref["params"], ref["accuracy"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axhline(teacher["accuracy"], color="gray", linestyle="--", label=f"teacher ({teacher['params']:,} parameters)")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation accuracy (child budget)")
    ax.legend(fontsize=8)
    ax.set_title("N2N search: children and the zoo's light nets, trained the same way")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv):
    del argv
    import keras

    from rocket_keras import backends, data, zoo
    from rocket_keras.search import N2NSearch, policies
    from rocket_keras.zoo.spec import save_spec

    started = time.time()
    resumed = FLAGS.resume and os.path.exists(os.path.join(FLAGS.output_dir, "state.json"))
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    if not FLAGS.resume:
        for name in ("state.json", "reference.json", "teacher.keras", "removal_policy.keras", "shrink_policy.keras"):
            if os.path.exists(os.path.join(FLAGS.output_dir, name)):
                os.remove(os.path.join(FLAGS.output_dir, name))
    keras.utils.set_random_seed(FLAGS.seed)
    import tensorflow as tf

    # The same seed gives the same teacher, children and search.
    tf.config.experimental.enable_op_determinism()
    booster, light = zoo.pair_architectures(FLAGS.model)
    splits = _splits(FLAGS.child_train_size)
    teacher, teacher_path = load_or_train_teacher(splits, booster)
    train = data.as_arrays(splits.train)
    validation = data.as_arrays(splits.validation, limit=FLAGS.child_validation_size)
    search_run = N2NSearch(
        teacher, zoo.network_spec(booster), train, validation, FLAGS.output_dir,
        rollouts=FLAGS.rollouts, child_epochs=FLAGS.child_epochs, batch_size=FLAGS.batch_size,
        hint_weight=children_hint_weight(),
        ratios=FLAGS.ratios[0] if FLAGS.ratios[0] in policies.RATIO_SETS else FLAGS.ratios, removal=FLAGS.removal,
        learning_rate=FLAGS.policy_learning_rate, seed=FLAGS.seed, resume=FLAGS.resume,
        sampler=FLAGS.sampler, shrink_reward=FLAGS.shrink_reward, max_params=FLAGS.max_params,
    )
    best = search_run.run(FLAGS.removal_updates, FLAGS.shrink_updates)
    save_spec(search_run.best_spec(), booster, os.path.join(FLAGS.output_dir, "best_child.json"))
    # The reward favours compression; for a like-for-like comparison with the
    # pair's light net, also keep the most accurate child no larger than it.
    light_params = zoo.get_network(light, input_shape=splits.input_shape, num_classes=splits.num_classes).count_params()
    best_small = search_run.best_within(light_params)
    if best_small is not None:
        save_spec(search_run.spec_of(best_small), booster,
                   os.path.join(FLAGS.output_dir, f"best_child_within_{light}.json"))
    reference = reference_nets(search_run, splits.input_shape, splits.num_classes) if FLAGS.reference else {}
    children = search_run.children()
    teacher_record = {"architecture": booster, "params": search_run.teacher_params,
                      "accuracy": search_run.teacher_accuracy, "file": teacher_path}
    plot(children, reference, teacher_record, best, os.path.join(FLAGS.output_dir, "search.png"))
    summary = {
        "command": " ".join(["python"] + sys.argv),
        "flags": {**{f.name: f.value for f in FLAGS.get_key_flags_for_module(sys.argv[0])},
                  "hint_weight": children_hint_weight()},
        "backend": backends.name(),
        "teacher": teacher_record,
        "light": {"architecture": light, "params": light_params},  # the pair's light net, what children are held to
        "best": {"params": best.params, "accuracy": best.accuracy, "reward": best.reward, "stage": best.stage,
                 "architecture": best.architecture},
        f"best_within_{light}": None if best_small is None else {
            "params": best_small.params, "accuracy": best_small.accuracy, "reward": best_small.reward,
            "stage": best_small.stage, "architecture": best_small.architecture, "limit_params": light_params},
        "reference": reference,
        "children": len(children),
        "children_trained": sum(not c.cached and not c.degenerate for c in children),
        "child_seconds": sum(c.seconds for c in children),
        "validation": f"{len(validation[1])} images of the validation split (never the test set)",
        # Wall-clock seconds of this command, teacher, search, reference nets
        # and plot included; a resumed call counts only its own part.
        "seconds": round(time.time() - started, 1),
        "resumed": resumed,
    }
    with open(os.path.join(FLAGS.output_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"Best child: {best.params:,} parameters, validation accuracy {best.accuracy:.4f} "
          f"(teacher {search_run.teacher_accuracy:.4f}, {search_run.teacher_params:,}); reward {best.reward:.4f}. "
          f"Architecture: {os.path.join(FLAGS.output_dir, 'best_child.json')}")


if __name__ == "__main__":
    app.run(main)
