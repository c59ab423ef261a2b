r"""Median compiled training-step time: rocket vs the nets alone vs a KD student.

    python bench/train_step.py --models=resnet14-resnet8_fmnist,wrn40_1-wrn16_1

For each pair, in one process and after warm-up, times ``train_on_batch`` on
one fixed batch, the configurations interleaved step by step, for: light alone, booster alone, rocket with "bottom",
"interval" (where the template allows it) and no sharing, and the KD student
step (frozen teacher forward plus student step, ``keras.distillation``).
Each is printed as a ratio to booster alone. With ``--memory``, each
configuration also runs once in a fresh subprocess that reports its peak
resident memory (``VmHWM``; ``ru_maxrss`` would report the parent's peak,
which Linux carries across fork and exec). Writes ``<--output_dir>/train_step.json``
(default ``runs/bench``): ``train_step_memory`` when only memory is measured
(``--notiming``), with ``-<backend>`` for JAX and ``-xla`` under
``--jit_compile``, ``_deterministic`` under op determinism; the committed
copies are in bench/results/.
"""

import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags, logging  # noqa: E402

# Method specs (rocket_keras.methods). Files written before the methods module
# name them light_alone, booster_alone, rocket_bottom, rocket_interval,
# rocket_none and kd_student.
METHODS = ("light", "booster", "rocket:share=bottom", "rocket:share=interval", "rocket:share=none", "kd")

flags.DEFINE_list("models", ["resnet14-resnet8_fmnist"], "Registered pairs to measure.")
flags.DEFINE_multi_string("method", list(METHODS),
                          "Method specs to time, repeatable (booster is needed for the ratios); kd times the student's "
                          "step with a frozen teacher.")
flags.DEFINE_bool("deterministic", False, "Enable TensorFlow op determinism first (train.py's default).")
flags.DEFINE_bool("jit_compile", None, "XLA on or off (default: Keras' choice: off on a TensorFlow CPU, on for JAX). "
                  "The backend is KERAS_BACKEND's; run once per backend to compare them.")
flags.DEFINE_bool("mixed_precision", False,
                  "Keras' mixed_bfloat16 policy on CPU (mixed_float16 on GPU), as train.py --mixed_precision sets it; "
                  "the file's name gets -mixed.")
flags.DEFINE_integer("batch_size", 128, "Batch size of the timed step.")
flags.DEFINE_integer("steps", 20, "Timed steps per configuration (median reported).")
flags.DEFINE_integer("warmup", 3, "Untimed steps first (tracing happens here).")
flags.DEFINE_bool("memory", True, "Measure each configuration's peak memory in a subprocess.")
flags.DEFINE_bool("timing", True, "Time the steps (--notiming: memory only).")
flags.DEFINE_bool("executions", False,
                  "Compare executions side by side: graph and XLA, each with and without op determinism, every one "
                  "in a process of its own (determinism is process-wide); writes train_step-executions.json.")
flags.DEFINE_string("only", None, "Internal: run one model@method and print its peak memory.")
flags.DEFINE_string("output_dir", "runs/bench", "Where the JSON goes (the committed files are in bench/results).")
FLAGS = flags.FLAGS


def build(name, spec):
    """A compiled model for method ``spec`` on pair ``name``, or None if it does not apply."""
    import keras

    from rocket_keras import methods
    from rocket_keras.zoo import get_model

    method = methods.parse(spec)
    teacher = get_model(name).booster_model() if method.needs_teacher else None
    try:
        model, _ = methods.build(method, lambda **kwargs: get_model(name, **kwargs),
                                 keras.optimizers.SGD(0.01, momentum=0.9), teacher=teacher)
    except ValueError:  # e.g. "interval" sharing for MobileNet
        return None
    if FLAGS.jit_compile is not None:
        # Set before op determinism is enabled (main enables it after every
        # model is built): Keras' setter refuses XLA under determinism, and
        # measuring XLA with determinism is one of --executions' four cells.
        model.jit_compile = FLAGS.jit_compile
        if model.jit_compile != FLAGS.jit_compile:
            raise RuntimeError(f"Keras refused jit_compile={FLAGS.jit_compile} for {name} {spec}: a timing would "
                               "be labelled with an execution it did not use.")
    return model


def batch(model):
    import numpy as np

    rng = np.random.default_rng(0)
    net = getattr(model, "student", model)  # a Distiller has no input of its own
    shape = (FLAGS.batch_size,) + tuple(net.input.shape[1:])
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, FLAGS.batch_size)


def median_step_seconds(models):
    """Median step time of each model, timed round-robin.

    Interleaving the configurations step by step keeps slow drifts of the
    machine (other load, clock changes) from favouring whichever ran first.
    """
    batches = {config: batch(model) for config, model in models.items()}
    for config, model in models.items():
        for _ in range(FLAGS.warmup):
            model.train_on_batch(*batches[config])
    times = {config: [] for config in models}
    for _ in range(FLAGS.steps):
        for config, model in models.items():
            start = time.perf_counter()
            model.train_on_batch(*batches[config])
            times[config].append(time.perf_counter() - start)
    return {config: statistics.median(t) for config, t in times.items()}


