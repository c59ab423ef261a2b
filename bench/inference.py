r"""Inference cost of the exported light net vs the exported booster.

    python bench/inference.py --model=resnet14-resnet8_fmnist

For each net: TFLite float32, TFLite int8 and SavedModel files, their size,
parameters, FLOPs, and latency at each batch size through the real runtimes
(LiteRT interpreter, TensorFlow), median of --runs calls after --warmup.
Weights come from --weights (a .keras file) or are the initial ones: size and
latency do not depend on the values. Writes ``<--output_dir>/inference-<model>.json``
(default ``runs/bench``; committed copies in bench/results/).
"""

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("model", "resnet14-resnet8_fmnist", "Registered model name.")
flags.DEFINE_string("weights", None, "Optional .keras file of that model.")
flags.DEFINE_list("batch_sizes", ["1", "64"], "Batch sizes to time.")
flags.DEFINE_integer("runs", 50, "Timed calls per measurement (median reported).")
flags.DEFINE_integer("warmup", 5, "Untimed calls first.")
flags.DEFINE_string("output_dir", "runs/bench", "Where the JSON goes (the committed files are in bench/results).")
FLAGS = flags.FLAGS

VARIANTS = (("tflite_float32", "litert", None), ("tflite_int8", "litert", "int8"), ("saved_model", "tf_saved_model", None))


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    import keras
    import numpy as np

    from rocket_keras.export import export_light, format_table, median_latency_ms
    from rocket_keras.profiling import count_flops
    from rocket_keras.training.records import write_measurement
    from rocket_keras.zoo import get_model

    rocket = keras.models.load_model(FLAGS.weights) if FLAGS.weights else get_model(FLAGS.model)
    shape = tuple(rocket.input.shape[1:])
    rng = np.random.default_rng(0)
    calibration = rng.random((200,) + shape, dtype=np.float32)
    results = {"model": FLAGS.model, "weights": FLAGS.weights or "initial", "runs": FLAGS.runs, "nets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for head, net in (("light", rocket.light_model()), ("booster", rocket.booster_model())):
            entry = {"parameters": net.count_params(), "flops": count_flops(net)}
            for name, fmt, quantization in VARIANTS:
                path = os.path.join(tmp, f"{head}_{name}" + (".tflite" if fmt == "litert" else ""))
                report = export_light(net, path, fmt, quantization, calibration)
                entry[name] = {"size_bytes": report.size_bytes, "argmax_agreement": report.argmax_agreement}
                for batch in map(int, FLAGS.batch_sizes):
                    entry[name][f"latency_ms_batch{batch}"] = median_latency_ms(
                        path, calibration[:batch], fmt, runs=FLAGS.runs, warmup=FLAGS.warmup)
            results["nets"][head] = entry

    light, booster = results["nets"]["light"], results["nets"]["booster"]
    rows = [("", "light / booster / ratio")]
    rows.append(("parameters", f"{light['parameters']:,} / {booster['parameters']:,} / {light['parameters'] / booster['parameters']:.2f}"))
    rows.append(("FLOPs", f"{light['flops'] / 1e6:.1f}M / {booster['flops'] / 1e6:.1f}M / {light['flops'] / booster['flops']:.2f}"))
    for name, _, _ in VARIANTS:
        l, b = light[name], booster[name]
        rows.append((f"{name} bytes", f"{l['size_bytes']:,} / {b['size_bytes']:,} / {l['size_bytes'] / b['size_bytes']:.2f}"))
        for batch in map(int, FLAGS.batch_sizes):
            key = f"latency_ms_batch{batch}"
            rows.append((f"{name} ms, batch {batch}", f"{l[key]:.3f} / {b[key]:.3f} / {l[key] / b[key]:.2f}"))
    key = "latency_ms_batch1"
    if key in light["tflite_int8"]:
        ratio = light["tflite_int8"][key] / booster["tflite_float32"][key]
        results["int8_light_vs_float32_booster_batch1"] = ratio
        rows.append(("int8 light / float32 booster, batch 1", f"{ratio:.2f}"))
    print(format_table(rows))
    print("wrote", write_measurement(FLAGS.output_dir, f"inference-{FLAGS.model}.json", results))


if __name__ == "__main__":
    app.run(main)
