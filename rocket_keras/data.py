"""tf.data pipelines for Fashion-MNIST, CIFAR-10 and tensorflow-datasets images.

Every pipeline yields ``(images, labels)`` batches: float32 images scaled to
[0, 1] (so an exported model takes ``pixels / 255``) and int32 class ids.
Training batches are shuffled and, when ``augment`` is on, augmented as in
the paper: zero-pad 4 pixels, random crop back, random horizontal flip.

A validation split is always carved from the training data, never from the
test split, so that choices made on it do not tune on the test set.
"""

import dataclasses
import os
import warnings

import numpy as np
import tensorflow as tf

import keras

DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
_FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
# Class names in label order, recorded with each run (results.json, labels.txt) and in presets.
CIFAR10_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_MNIST_CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                             "Bag", "Ankle boot")
DATASETS = ("fashion_mnist", "cifar10", "cifar100", "svhn_cropped", "synthetic")
PADDINGS = ("zeros", "reflect")

# Per-channel mean and standard deviation of the CIFAR-10 training images on
# [0, 1] (the constants of the Rocket Launching and WideResNet code, there on
# 0-255). For ``input_normalization=`` of the zoo builders, which puts the
# normalisation inside the model so that exported nets take [0, 1] pixels.
CIFAR10_CHANNEL_STATS = (
    tuple(v / 255.0 for v in (125.3, 123.0, 113.9)),
    tuple(v / 255.0 for v in (63.0, 62.1, 66.7)),
)


