"""Presets: a registered pair with its input, its recipe and trained, hash-checked weights.

A preset is a directory holding ``preset.json`` and the files it names
(keras-hub's idea in this package's terms; names follow timm's
``architecture.tag``: ``resnet20-resnet8.cifar10``):

- ``architecture`` and ``builder_arguments``: ``get_model(architecture,
  **builder_arguments)`` builds the pair (input shape, classes, the input
  normalisation layer it was trained with);
- ``input``: what the model takes (pixels / 255 in [0, 1]) and the class names;
- ``recipe``: the recipe file and the command that trained the weights;
- ``weights``: the pair's ``.weights.h5`` file and its sha256, checked before
  loading; optionally the light net's int8 TFLite file and its sha256;
- ``result``: the accuracies the files give (full test split, the fixed
  500-image slice ``TEST_SLICE``, the int8 file) and the ``results.json``
  they came from.

The presets shipped with the package live in ``rocket_keras/zoo/shipped/``;
any directory with the same files is a preset too, so users publish their
own with ``save_preset``.

Example:

```python
from rocket_keras.zoo import from_preset, list_presets

list_presets()  # ["resnet20-resnet8.cifar10", ...]
model = from_preset("resnet20-resnet8.cifar10")  # a RocketModel with trained weights
light = model.light_model()  # ships alone: logits of the 10 CIFAR-10 classes for pixels / 255
```
"""

import hashlib
import json
import os
import pathlib

from rocket_keras.zoo.registry import get_model

PRESET_FILE = "preset.json"
WEIGHTS_FILE = "pair.weights.h5"
INT8_FILE = "light_int8.tflite"
SHIPPED = pathlib.Path(__file__).parent / "shipped"
# The fixed test slice a preset records its accuracy on: every 20th test image
# (CIFAR-10's copy here is ordered by class, so a prefix would be one class).
TEST_SLICE = slice(0, None, 20)


def list_presets():
    """The names of the presets shipped with the package, sorted.

    Example:

    ```python
    "resnet20-resnet8.cifar10" in list_presets()  # True
    ```
    """
    if not SHIPPED.is_dir():
        return []
    return sorted(p.name for p in SHIPPED.iterdir() if (p / PRESET_FILE).is_file())


def preset_directory(name_or_directory):
    """The directory of a shipped preset's name, or ``name_or_directory`` if it is a preset directory.

    Raises:
        ValueError: for neither, listing the shipped presets.
    """
    text = os.fspath(name_or_directory)
    candidates = [pathlib.Path(text)] if os.sep in text or os.path.isdir(text) else []
    candidates.append(SHIPPED / text)
    for directory in candidates:
        if (directory / PRESET_FILE).is_file():
            return directory
    raise ValueError(f"{text!r} is neither a shipped preset ({list_presets()}) nor a directory holding "
                     f"{PRESET_FILE}. Received: name_or_directory={text!r}")


def load_preset_config(name_or_directory):
    """The ``preset.json`` of a preset, as a dict (with ``directory`` added).

    Example:

    ```python
    config = load_preset_config("resnet20-resnet8.cifar10")
    config["input"]["class_names"][:2], config["result"]["light_test_accuracy"]  # ["airplane", "automobile"], ...
    ```
    """
    directory = preset_directory(name_or_directory)
    with open(directory / PRESET_FILE) as f:
        config = json.load(f)
    config["directory"] = str(directory)
    return config


def sha256(path):
    """The sha256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_file(config, key):
    """The path of the preset's file ``config["weights"][key]``, after checking it exists and its sha256.

    Raises:
        ValueError: for a missing file or a wrong hash, saying which file.
    """
    entry = config["weights"].get(key)
    if not entry:
        raise ValueError(f"Preset {config['name']!r} ships no {key!r} file. Received: key={key!r}")
    path = pathlib.Path(config["directory"]) / entry["file"]
    if not path.is_file():
        raise ValueError(f"Preset {config['name']!r}: its {key} file {str(path)!r} is missing. "
                         f"Received: {config['directory']!r}")
    actual = sha256(path)
    if actual != entry["sha256"]:
        raise ValueError(f"Preset {config['name']!r}: {str(path)!r} does not match its recorded sha256 (a damaged "
                         f"or replaced file); refusing to load it. Expected {entry['sha256']}, received {actual}")
    return path


def from_preset(name_or_directory, weights=True):
    """Builds a preset's pair; with ``weights``, loads its trained weights after checking their hash.

    Args:
        name_or_directory: a shipped preset's name (``list_presets()``) or a
            directory holding ``preset.json`` and its files.
        weights: load the preset's weights (``False``: the architecture
            only, freshly initialised).

    Returns:
        A ``RocketModel``, not compiled; ``light_model()`` is the net that
        ships. It takes pixels / 255 in [0, 1] (any normalisation is a layer
        inside) and gives logits.

    Raises:
        ValueError: for an unknown preset, a missing weights file or a
            weights file whose sha256 is not the recorded one.

    Example:

    ```python
    model = from_preset("resnet20-resnet8.cifar10")
    logits = model.light_model().predict(images / 255.0)
    ```
    """
    config = load_preset_config(name_or_directory)
    model = get_model(config["architecture"], **builder_arguments(config))
    if weights:
        model.load_weights(checked_file(config, "pair"))
    return model


def builder_arguments(config):
    """The preset's builder arguments with JSON lists back as tuples."""
    return _as_builder_arguments(config.get("builder_arguments", {}))


def _as_builder_arguments(arguments):
    def as_tuple(value):
        return tuple(as_tuple(v) for v in value) if isinstance(value, list) else value

    return {key: as_tuple(value) for key, value in arguments.items()}


