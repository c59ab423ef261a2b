r"""Trains a rocket pair (or one of its nets alone) and exports the light net.

    python examples/train.py --model=resnet14-resnet8 --epochs=3 \
        --output_dir=runs/demo

    python examples/train.py --flagfile=recipes/resnet20-resnet8/cifar10_paper.txt --method=light

A command line over ``rocket_keras.training``: the flags are the fields of
``training.Config`` (and the methods' parameters, ``rocket_keras.methods``),
and the run is ``training.train(config)``; ``--helpfull`` lists them.

Writes to ``--output_dir``: ``model.keras`` (the best epoch on validation is
not chosen: the last epoch is kept, so no choice depends on data),
``light.keras`` (the light net alone), a CSV history, a TensorBoard log, a
BackupAndRestore directory (``--resume`` continues from it),
``light_float32.tflite`` and ``light_int8.tflite`` and ``results.json``
with test accuracies, each TFLite file measured through the LiteRT
interpreter on the whole test set. A run stopped by a non-finite loss still
writes ``results.json``, with ``training_error`` and no test accuracy, and
exits non-zero.

``--method`` is a method spec (``rocket_keras.methods``): ``light`` /
``booster`` train the same light or booster network alone with
cross-entropy, the baselines rocket training must beat; ``kd`` / ``mimic``
distil a trained booster (``--teacher``) into the light net
(``rocket_keras.baselines``), and ``model.keras`` is then the light net
alone; ``rocket`` trains the pair. Parameters in the spec win over the flags
of the same name: ``--method=rocket:hint_weight=0.01,share=stem``,
``--method=kd:alpha=0.9``, ``--method=rocket:teacher_alpha=0.9
--teacher=...`` (rocket + KD from a frozen booster).

The paper's recipe (``recipes/resnet20-resnet8/cifar10_paper.txt``) adds
``--l2`` (coupled L2 on every weight), ``--lr_decay_at=0.3,0.6,0.8
--lr_decay_factor=0.2 --momentum_reset``, ``--padding=reflect`` and
``--normalize_input``. ``--jit_compile`` (XLA) needs ``--nodeterministic``;
on this project's CPUs it does not pay (bench/README.md, "Execution").

``--strategy``, ``--mixed_precision``, ``--seed`` and ``--resume`` are
described in the README's "Training safely".
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging  # noqa: E402

from rocket_keras import training  # noqa: E402

training.define_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    from rocket_keras.callbacks import NonFiniteLossError

    config = training.Config.from_flags(FLAGS)
    try:
        record = training.train(config, command=" ".join(sys.argv))
    except training.OptionError as error:
        raise app.UsageError(str(error)) from None
    except NonFiniteLossError as error:
        sys.exit(f"{error}\nThe last good model is {os.path.join(config.output_dir, 'model.keras')} "
                 "(if an epoch finished).")
    except RuntimeError as error:  # trained, but the export failed; results.json says so
        sys.exit(str(error))
    print("\nTest accuracy")
    for key, value in record.items():
        if key.endswith("test_accuracy"):
            print(f"  {key[:-len('_test_accuracy')]:<10} {value:.4f}")
        elif key.startswith("tflite_"):
            print(f"  {key:<10} {value['test_accuracy']:.4f}  ({value['size_bytes']:,} bytes)")


if __name__ == "__main__":
    app.run(main)
