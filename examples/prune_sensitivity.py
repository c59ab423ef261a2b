r"""Per-layer pruning sensitivity of a trained light net, a plot, and per-layer targets.

    python examples/prune_sensitivity.py --model_file=runs/rocket/model.keras --dataset=fashion_mnist \
        --output_dir=runs/sensitivity

Each prunable layer of the light net (convolutions, depthwise convolutions,
the logits layer) is pruned alone by magnitude to each ``--sparsities``, with
no retraining, and the light net's accuracy is measured on the validation
split (never the test set, since the targets chosen from it are settings).
Writes ``sensitivity.json`` (the accuracies, and ``targets``: for each layer
the highest sparsity that costs at most ``--max_drop`` accuracy) and
``sensitivity.png``. Train with those targets:

    python examples/train.py --flagfile=recipes/resnet14-resnet8/fashion_mnist_demo.txt \
        --prune_targets=runs/sensitivity/sensitivity.json
"""

import json
import os
import sys

from absl import app, flags

flags.DEFINE_string("model_file", None, "A trained rocket model (model.keras of examples/train.py).", required=True)
flags.DEFINE_string("dataset", "fashion_mnist", "Dataset of the model.")
flags.DEFINE_string("data_dir", None, "cifar10: directory of the TFRecords; others: tfds data_dir.")
flags.DEFINE_integer("validation_size", 5000, "Training examples held out for validation (as in train.py).")
flags.DEFINE_integer("seed", 0, "Seed of the validation split (as in train.py).")
flags.DEFINE_list("sparsities", ["0.5", "0.75", "0.9"], "Sparsities tried for each layer.")
flags.DEFINE_float("max_drop", 0.005, "Largest validation accuracy drop a layer's target may cost.")
flags.DEFINE_string("output_dir", "runs/sensitivity", "Where sensitivity.json and sensitivity.png go.")
FLAGS = flags.FLAGS


def plot(report, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, results in report["layers"].items():
        sparsities = [0.0] + [float(s) for s in results]
        accuracies = [report["baseline"]] + list(results.values())
        ax.plot(sparsities, accuracies, marker="o", label=f"{name} ({report['parameters'][name]:,})")
    ax.set_xlabel("sparsity of one layer (the others dense), no retraining")
    ax.set_ylabel("validation accuracy of the light net")
    ax.legend(fontsize=6, ncol=2)
    ax.set_title("Per-layer pruning sensitivity")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv):
    del argv
    import keras

    import rocket_keras  # noqa: F401  (registers the saved model's classes)
    from rocket_keras import data, pruning

    model = keras.models.load_model(FLAGS.model_file)
    splits = data.load(FLAGS.dataset, validation_size=FLAGS.validation_size, seed=FLAGS.seed, data_dir=FLAGS.data_dir)
    light = model.light_model() if hasattr(model, "light_model") else model
    light.compile(metrics=["accuracy"], loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    def evaluate(_):
        return light.evaluate(splits.validation, return_dict=True, verbose=0)["accuracy"]

    report = pruning.sensitivity(light, evaluate, sparsities=[float(s) for s in FLAGS.sparsities])
    report["targets"] = pruning.layer_targets(report, FLAGS.max_drop)
    report["max_drop"] = FLAGS.max_drop
    report["command"] = " ".join(["python"] + sys.argv)
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    # JSON keys are strings: the sparsities become "0.5", ...
    report["layers"] = {name: {str(s): a for s, a in r.items()} for name, r in report["layers"].items()}
    with open(os.path.join(FLAGS.output_dir, "sensitivity.json"), "w") as f:
        json.dump(report, f, indent=1)
    plot(report, os.path.join(FLAGS.output_dir, "sensitivity.png"))
    total = sum(report["parameters"].values())
    pruned = sum(report["parameters"][name] * t for name, t in report["targets"].items())
    print(f"Baseline validation accuracy {report['baseline']:.4f}; targets for {len(report['targets'])} of "
          f"{len(report['layers'])} layers, {pruned / total:.1%} of the kernel weights overall.")


if __name__ == "__main__":
    app.run(main)