def peak_rss_of_this_process_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_memory_mib(name, config):
    result = subprocess.run(
        [sys.executable, __file__, f"--only={name}@{config}", f"--batch_size={FLAGS.batch_size}",
         "--steps=2", "--warmup=1", f"--deterministic={FLAGS.deterministic}",
         f"--mixed_precision={FLAGS.mixed_precision}"]
        + ([f"--jit_compile={FLAGS.jit_compile}"] if FLAGS.jit_compile is not None else []),
        capture_output=True, text=True, check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def set_mixed_precision():
    """The policy ``rocket_keras.training.run`` sets for ``--mixed_precision``, before any model is built."""
    import keras

    from rocket_keras import backends

    keras.mixed_precision.set_global_policy(backends.mixed_precision_policy())


def enable_determinism_if_asked():
    """Op determinism, once the models are built (see ``build``); before any step is traced."""
    if FLAGS.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


# (name, jit_compile, deterministic): the four executions --executions compares.
EXECUTIONS = (("graph", False, False), ("graph, deterministic", False, True),
              ("XLA", True, False), ("XLA, deterministic", True, True))


def compare_executions():
    """Each execution in its own process of this script; one table of step times, execution by column."""
    import tempfile

    from rocket_keras.export import format_table
    from rocket_keras.training.records import write_measurement

    measured = {label: {"models": {}} for label, _, _ in EXECUTIONS}
    for label, jit, deterministic in EXECUTIONS:
        # One process per pair too: a model built once determinism is on
        # cannot be given XLA (see ``build``).
        for name in FLAGS.models:
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(
                    [sys.executable, __file__, "--nomemory", f"--steps={FLAGS.steps}", f"--warmup={FLAGS.warmup}",
                     f"--batch_size={FLAGS.batch_size}", f"--models={name}",
                     f"--jit_compile={jit}", f"--deterministic={deterministic}", f"--output_dir={tmp}",
                     f"--mixed_precision={FLAGS.mixed_precision}"]
                    + [f"--method={spec}" for spec in FLAGS.method],
                    check=True,
                )
                (path,) = [os.path.join(tmp, f) for f in os.listdir(tmp)]
                with open(path) as f:
                    measured[label]["models"][name] = json.load(f)["models"][name]
    results = {"batch_size": FLAGS.batch_size, "steps": FLAGS.steps, "warmup": FLAGS.warmup,
               "mixed_precision": FLAGS.mixed_precision,
               "executions": {label: {"jit_compile": jit, "deterministic": det, "models": measured[label]["models"]}
                              for label, jit, det in EXECUTIONS}}
    for name in FLAGS.models:
        rows = [(f"{name}, batch {FLAGS.batch_size}, step ms", " | ".join(label for label, _, _ in EXECUTIONS))]
        for config in measured[EXECUTIONS[0][0]]["models"][name]:
            rows.append((config, " | ".join(f"{1000 * measured[label]['models'][name][config]['median_step_s']:.0f}"
                                            for label, _, _ in EXECUTIONS)))
        print(format_table(rows), "\n")
    filename = "train_step-executions" + ("-mixed" if FLAGS.mixed_precision else "") + ".json"
    print("wrote", write_measurement(FLAGS.output_dir, filename, results))


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    from rocket_keras import methods

    try:
        specs = [methods.parse(spec).spec for spec in FLAGS.method]
    except ValueError as error:
        raise app.UsageError(str(error)) from None
    if "booster" not in specs:
        raise app.UsageError(f"--method must include booster (the ratios' base). Received: {specs}")
    if FLAGS.mixed_precision:
        set_mixed_precision()
    if FLAGS.executions:
        return compare_executions()
    if FLAGS.only:
        name, config = FLAGS.only.split("@", 1)
        models = {config: build(name, config)}
        enable_determinism_if_asked()
        median_step_seconds(models)
        print(peak_rss_of_this_process_mib())
        return
    from rocket_keras import backends
    from rocket_keras.export import format_table
    from rocket_keras.training.records import write_measurement

    results = {"batch_size": FLAGS.batch_size, "steps": FLAGS.steps, "deterministic": FLAGS.deterministic,
               "backend": backends.name(), "jit_compile": FLAGS.jit_compile,
               "mixed_precision": FLAGS.mixed_precision, "models": {}}
    for name in FLAGS.models:
        models = {config: build(name, config) for config in specs}
        models = {c: m for c, m in models.items() if m is not None}
        enable_determinism_if_asked()
        if FLAGS.timing:
            entry = {config: {"median_step_s": s} for config, s in median_step_seconds(models).items()}
        else:
            entry = {config: {} for config in models}
        del models
        if FLAGS.memory:
            for config in entry:
                entry[config]["peak_rss_mib"] = peak_memory_mib(name, config)
        if FLAGS.timing:
            base = entry["booster"]["median_step_s"]
            for config in entry:
                entry[config]["ratio_to_booster"] = entry[config]["median_step_s"] / base
        results["models"][name] = entry
        rows = [(f"{name}, batch {FLAGS.batch_size}", "step ms | x booster alone | peak RSS MiB")]
        for config, r in entry.items():
            memory = f"{r['peak_rss_mib']:.0f}" if "peak_rss_mib" in r else "-"
            timing = f"{1000 * r['median_step_s']:.1f} | {r['ratio_to_booster']:.2f}" if FLAGS.timing else "- | -"
            rows.append((config, f"{timing} | {memory}"))
        print(format_table(rows), "\n")
    stem = "train_step" if FLAGS.timing else "train_step_memory"
    if not backends.is_tensorflow() or FLAGS.jit_compile:
        stem += f"-{backends.name()}" + ("-xla" if FLAGS.jit_compile else "")
    stem += "-mixed" if FLAGS.mixed_precision else ""
    filename = stem + ("_deterministic" if FLAGS.deterministic else "") + ".json"
    print("wrote", write_measurement(FLAGS.output_dir, filename, results))


if __name__ == "__main__":
    app.run(main)