@dataclasses.dataclass
class Splits:
    """Batched ``train``, ``validation`` and ``test`` datasets and their facts.

    Example:

    ```python
    splits = synthetic(batch_size=32, train_size=256)
    splits.input_shape, splits.num_classes, splits.steps_per_epoch  # (28, 28, 1), 10, 8
    model.fit(splits.train, validation_data=splits.validation, epochs=1)
    ```
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    input_shape: tuple
    num_classes: int
    train_size: int
    steps_per_epoch: int
    class_names: tuple = None


def _keras_cached(fname):
    """Path of ``fname`` in Keras' Fashion-MNIST cache, filled from Debian if there.

    ``keras.utils.get_file`` accepts a ``file://`` origin, so the Debian
    package's files (``apt-get install dataset-fashion-mnist``) land in the
    cache that ``keras.datasets.fashion_mnist.load_data`` reads, and no
    download happens. Without them Keras downloads as usual.
    """
    local = os.path.join(DEBIAN_FASHION_MNIST_DIR, fname)
    if os.path.exists(local):
        keras.utils.get_file(
            fname, origin="file://" + local, cache_subdir=os.path.join("datasets", "fashion-mnist")
        )


def as_arrays(dataset, limit=None):
    """``(images, labels)`` numpy arrays of a batched ``(images, labels)`` dataset.

    Reads one pass (a shuffled training split gives one shuffled order);
    ``limit`` keeps the first examples only.

    Example:

    ```python
    x_val, y_val = as_arrays(splits.validation, limit=2000)
    x_val.dtype, x_val.shape  # float32, (2000, 28, 28, 1)
    ```
    """
    images, labels, count = [], [], 0
    for x, y in dataset.as_numpy_iterator():
        images.append(x)
        labels.append(y)
        count += len(y)
        if limit is not None and count >= limit:
            break
    images, labels = np.concatenate(images), np.concatenate(labels)
    return (images, labels) if limit is None else (images[:limit], labels[:limit])


def load_fashion_mnist_arrays():
    """Fashion-MNIST as numpy arrays ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 of shape ``(n, 28, 28, 1)``; labels are class ids.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist_arrays()
    x_train.shape, x_test.shape  # (60000, 28, 28, 1), (10000, 28, 28, 1)
    ```
    """
    for fname in _FASHION_MNIST_FILES:
        _keras_cached(fname)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    return (x_train[..., None], y_train), (x_test[..., None], y_test)


def channel_statistics(dataset):
    """Per-channel ``(mean, std)`` of the images of a batched ``(images, labels)`` dataset, in one pass.

    The statistics a normalisation layer needs (``input_normalization`` of
    the zoo's builders), computed on what the model will see: for a training
    split, its images as pixels / 255 after its augmentation.

    Example:

    ```python
    mean, std = channel_statistics(splits.train)  # tuples, one value per channel
    ```
    """
    count, total, squares = 0, 0.0, 0.0
    for images, _ in dataset.as_numpy_iterator():
        images = images.astype("float64").reshape(-1, images.shape[-1])
        count += len(images)
        total = total + images.sum(axis=0)
        squares = squares + np.square(images).sum(axis=0)
    if not count:
        raise ValueError("Channel statistics need at least one image. Received: an empty dataset")
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - np.square(mean), 0.0))
    return tuple(float(m) for m in mean), tuple(float(s) for s in np.maximum(std, 1e-6))


def _scale(images, labels):
    return tf.cast(images, tf.float32) / 255.0, tf.cast(labels, tf.int32)


def _check_padding(padding, pad=4):
    if padding not in PADDINGS:
        raise ValueError(f"`padding` must be one of {PADDINGS}. Received: padding={padding!r}")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"`pad` is the pixels of padding before the random crop (the largest shift), a whole "
                         f"number >= 0. Received: pad={pad!r}")


def pad_crop_flip(image, flip=True, pad=4, padding="zeros"):
    """The paper's augmentation: pad ``pad`` pixels, random crop, random flip.

    ``padding="zeros"`` pads with black; ``"reflect"`` mirrors the border
    (OpenCV's ``BORDER_REFLECT``, edge pixel repeated, as the Rocket Launching
    authors' CIFAR pipeline does; TensorFlow's ``SYMMETRIC`` mode).

    Example:

    ```python
    image = tf.random.uniform((32, 32, 3))
    augmented = pad_crop_flip(image, flip=True, pad=4, padding="reflect")  # (32, 32, 3)
    ```
    """
    _check_padding(padding, pad)
    height, width, channels = image.shape
    if padding == "reflect":
        image = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="SYMMETRIC")
    else:
        image = tf.image.resize_with_crop_or_pad(image, height + 2 * pad, width + 2 * pad)
    image = tf.image.random_crop(image, (height, width, channels))
    if flip:
        image = tf.image.random_flip_left_right(image)
    return image


def augment_batch(images, pad=4, padding="zeros", flip=True, cutout=0, seed=None):
    """``pad_crop_flip`` on a whole batch at once, and optionally cutout: a few vectorised ops per batch.

    Each image of ``images`` (batch, height, width, channels) is padded by
    ``pad`` pixels (``padding`` as in ``pad_crop_flip``), cropped at its own
    random offset (every offset in ``[0, 2 * pad]`` equally likely, as the
    per-image crop) and, with ``flip``, mirrored with probability 1/2. With
    ``cutout`` > 0, a ``cutout`` x ``cutout`` square at a random centre of
    each image (clipped at the border) is set to 0 (DeVries and Taylor, 2017).

    Example:

    ```python
    images = tf.random.uniform((128, 32, 32, 3))
    augmented = augment_batch(images, padding="reflect", cutout=8, seed=0)  # (128, 32, 32, 3)
    ```
    """
    _check_padding(padding, pad)
    if cutout < 0:
        raise ValueError(f"`cutout` must be a size in pixels, 0 for none. Received: cutout={cutout!r}")
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    mode = "SYMMETRIC" if padding == "reflect" else "CONSTANT"
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode=mode)
    offsets = tf.random.uniform((batch, 2), 0, 2 * pad + 1, dtype=tf.int32, seed=seed)
    rows = offsets[:, :1] + tf.range(height)[None]
    columns = offsets[:, 1:] + tf.range(width)[None]
    if flip:  # a mirrored crop reads its columns backwards
        mirrored = tf.random.uniform((batch, 1), seed=None if seed is None else seed + 1) < 0.5
        columns = tf.where(mirrored, tf.reverse(columns, axis=[1]), columns)
    crops = tf.gather(tf.gather(padded, rows, axis=1, batch_dims=1), columns, axis=2, batch_dims=1)
    if not cutout:
        return crops

    def inside(size, seed_offset):  # per image: which of ``size`` indices the hole covers, (batch, size)
        centre = tf.random.uniform((batch, 1), 0, size, dtype=tf.int32, seed=None if seed is None else seed + seed_offset)
        distance = tf.range(size)[None] - centre
        return (distance >= -(cutout // 2)) & (distance <= (cutout - 1) // 2)

    hole = (inside(height, 2)[:, :, None] & inside(width, 3)[:, None, :])[..., None]
    return tf.where(hole, tf.zeros_like(crops), crops)


def augment_batches(dataset, padding="zeros", cutout=0, seed=None, pad=4):
    """``dataset`` (batched ``(images, labels)``) with ``augment_batch`` applied to each batch.

    The training split of ``load(..., augment=False)`` takes it in place of
    the per-image augmentation (``train.py --batch_augment``); ``pad``,
    ``padding``, ``cutout`` and ``seed`` are ``augment_batch``'s.
    """
    def augment(images, labels):
        return augment_batch(images, pad=pad, padding=padding, cutout=cutout, seed=seed), labels

    return dataset.map(augment).prefetch(tf.data.AUTOTUNE)


def batch_pipeline(dataset, batch_size, training, augment=False, flip=True, seed=None, shuffle_buffer=None, padding="zeros",
                   pad=4):
    """Scales, shuffles, augments, batches and prefetches ``(image, label)`` pairs.

    ``shuffle_buffer`` defaults to the dataset's size when it is known (a
    full shuffle each epoch; the cache already holds every image), else
    20,000 examples.

    Example:

    ```python
    pairs = tf.data.Dataset.from_tensor_slices((np.zeros((100, 32, 32, 3), "uint8"), np.zeros(100, "int64")))
    train = batch_pipeline(pairs, batch_size=32, training=True, augment=True, seed=0)
    x, y = next(iter(train))  # float32 images in [0, 1] of shape (32, 32, 32, 3), int32 labels
    ```
    """
    dataset = dataset.map(_scale, num_parallel_calls=tf.data.AUTOTUNE).cache()
    if training:
        if shuffle_buffer is None:
            size = int(dataset.cardinality())
            shuffle_buffer = size if size > 0 else 20000
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        if augment:
            dataset = dataset.map(
                lambda x, y: (pad_crop_flip(x, flip=flip, pad=pad, padding=padding), y),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def skip_passes(dataset, passes):
    """Moves a seeded pipeline on by ``passes`` passes without reading them.

    Each iterator opened over the same ``tf.data.Dataset`` object draws the
    next shuffle order and the next random crops and flips, counted from the
    seed in this process (``batch_pipeline``, ``augment_batches``); opening
    ``passes`` iterators and dropping them unread is enough to make the next
    one the pass after them. ``callbacks.BackupAndRestoreDataOrder`` uses it
    so that a run resumed in a new process sees the data of an uninterrupted
    one.

    Example:

    ```python
    splits = synthetic(batch_size=32, train_size=64)
    skip_passes(splits.train, 2)
    x, y = next(iter(splits.train))  # the first batch of the third pass
    ```
    """
    for _ in range(passes):
        iter(dataset)


def _splits(train, validation, test, batch_size, augment, flip, seed, input_shape, num_classes, train_size, padding="zeros",
            class_names=None, pad=4):
    _check_padding(padding, pad)
    return Splits(
        train=batch_pipeline(train, batch_size, True, augment, flip, seed, padding=padding, pad=pad),
        validation=batch_pipeline(validation, batch_size, False),
        test=batch_pipeline(test, batch_size, False),
        input_shape=tuple(input_shape),
        num_classes=num_classes,
        train_size=train_size,
        steps_per_epoch=-(-train_size // batch_size),
        class_names=tuple(class_names) if class_names is not None else None,
    )


def fashion_mnist(batch_size=128, validation_size=5000, augment=False, seed=0, train_size=None, padding="zeros", pad=4):
    """Fashion-MNIST splits; the validation split is a seeded sample of train.

    Args:
        batch_size: examples per batch.
        validation_size: training examples held out for validation.
        augment: pad-crop augmentation (no flip is applied: garments have a
            left and a right, but flips are harmless; off by default).
        seed: seed of the validation split and of shuffling.
        train_size: use only this many training examples (for quick runs).
        padding: ``"zeros"`` or ``"reflect"`` padding before the random crop.
        pad: pixels of padding before the random crop, the largest shift (4).

    Example:

    ```python
    splits = fashion_mnist(batch_size=128, validation_size=5000, train_size=1000)
    splits.input_shape, splits.steps_per_epoch  # (28, 28, 1), 8
    ```
    """
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist_arrays()
    order = np.random.default_rng(seed).permutation(len(x_train))
    val_idx, train_idx = order[:validation_size], order[validation_size:]
    if train_size is not None:
        train_idx = train_idx[:train_size]
    make = tf.data.Dataset.from_tensor_slices
    return _splits(
        make((x_train[train_idx], y_train[train_idx])),
        make((x_train[val_idx], y_train[val_idx])),
        make((x_test, y_test)),
        batch_size, augment, False, seed, (28, 28, 1), 10, len(train_idx), padding, FASHION_MNIST_CLASS_NAMES, pad,
    )


_TFRECORD_FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def read_image_tfrecord(path, image_shape=(32, 32, 3)):
    """Reads TFRecords of ``tf.train.Example`` with a JPEG/PNG ``image`` and int64 ``label``.

    Raises:
        ValueError: when the file is missing or its records are not in that
            format (checked on the first record, before training starts).

    Example:

    ```python
    pairs = read_image_tfrecord("../shared/data/cifar10_jpeg/test.tfrecord")  # uint8 images, int64 labels
    test = batch_pipeline(pairs, batch_size=128, training=False)
    ```
    """
    if not tf.io.gfile.exists(path):
        raise ValueError(f"TFRecord file not found. Received: path={path!r}")

    def parse(record):
        example = tf.io.parse_single_example(record, _TFRECORD_FEATURES)
        image = tf.io.decode_image(example["image"], channels=image_shape[-1], expand_animations=False)
        image = tf.ensure_shape(image, image_shape)
        return image, example["label"]

    dataset = tf.data.TFRecordDataset(path).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
    try:
        next(iter(dataset.take(1)))
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
        raise ValueError(
            f"{path!r} is not a TFRecord file of tf.train.Example records with "
            "an encoded 'image' (bytes) and an int64 'label' of shape "
            f"{image_shape}. Received error: {error.message.splitlines()[0]}"
        ) from None
    except StopIteration:
        raise ValueError(f"TFRecord file {path!r} holds no records. Received: path={path!r}") from None
    return dataset


def cifar10(batch_size=128, validation_size=5000, augment=True, seed=0, data_dir=None, train_size=None, padding="zeros",
            pad=4):
    """CIFAR-10 splits, from a TFRecord directory or tensorflow-datasets.

    Args:
        batch_size: examples per batch.
        validation_size: training examples held out for validation.
        augment: the paper's pad-4 crop and horizontal flip (``pad`` sets the 4).
        seed: shuffling seed.
        data_dir: a directory with ``train.tfrecord`` and ``test.tfrecord``
            (the format of ``../shared/data/cifar10_jpeg``); when ``None``,
            ``tfds.load("cifar10")``.
        train_size: use only this many training examples (for quick runs).
        padding: ``"zeros"`` or ``"reflect"`` padding before the random crop.
        pad: pixels of padding before the random crop, the largest shift
            (the paper: 4; airbench's fast recipes: 2).

    Example:

    ```python
    splits = cifar10(batch_size=128, data_dir="../shared/data/cifar10_jpeg", padding="reflect")
    model.fit(splits.train, validation_data=splits.validation, epochs=15)
    ```
    """
    if data_dir is not None and not os.path.isdir(data_dir):
        # The recipes name ../shared/data/cifar10_jpeg, the copy kept beside
        # this project; elsewhere the real CIFAR-10 comes from tfds.
        warnings.warn(
            f"No CIFAR-10 TFRecord directory at {data_dir!r} (expected train.tfrecord and test.tfrecord there). "
            "Falling back to tensorflow-datasets 'cifar10' (downloaded on first use). "
            "Pass --data_dir=<directory> to use a TFRecord copy.",
            stacklevel=2,
        )
        data_dir = None
    if data_dir is None:
        return tfds_images("cifar10", batch_size, validation_size, augment, seed, train_size=train_size, padding=padding,
                           pad=pad)
    # The training file was shuffled once when written, so its tail is a
    # random validation sample; the test file is ordered by class.
    train_all = read_image_tfrecord(os.path.join(data_dir, "train.tfrecord"))
    # Counted from the files, not assumed: a TFRecord copy of your own may hold any number.
    total = count_records(os.path.join(data_dir, "train.tfrecord"))
    test_count = count_records(os.path.join(data_dir, "test.tfrecord"))
    _check_validation_size(validation_size, total, f"{data_dir}/train.tfrecord")
    train_count = total - validation_size if train_size is None else min(train_size, total - validation_size)
    # TFRecord sizes are unknown to tf.data; stating them gives Keras a
    # progress bar with a total and no "ran out of data" warning.
    known = tf.data.experimental.assert_cardinality
    return _splits(
        train_all.take(total - validation_size).take(train_count).apply(known(train_count)),
        train_all.skip(total - validation_size).apply(known(validation_size)),
        read_image_tfrecord(os.path.join(data_dir, "test.tfrecord")).apply(known(test_count)),
        batch_size, augment, True, seed, (32, 32, 3), 10, train_count, padding, CIFAR10_CLASS_NAMES, pad,
    )


def count_records(path):
    """The number of records in a TFRecord file (read, not decoded: a few seconds for CIFAR-10)."""
    return int(tf.data.TFRecordDataset(path).reduce(np.int64(0), lambda count, _: count + 1))


def _check_validation_size(validation_size, total, source):
    if not 0 < validation_size < total:
        raise ValueError(
            f"{source} holds {total} training examples; the validation split must be between 1 and "
            f"{total - 1} of them (about a tenth is usual: --validation_size={max(1, total // 10)}). "
            f"Received: validation_size={validation_size}"
        )


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def image_folder(directory, batch_size=128, validation_size=None, augment=True, seed=0, train_size=None,
                 padding="zeros", image_size=None, test_fraction=0.1, pad=4):
    """Splits of a directory of images in one subfolder per class (Keras' ``image_dataset_from_directory`` layout).

    With ``train/`` and ``test/`` subfolders, each holding the class
    subfolders, those are the training and test sets; otherwise a seeded
    ``test_fraction`` of the images is held out as the test set. The
    validation split is a seeded sample of the training images
    (``validation_size`` of them, a tenth by default). Counts come from the
    files; the image size and channels from the first image unless
    ``image_size=(height, width)`` is given (every image is resized to it);
    class names, in the subfolders' sorted order, are ``Splits.class_names``.
    ``augment``, ``padding`` and ``pad`` are the crop-and-flip of ``cifar10``.

    Example:

    ```python
    splits = image_folder("photos/", batch_size=32)  # photos/cat/*.jpg, photos/dog/*.jpg
    splits.class_names, splits.input_shape  # ("cat", "dog"), (height, width, 3)
    ```
    """
    if not os.path.isdir(directory):
        raise ValueError(f"No image directory at {directory!r}. Received: directory={directory!r}")
    split_dirs = [os.path.join(directory, name) for name in ("train", "test")]
    held_out_test = all(os.path.isdir(d) for d in split_dirs)
    train_paths, train_labels, class_names = _indexed_images(split_dirs[0] if held_out_test else directory)
    if held_out_test:
        test_paths, test_labels, test_classes = _indexed_images(split_dirs[1])
        if test_classes != class_names:
            raise ValueError(f"{split_dirs[1]} must hold the class folders of {split_dirs[0]}. "
                             f"Received: classes {test_classes} for test, {class_names} for train")
    order = np.random.default_rng(seed).permutation(len(train_paths))
    train_paths, train_labels = train_paths[order], train_labels[order]
    if not held_out_test:
        test_count = max(1, int(round(test_fraction * len(train_paths))))
        test_paths, test_labels = train_paths[:test_count], train_labels[:test_count]
        train_paths, train_labels = train_paths[test_count:], train_labels[test_count:]
    total = len(train_paths)
    validation_size = max(1, total // 10) if validation_size is None else validation_size
    _check_validation_size(validation_size, total, directory)
    shape = _image_shape(train_paths[0], image_size)
    train_count = total - validation_size if train_size is None else min(train_size, total - validation_size)

    def dataset(paths, labels):
        return tf.data.Dataset.from_tensor_slices((paths, labels)).map(
            lambda path, label: (_read_image(path, shape), label), num_parallel_calls=tf.data.AUTOTUNE)

    return _splits(
        dataset(train_paths[validation_size:validation_size + train_count],
                train_labels[validation_size:validation_size + train_count]),
        dataset(train_paths[:validation_size], train_labels[:validation_size]),
        dataset(test_paths, test_labels),
        batch_size, augment, True, seed, shape, len(class_names), train_count, padding, class_names, pad,
    )


def _indexed_images(directory):
    """``(paths, labels, class names)`` of a class-subfolder directory, read with Keras' own indexer."""
    found = keras.utils.image_dataset_from_directory(directory, batch_size=None, shuffle=False, image_size=(8, 8))
    paths = np.array(found.file_paths)
    if not len(paths):
        raise ValueError(f"{directory!r} holds no images ({', '.join(IMAGE_EXTENSIONS)}) in class subfolders. "
                         f"Received: directory={directory!r}")
    index = {name: i for i, name in enumerate(found.class_names)}
    labels = np.array([index[os.path.basename(os.path.dirname(p))] for p in paths], dtype="int64")
    return paths, labels, list(found.class_names)


def parse_image_size(values):
    """``(height, width)`` from ``--image_size`` (``["96", "96"]``, or one value for a square); ``None`` when empty.

    Example:

    ```python
    parse_image_size(["96", "128"])  # (96, 128)
    parse_image_size([])  # None: each dataset's own size
    ```
    """
    if not values:
        return None
    try:
        size = tuple(int(v) for v in values)
    except ValueError:
        size = ()
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"`image_size` is height,width in pixels (or one number for a square), e.g. 96,96. "
                         f"Received: {','.join(map(str, values))}")
    return size


def _image_shape(path, image_size):
    image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    height, width, channels = image.shape
    channels = 1 if channels == 1 else 3
    return (*(image_size or (height, width)), channels)


def _read_image(path, shape):
    image = tf.io.decode_image(tf.io.read_file(path), channels=shape[-1], expand_animations=False)
    image = tf.image.resize(image, shape[:2])  # a no-op for images of that size already
    return tf.cast(tf.round(image), tf.uint8)


def tfds_images(name, batch_size=128, validation_size=5000, augment=True, seed=0, data_dir=None, train_size=None,
                padding="zeros", pad=4):
    """Any tensorflow-datasets image classification set with train/test splits.

    The arguments are those of ``cifar10``, with ``name`` the
    tensorflow-datasets name and ``data_dir`` its data directory. Horizontal
    flips are off for ``svhn_cropped`` (digits have a left and a right).

    Example:

    ```python
    splits = tfds_images("cifar100", batch_size=128, validation_size=5000)
    splits.num_classes  # 100
    ```
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(
            f"Unknown dataset {name!r}: not a directory of images, not one of {DATASETS}, and not a "
            f"tensorflow-datasets name. Received: dataset={name!r}") from None
    try:
        builder.download_and_prepare()
    except Exception as error:  # network, checksum or disk errors of any kind
        raise ValueError(
            f"tensorflow-datasets could not prepare {name!r} ({type(error).__name__}: {str(error)[:200]}). "
            "Without a network it works only where the data is already prepared in --data_dir "
            f"(tfds' data directory). Received: dataset={name!r}, data_dir={data_dir!r}") from None
    missing = {"train", "test"} - set(builder.info.splits)
    if missing:
        raise ValueError(f"{name!r} needs a train and a test split. Received: splits {sorted(builder.info.splits)}")
    total = builder.info.splits["train"].num_examples
    end = total - validation_size if train_size is None else min(train_size, total - validation_size)
    load = lambda split: builder.as_dataset(split=split, as_supervised=True)  # noqa: E731
    return _splits(
        load(f"train[:{end}]"),
        load(f"train[{total - validation_size}:]"),
        load("test"),
        batch_size, augment, name != "svhn_cropped", seed,
        builder.info.features["image"].shape, builder.info.features["label"].num_classes, end, padding, pad=pad,
    )


def synthetic(batch_size=128, validation_size=256, seed=0, train_size=1024, input_shape=(28, 28, 1), num_classes=10,
              augment=False, padding="zeros", pad=4):
    """A small learnable stand-in for Fashion-MNIST, for tests and smoke runs.

    Each class is a fixed random pattern; examples are that pattern plus
    noise, as uint8 pixels like the real data. ``augment``, ``padding`` and ``pad``
    work as for Fashion-MNIST (pad-crop, no flip), so a recipe's flags run
    unchanged on it.

    Example:

    ```python
    splits = synthetic(batch_size=32, train_size=256, input_shape=(32, 32, 3))
    x, y = next(iter(splits.train))  # x: (32, 32, 32, 3) float32 in [0, 1]; y: (32,) int32
    ```
    """
    patterns = np.random.default_rng(1234).random((num_classes,) + tuple(input_shape))
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, num_classes, n)
        x = 0.6 * patterns[y] + 0.4 * rng.random((n,) + tuple(input_shape))
        return tf.data.Dataset.from_tensor_slices(((255 * x).astype("uint8"), y))

    return _splits(
        make(train_size), make(validation_size), make(validation_size),
        batch_size, augment, False, seed, input_shape, num_classes, train_size, padding, pad=pad,
    )


def load(name, batch_size=128, validation_size=5000, augment=None, seed=0, data_dir=None, train_size=None,
         padding="zeros", image_size=None, pad=4):
    """Splits of a dataset: ``fashion_mnist``, ``cifar10``, ``synthetic`` (a tiny
    generated set for smoke tests), any tensorflow-datasets name with train and
    test splits (``cifar100``, ``svhn_cropped``, ...), or a directory of images
    in class subfolders (``image_folder``).

    ``augment=None`` takes the dataset's usual choice: off for Fashion-MNIST
    and ``synthetic``, the paper's crop and flip for the others. ``data_dir`` is a TFRecord
    directory for ``cifar10`` and the tensorflow-datasets directory otherwise.
    ``padding`` (``"zeros"`` or ``"reflect"``) is the crop augmentation's
    border and ``pad`` its width in pixels (the largest shift; 4). ``image_size=(height, width)`` resizes a directory's images
    (the other datasets have one size).

    Example:

    ```python
    splits = load("cifar10", batch_size=128, data_dir="../shared/data/cifar10_jpeg")
    smoke = load("synthetic", batch_size=32)  # 1024 generated 28x28x1 training images
    ```
    """
    if os.path.isdir(name):
        return image_folder(name, batch_size, validation_size, True if augment is None else augment, seed,
                            train_size=train_size, padding=padding, image_size=image_size, pad=pad)
    if image_size is not None:
        raise ValueError(f"`image_size` resizes the images of a directory; {name!r} is not one. "
                         f"Received: dataset={name!r}, image_size={image_size!r}")
    if name == "fashion_mnist":
        return fashion_mnist(batch_size, validation_size, bool(augment), seed, train_size, padding, pad)
    if name == "synthetic":
        return synthetic(batch_size, validation_size, seed, train_size or 1024, augment=bool(augment), padding=padding,
                         pad=pad)
    augment = True if augment is None else augment
    if name == "cifar10":
        return cifar10(batch_size, validation_size, augment, seed, data_dir, train_size, padding, pad)
    return tfds_images(name, batch_size, validation_size, augment, seed, data_dir, train_size, padding, pad)
