r"""Classifies images with a preset's shipped light net, through its int8 TFLite file (LiteRT).

    python examples/classify.py --preset=resnet20-resnet8.cifar10 examples/images/cifar10_ship.jpg

What a phone would run: the preset's ``light_int8.tflite`` (hash-checked),
fed the image resized to the preset's input size as pixels / 255; prints the
top classes with their probabilities. ``--preset`` also takes a directory
holding a ``preset.json`` (``rocket_keras.zoo.save_preset``).
"""

import sys

from absl import app, flags

flags.DEFINE_string("preset", "resnet20-resnet8.cifar10", "A shipped preset's name or a preset directory.")
flags.DEFINE_integer("top", 3, "How many classes to print per image.")
FLAGS = flags.FLAGS


def main(argv):
    images = argv[1:]
    if not images:
        raise app.UsageError("Give one or more image files, e.g. examples/images/cifar10_ship.jpg")
    from rocket_keras.zoo.presets import classify

    for path in images:
        ranked = classify(FLAGS.preset, path, top=FLAGS.top)
        print(f"{path}: " + ", ".join(f"{name} {probability:.1%}" for name, probability in ranked))


if __name__ == "__main__":
    sys.exit(app.run(main))
