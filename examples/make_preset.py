r"""Makes a preset (rocket_keras.zoo.presets) from a finished train.py run of a pair.

    python examples/make_preset.py --run=runs/presets/resnet20-resnet8.cifar10 \
        --name=resnet20-resnet8.cifar10 --output=rocket_keras/zoo/shipped/resnet20-resnet8.cifar10

Reads the run's ``results.json`` and ``model.keras`` (the whole pair), writes
the pair's weights, the run's int8 TFLite light net and ``preset.json``;
then loads the preset back by hash, evaluates its light net on the whole test
split and on the fixed 500-image slice, in Keras and through LiteRT, and
refuses to write a preset whose test accuracy is not the run's.
"""

import os
import sys

from absl import app, flags

from rocket_keras.data import CIFAR10_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES

flags.DEFINE_string("run", None, "A finished train.py output directory (results.json, model.keras).", required=True)
flags.DEFINE_string("name", None, "The preset's name, architecture.tag (e.g. resnet20-resnet8.cifar10).", required=True)
flags.DEFINE_string("output", None, "Directory to write; default rocket_keras/zoo/shipped/<name>.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import keras

    from rocket_keras import methods, training
    from rocket_keras.data import CIFAR10_CHANNEL_STATS
    from rocket_keras.training.run import parse_overrides
    from rocket_keras.zoo import presets

    record = training.read_results(FLAGS.run)
    if len(methods.parse(record["method"]).heads) != 2:
        raise app.UsageError(f"A preset ships a pair: {FLAGS.run} trained {record['method']!r}, one net.")
    run_flags = record["flags"]
    model = keras.models.load_model(os.path.join(FLAGS.run, "model.keras"))
    arguments = {"input_shape": list(model.input.shape[1:]), "num_classes": model.num_classes}
    if record.get("input_normalization"):
        arguments["input_normalization"] = record["input_normalization"]
    elif run_flags.get("normalize_input"):  # runs recorded before results.json kept it: CIFAR-10's
        arguments["input_normalization"] = [list(v) for v in CIFAR10_CHANNEL_STATS]
    arguments.update(parse_overrides(run_flags.get("override") or []))
    output = FLAGS.output or str(presets.SHIPPED / FLAGS.name)
    images, labels = presets.test_split(record["dataset"], run_flags.get("data_dir") or None, seed=record["seed"],
                                        **{k: run_flags[k] for k in ("validation_size", "train_size") if k in run_flags})
    config = presets.save_preset(
        model, output, name=FLAGS.name, architecture=record["model"], builder_arguments=arguments,
        class_names=record.get("class_names") or CLASS_NAMES.get(record["dataset"], ()),
        recipe=next((a.split("=", 1)[1] for a in record["command"].split() if a.startswith("--flagfile=")), None),
        command=record["command"],
        int8_file=os.path.join(FLAGS.run, "light_int8.tflite"))
    full = presets.accuracies(output, images, labels)
    sliced = presets.accuracies(output, images[presets.TEST_SLICE], labels[presets.TEST_SLICE])
    if abs(full["keras"] - record["light_test_accuracy"]) > 0.5 / len(labels):  # not one image apart
        raise SystemExit(f"The preset's light net gives {full['keras']:.4f} on the test split, the run recorded "
                         f"{record['light_test_accuracy']:.4f}: not written as the run's result.")
    config["result"] = {
        "dataset": record["dataset"],
        "split": "test",
        "light_test_accuracy": full["keras"],
        "booster_test_accuracy": record.get("booster_test_accuracy"),
        "light_int8_test_accuracy": full.get("int8"),
        "test_slice": "every 20th test image (500)",
        "light_slice_accuracy": sliced["keras"],
        "light_int8_slice_accuracy": sliced.get("int8"),
        "results_json": record,
    }
    presets.write_config(output, config)
    print(f"{output}: light {full['keras']:.4f} (int8 {full.get('int8')}), slice {sliced}", file=sys.stderr)


# For runs recorded before results.json kept class names.
CLASS_NAMES = {"cifar10": CIFAR10_CLASS_NAMES, "fashion_mnist": FASHION_MNIST_CLASS_NAMES}

if __name__ == "__main__":
    app.run(main)
