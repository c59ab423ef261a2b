r"""Accuracy of finished runs' kept nets on their data's splits, the training split too, without augmentation.

    python examples/evaluate.py \
        --run_dir=results/cifar10/resnet20-resnet8.strong.no_l2_norm_and_bias/light-seed0 --write

A run's history shows a training ``accuracy`` that is a running mean over
an epoch of augmented batches in training mode; this measures the final
nets (``light.keras``, and ``booster.keras`` where kept) on the training
images as they are, beside validation and test, to tell a net that cannot
fit its data from one that generalises poorly. ``--write`` keeps the
numbers, with the machine, in ``<run_dir>/split_accuracies.json``
(``rocket_keras.training.evaluate_run``).
"""

import sys

from absl import app, flags

flags.DEFINE_multi_string("run_dir", [], "A finished run's directory (holding results.json and light.keras); repeatable.")
flags.DEFINE_list("splits", ["train", "validation", "test"], "Which splits to measure.")
flags.DEFINE_bool("write", False, "Also write <run_dir>/split_accuracies.json.")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1 or not FLAGS.run_dir:
        raise app.UsageError("Give one or more --run_dir=<finished run directory>, and no positional arguments.")
    from rocket_keras import training
    from rocket_keras.training import records

    for run_dir in FLAGS.run_dir:
        scores = training.evaluate_run(run_dir, splits=FLAGS.splits)
        for head, by_split in scores.items():
            print(f"{run_dir} {head}: " + ", ".join(f"{split} {value:.2%}" for split, value in by_split.items()))
        if FLAGS.write:
            command = " ".join(["python", "examples/evaluate.py", f"--run_dir={run_dir}",
                                f"--splits={','.join(FLAGS.splits)}", "--write"])
            records.write_measurement(run_dir, "split_accuracies.json",
                                      {"command": command, "augmented": False, "accuracy": scores})


if __name__ == "__main__":
    sys.exit(app.run(main))
