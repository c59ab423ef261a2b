r"""Whether one training step's gradients repeat to the bit, step after step, under op determinism.

    python bench/determinism.py --repeats=500 --output_dir=bench/results

Builds the demo's pair (``resnet14-resnet8`` on 28x28x1, 10 classes, seed 0),
takes one SGD step on 8 examples, then computes the gradients of the two heads'
cross-entropies on one fixed batch of 128 ``--repeats`` times in one
``tf.function`` with ``tf.config.experimental.enable_op_determinism()``. The
same inputs and weights each time: any repeat whose gradient differs from the
first is run-to-run nondeterminism of a kernel, not of the data or the seeds.
Prints and writes (``determinism.json``) how many repeats differed from the
first, per variable, and the distinct values each variable's gradient took
(md5 of its bytes, with counts). Run it beside other work as well as on a quiet
machine: what it measures depends on the load.
"""

import collections
import hashlib
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("repeats", 500, "Times the fixed step's gradients are computed.")
flags.DEFINE_string("output_dir", "runs/bench", "Where the JSON goes.")
FLAGS = flags.FLAGS


def digest(array):
    return hashlib.md5(array.tobytes()).hexdigest()[:8]


def main(argv):
    del argv
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    from rocket_keras.training.records import write_measurement
    from rocket_keras.zoo import get_model

    model = get_model("resnet14-resnet8", input_shape=(28, 28, 1), num_classes=10)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    rng = np.random.default_rng(0)
    x = rng.random((128, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    model.train_on_batch(x[:8], y[:8])  # weights away from their initial values

    @tf.function
    def gradients(x, y):
        with tf.GradientTape() as tape:
            out = model(x, training=True)
            loss = tf.reduce_sum([tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, out[k], from_logits=True))
                                  for k in out])
        return tape.gradient(loss, model.trainable_variables)

    paths = [v.path for v in model.trainable_variables]
    first, differed, values = None, collections.Counter(), {path: collections.Counter() for path in paths}
    start = time.perf_counter()
    for _ in range(FLAGS.repeats):
        arrays = [g.numpy() for g in gradients(x, y)]
        for path, array in zip(paths, arrays):
            values[path][digest(array)] += 1
        if first is None:
            first = arrays
            continue
        for path, a, b in zip(paths, first, arrays):
            if not np.array_equal(a, b):
                differed[path] += 1
    seconds = time.perf_counter() - start
    result = {
        "repeats": FLAGS.repeats,
        "seconds": seconds,
        "repeats_that_differed_from_the_first": dict(differed),
        "distinct_gradients": {path: dict(counter) for path, counter in values.items() if len(counter) > 1},
    }
    print(f"{FLAGS.repeats} repeats in {seconds:.0f} s; differed from the first, per variable: {dict(differed) or 'none'}")
    print("wrote", write_measurement(FLAGS.output_dir, "determinism.json", result))


if __name__ == "__main__":
    app.run(main)
