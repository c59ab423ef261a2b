r"""Wall-clock time of one rocket run vs the two-stage alternative.

    python bench/train_total.py --model=resnet14-resnet8_fmnist --epochs=1 --train_size=5000

In one process, on the same data pipeline: trains the rocket pair for
``--epochs``, then the booster alone for ``--epochs`` followed by a KD student
for ``--epochs`` (``keras.distillation``), and reports the times and the
ratio rocket / (booster + student). Each stage's first epoch includes its
tracing, as it would for a user. Writes ``<--output_dir>/train_total-<model>.json``
(default ``runs/bench``; committed copies in bench/results/).
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("model", "resnet14-resnet8_fmnist", "Registered pair.")
flags.DEFINE_string("dataset", "fashion_mnist", "Dataset (see rocket_keras.data.load).")
flags.DEFINE_string("data_dir", None, "cifar10: TFRecord directory.")
flags.DEFINE_integer("epochs", 1, "Epochs of each stage.")
flags.DEFINE_integer("train_size", 5000, "Training examples.")
flags.DEFINE_integer("batch_size", 128, "Batch size.")
flags.DEFINE_enum("share", None, ["bottom", "interval", "none"], "Sharing layout of the rocket run; default: the pair's own.")
flags.DEFINE_string("output_dir", "runs/bench", "Where the JSON goes (the committed files are in bench/results).")
FLAGS = flags.FLAGS


def timed_fit(model, dataset):
    start = time.perf_counter()
    model.fit(dataset, epochs=FLAGS.epochs, verbose=0, shuffle=False)  # the pipeline shuffles
    return time.perf_counter() - start


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    import keras

    from rocket_keras import data, methods
    from rocket_keras.export import format_table
    from rocket_keras.training.records import write_measurement
    from rocket_keras.zoo import get_model

    splits = data.load(FLAGS.dataset, batch_size=FLAGS.batch_size, data_dir=FLAGS.data_dir, train_size=FLAGS.train_size)
    train = splits.train
    for _ in train:  # Fill the pipeline's cache so no stage pays for decoding.
        pass
    optimizer = lambda: keras.optimizers.SGD(0.05, momentum=0.9)  # noqa: E731
    shape = {"input_shape": splits.input_shape, "num_classes": splits.num_classes}

    def make_pair(**kwargs):
        return get_model(FLAGS.model, **shape, **kwargs)

    rocket, _ = methods.build(f"rocket:share={FLAGS.share}" if FLAGS.share else "rocket", make_pair, optimizer())
    rocket_s = timed_fit(rocket, train)

    teacher, _ = methods.build("booster", make_pair, optimizer())
    booster_s = timed_fit(teacher, train)
    student, _ = methods.build("kd", make_pair, optimizer(), teacher=teacher)
    student_s = timed_fit(student, train)

    results = {
        "model": FLAGS.model,
        "share": FLAGS.share or "the pair's default",
        "dataset": FLAGS.dataset,
        "epochs": FLAGS.epochs,
        "train_size": splits.train_size,
        "batch_size": FLAGS.batch_size,
        "rocket_s": rocket_s,
        "booster_alone_s": booster_s,
        "kd_student_s": student_s,
        "ratio_rocket_to_two_stage": rocket_s / (booster_s + student_s),
    }
    print(format_table([
        ("rocket", f"{rocket_s:.1f} s"),
        ("booster alone", f"{booster_s:.1f} s"),
        ("KD student", f"{student_s:.1f} s"),
        ("rocket / (booster + student)", f"{results['ratio_rocket_to_two_stage']:.2f}"),
    ]))
    suffix = f"-{FLAGS.share}" if FLAGS.share else ""
    print("wrote", write_measurement(FLAGS.output_dir, f"train_total-{FLAGS.model}{suffix}.json", results))


if __name__ == "__main__":
    app.run(main)