def save_preset(model, directory, *, name, architecture, builder_arguments=None, class_names=None, recipe=None,
                command=None, result=None, int8_file=None):
    """Writes ``model``'s weights and ``preset.json`` into ``directory``: a preset ``from_preset`` loads.

    Args:
        model: the trained pair (``get_model(architecture, **builder_arguments)``).
        directory: where to write (created).
        name: the preset's name, ``architecture.tag``.
        architecture: its registered name.
        builder_arguments: what ``get_model`` needs besides the name (JSON values).
        class_names: the class names in label order.
        recipe, command: the recipe file and the command that trained it.
        result: the accuracies the files give and where they were recorded.
        int8_file: the light net's int8 TFLite file to ship beside (copied).

    Returns:
        The directory's ``preset.json`` as a dict.

    Example:

    ```python
    save_preset(model, "my_preset", name="resnet20-resnet8.mydata", architecture="resnet20-resnet8",
                builder_arguments={"num_classes": 5}, class_names=["a", "b", "c", "d", "e"])
    from_preset("my_preset")
    ```
    """
    import shutil

    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # The pair's weights alone, written from an uncompiled copy: a compiled model's weights file also
    # holds its optimizer's state (as large as the weights again), which nobody loading a preset needs.
    bare = get_model(architecture, **_as_builder_arguments(builder_arguments or {}))
    bare.set_weights(model.get_weights())
    bare.save_weights(directory / WEIGHTS_FILE)
    files = {"pair": {"file": WEIGHTS_FILE, "sha256": sha256(directory / WEIGHTS_FILE),
                      "size_bytes": (directory / WEIGHTS_FILE).stat().st_size}}
    if int8_file is not None:
        if pathlib.Path(int8_file).resolve() != (directory / INT8_FILE).resolve():
            shutil.copyfile(int8_file, directory / INT8_FILE)
        files["light_int8"] = {"file": INT8_FILE, "sha256": sha256(directory / INT8_FILE),
                               "size_bytes": (directory / INT8_FILE).stat().st_size}
    config = {
        "name": name,
        "architecture": architecture,
        "builder_arguments": builder_arguments or {},
        "input": {"scale": "pixels / 255, in [0, 1]", "class_names": list(class_names or [])},
        "recipe": recipe,
        "command": command,
        "weights": files,
        "result": result or {},
    }
    write_config(directory, config)
    return config


def write_config(directory, config):
    """Writes ``config`` as the ``preset.json`` of ``directory`` (its ``directory`` key left out)."""
    with open(pathlib.Path(directory) / PRESET_FILE, "w") as f:
        json.dump({k: v for k, v in config.items() if k != "directory"}, f, indent=2)
        f.write("\n")


def test_split(dataset, data_dir=None, **load_arguments):
    """The test split of ``dataset`` as arrays ``(images, labels)``, images as pixels / 255 (no augmentation).

    ``load_arguments`` go to ``rocket_keras.data.load`` (a generated set's
    seed and sizes; a file's test split does not depend on them).
    """
    from rocket_keras import data

    splits = data.load(dataset, data_dir=data_dir, augment=False, **load_arguments)
    return data.as_arrays(splits.test)


def accuracies(name_or_directory, images, labels, batch_size=128):
    """The accuracy of a preset's light net on ``(images, labels)``, in Keras and through its int8 file.

    Returns ``{"keras": ..., "int8": ...}`` (``int8`` only when the preset
    ships the file, run by LiteRT). Both files are hash-checked first.

    Example:

    ```python
    images, labels = test_split("cifar10", "../shared/data/cifar10_jpeg")
    accuracies("resnet20-resnet8.cifar10", images[TEST_SLICE], labels[TEST_SLICE])  # {"keras": ..., "int8": ...}
    ```
    """
    import numpy as np

    from rocket_keras.export import exported_accuracy

    config = load_preset_config(name_or_directory)
    light = from_preset(config["directory"]).light_model()
    predicted = np.argmax(light.predict(images, batch_size=batch_size, verbose=0), axis=-1)
    result = {"keras": float(np.mean(predicted == np.asarray(labels).reshape(-1)))}
    if "light_int8" in config["weights"]:
        batches = [(images[i:i + batch_size], labels[i:i + batch_size]) for i in range(0, len(images), batch_size)]
        result["int8"] = float(exported_accuracy(checked_file(config, "light_int8"), batches))
    return result


def classify(name_or_directory, image_path, top=3):
    """The ``top`` classes of one image file by a preset's int8 TFLite light net, as ``[(name, probability)]``.

    The image is read at the preset's input size (resized if it differs,
    grayscale or RGB as the preset's channels), scaled to pixels / 255 and
    run by LiteRT through the hash-checked ``light_int8.tflite``, the file a
    phone would run; its outputs are probabilities.

    Example:

    ```python
    classify("resnet20-resnet8.cifar10", "examples/images/cifar10_ship.jpg")  # [("ship", 0.9...), ...]
    ```
    """
    import keras
    import numpy as np

    from rocket_keras.export import load_exported

    config = load_preset_config(name_or_directory)
    height, width, channels = builder_arguments(config).get("input_shape", (32, 32, 3))
    image = keras.utils.load_img(image_path, target_size=(height, width),
                                 color_mode="grayscale" if channels == 1 else "rgb")
    pixels = keras.utils.img_to_array(image)[None] / 255.0
    probabilities = load_exported(checked_file(config, "light_int8"))(pixels)[0]
    names = config["input"]["class_names"] or [str(i) for i in range(len(probabilities))]
    order = np.argsort(probabilities)[::-1][:top]
    return [(names[i], float(probabilities[i])) for i in order]
