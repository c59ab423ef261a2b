r"""Cost of the host-side batch check that RocketModel runs before each step on JAX.

    KERAS_BACKEND=jax python bench/input_checks.py --output_dir=bench/results

Times ``rocket_keras.input_checks.check_batch`` (label range, finite inputs)
on one batch of CIFAR-sized images held as JAX arrays, median over
``--runs`` calls after a warm-up call; writes ``input_checks.json``.
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("batch_size", 128, "Images per batch.")
flags.DEFINE_list("image_shape", ["32", "32", "3"], "Height, width, channels.")
flags.DEFINE_integer("runs", 200, "Timed calls (median reported).")
flags.DEFINE_string("output_dir", "runs/bench", "Where the JSON goes (the committed file is in bench/results).")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import keras
    import numpy as np

    from rocket_keras import backends
    from rocket_keras.input_checks import check_batch
    from rocket_keras.training.records import write_measurement

    rng = np.random.default_rng(0)
    shape = (FLAGS.batch_size,) + tuple(int(d) for d in FLAGS.image_shape)
    batch = (keras.ops.convert_to_tensor(rng.random(shape, dtype=np.float32)),
             keras.ops.convert_to_tensor(rng.integers(0, 10, FLAGS.batch_size)))
    check_batch(batch, 10)
    times = []
    for _ in range(FLAGS.runs):
        start = time.perf_counter()
        check_batch(batch, 10)
        times.append(time.perf_counter() - start)
    result = {"backend": backends.name(), "batch_shape": list(shape), "runs": FLAGS.runs,
              "median_ms": 1000 * statistics.median(times)}
    print(f"check_batch, {backends.name()}, batch {shape}: {result['median_ms']:.3f} ms (median of {FLAGS.runs})")
    print("wrote", write_measurement(FLAGS.output_dir, "input_checks.json", result))


if __name__ == "__main__":
    app.run(main)
