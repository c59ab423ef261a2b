r"""Exports the light net of a saved model and prints the check report.

    python examples/export.py --model=runs/demo/model.keras --format=litert \
        --quantization=int8 --dataset=fashion_mnist --output=light_int8.tflite

``--model`` is a ``RocketModel`` (its light net is exported) or a plain
classifier of logits, such as the ``model.keras`` that ``train.py`` writes for
``--method=light``, ``kd`` or ``mimic``. ``--dataset`` supplies calibration
inputs (training split) and, with
``--evaluate``, the test split on which the exported file's accuracy is
measured through its runtime, next to the Keras light net's.
"""

import dataclasses
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("model", None, "Path of a .keras file: a RocketModel or a plain classifier of logits.",
                    required=True)
flags.DEFINE_enum("format", "litert", ["litert", "tflite", "tf_saved_model", "onnx"], "Export format.")
flags.DEFINE_enum("quantization", None, ["float16", "dynamic", "int8"], "TFLite quantization (default float32).")
flags.DEFINE_string("dataset", None, "Dataset for calibration and evaluation (fashion_mnist, cifar10, ...).")
flags.DEFINE_string("data_dir", None, "cifar10: TFRecord directory; others: tfds data_dir.")
flags.DEFINE_integer("calibration_examples", 200, "Training images that calibrate int8.")
flags.DEFINE_string("output", None, "Output file (.tflite, .onnx) or SavedModel directory.", required=True)
flags.DEFINE_bool("probabilities", True, "Append a softmax (False: output logits).")
flags.DEFINE_bool("int8_io", False, "With int8: int8 input and output tensors too.")
flags.DEFINE_bool("evaluate", True, "Measure test accuracy of the export and the Keras light net.")
flags.DEFINE_string("json_out", None, "Also write the report (and accuracies) to this JSON file.")

FLAGS = flags.FLAGS
# Checked when the flags are parsed, before TensorFlow is imported: a wrong command fails at once.
flags.register_multi_flags_validator(
    ["quantization", "dataset"], lambda values: values["quantization"] != "int8" or bool(values["dataset"]),
    "--quantization=int8 calibrates on training images: pass --dataset too.")


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    import keras

    import rocket_keras  # registers RocketModel for load_model
    from rocket_keras import data
    from rocket_keras.export import export_light, exported_accuracy, format_table, load_model_file

    try:
        model = load_model_file(FLAGS.model)
    except ValueError as error:
        sys.exit(str(error))
    # A rocket model ships its light net; a baseline's file is the net itself.
    light = model.light_model() if isinstance(model, rocket_keras.RocketModel) else model
    splits = None
    if FLAGS.dataset:
        splits = data.load(FLAGS.dataset, batch_size=128, data_dir=FLAGS.data_dir)
    report = export_light(
        model,
        FLAGS.output,
        format=FLAGS.format,
        quantization=FLAGS.quantization,
        representative_data=splits.train if splits else None,
        probabilities=FLAGS.probabilities,
        int8_io=FLAGS.int8_io,
        calibration_examples=FLAGS.calibration_examples,
    )
    rows = report.rows()
    record = dataclasses.asdict(report)
    if splits and FLAGS.evaluate:
        light.compile(metrics=["accuracy"], loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        record["keras_test_accuracy"] = light.evaluate(splits.test, return_dict=True, verbose=0)["accuracy"]
        record["exported_test_accuracy"] = exported_accuracy(report.path, splits.test, report.format)
        rows.append(("test accuracy, Keras light", f"{record['keras_test_accuracy']:.4f}"))
        rows.append(("test accuracy, exported", f"{record['exported_test_accuracy']:.4f}"))
    print(format_table(rows))
    if FLAGS.json_out:
        record["command"] = " ".join(sys.argv)
        with open(FLAGS.json_out, "w") as f:
            json.dump(record, f, indent=2)


if __name__ == "__main__":
    app.run(main)
