r"""Trains a rocket pair (or one of its nets alone) and exports the light net.

    python examples/train.py --model=resnet14-resnet8 --epochs=3 \
        --output_dir=runs/demo

    python examples/train.py --flagfile=recipes/wrn40_1-wrn16_1/cifar10.txt

Writes to ``--output_dir``: ``model.keras`` (the best epoch on validation is
not chosen: the last epoch is kept, so no choice depends on data), a CSV
history, a TensorBoard log, a BackupAndRestore directory (``--resume``
continues from it), ``light_float32.tflite`` and ``light_int8.tflite`` and
``results.json`` with test accuracies, each TFLite file measured through the
LiteRT interpreter on the whole test set. A run stopped by a non-finite
loss still writes ``results.json``, with ``training_error`` and no test
accuracy, and exits non-zero.

``--method`` is a method spec (``rocket_keras.methods``): ``light`` /
``booster`` train the same light or booster network alone with
cross-entropy, the baselines rocket training must beat; ``kd`` / ``mimic``
distil a trained booster (``--teacher``) into the light net
(``rocket_keras.baselines``), and ``model.keras`` is then the light net
alone; ``rocket`` trains the pair. Parameters in the spec win over the flags
of the same name: ``--method=rocket:hint_weight=0.01,share=stem``,
``--method=kd:alpha=0.9``, ``--method=rocket:teacher_alpha=0.9
--teacher=...`` (rocket + KD from a frozen booster).

The paper's recipe (``recipes/resnet20-resnet8/cifar10_paper.txt``) adds
``--l2`` (coupled L2 on every weight), ``--lr_decay_at=0.3,0.6,0.8
--lr_decay_factor=0.2 --momentum_reset``, ``--padding=reflect``,
``--normalize_input`` and ``--jit_compile`` (XLA; it needs
``--nodeterministic``, and every batch of every split is checked once on the
host before training instead of inside the step).

``--strategy``, ``--mixed_precision``, ``--seed`` and ``--resume`` are
described in the README's "Training safely".
"""

import functools
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("model", "resnet14-resnet8", "Registered model name (see rocket_keras.zoo.list_models()).")
flags.DEFINE_string("light_net", None,
                    "Replace the pair's light net: an architecture (e.g. resnet8) or the JSON of an architecture "
                    "search's child (examples/search.py writes best_child.json). The booster stays the pair's; "
                    "sharing is --share, default 'none'.")
flags.DEFINE_float("prune_sparsity", None,
                   "Prune the light net's kernels by magnitude to this sparsity during training (rocket_keras.pruning, "
                   "PolynomialDecay from 0; with rocket the booster's own layers stay dense).")
flags.DEFINE_string("prune_targets", None,
                    "Per-layer sparsities instead of one --prune_sparsity: the JSON of examples/prune_sensitivity.py "
                    "(its \"targets\": {layer name: sparsity}).")
flags.DEFINE_float("prune_end", 0.7, "Fraction of training at which --prune_sparsity is reached (then held).")
flags.DEFINE_integer("prune_frequency", 20, "Training steps between mask updates.")
flags.DEFINE_string("init_from", None,
                    "Start from the weights of a model.keras of the same pair: a rocket run's pair, or the one net "
                    "of a light, booster, kd or mimic run (loaded into that net), e.g. to prune a trained model: "
                    "--init_from=<run>/model.keras --prune_sparsity=0.75 --epochs=1.")
flags.DEFINE_multi_string("override", [], "Builder argument of the model, as key=value (e.g. light_depth=14); repeatable.")
flags.DEFINE_string("method", "rocket",
                    "A method spec (rocket_keras.methods): light, booster, kd, mimic or rocket, with parameters "
                    "after a colon that win over the flags of the same name, e.g. rocket:hint_weight=0.01,share=stem.")
flags.DEFINE_string("teacher", None, "kd/mimic: .keras file of a trained booster (from --method=booster).")
flags.DEFINE_float("student_loss_weight", 0.5, "kd: weight of the hard-label loss (1 - it: the soft loss).")
flags.DEFINE_float("alpha", None,
                   "kd: the Rocket Launching authors' weighting, hard-label weight 1 - alpha and soft weight "
                   "2 * alpha / classes * T^2 on the KL (replaces --student_loss_weight; their commands: 0.9).")
flags.DEFINE_float("teacher_alpha", None,
                   "rocket: add KD from a frozen --teacher (a booster trained alone) with the authors' soft term "
                   "at this alpha (their rocket + KD: 0.9).")
flags.DEFINE_integer("bottleneck_rank", None, "mimic: a linear bottleneck of this rank before the logits.")
flags.DEFINE_string("dataset", "fashion_mnist", "fashion_mnist, cifar10, cifar100 or svhn_cropped.")
flags.DEFINE_string("data_dir", None, "cifar10: directory of train/test TFRecords; others: tfds data_dir.")
flags.DEFINE_integer("train_size", None, "Use only this many training examples (quick runs).")
flags.DEFINE_integer("validation_size", 5000, "Training examples held out for validation.")
flags.DEFINE_bool("augment", None, "Pad-crop(-flip) augmentation; default: the dataset's usual choice.")
flags.DEFINE_enum("padding", "zeros", ["zeros", "reflect"], "Border of the pad-crop augmentation (the authors: reflect).")
flags.DEFINE_bool("normalize_input", False,
                  "cifar10: per-channel normalisation as a layer inside the model (exported nets still take [0, 1]).")
flags.DEFINE_integer("epochs", 3, "Training epochs.")
flags.DEFINE_integer("batch_size", 128, "Global batch size.")
flags.DEFINE_float("learning_rate", 0.1, "Initial SGD learning rate.")
flags.DEFINE_float("momentum", 0.9, "SGD momentum.")
flags.DEFINE_float("weight_decay", 5e-4, "Decoupled weight decay of keras.optimizers.SGD (kernels only; not BN or biases); "
                   "not the same as an L2 loss of that value.")
flags.DEFINE_float("l2", 0.0, "Coupled L2 on every variable (PyTorch's SGD weight_decay; the authors: 5e-4 with "
                   "--weight_decay=0).")
flags.DEFINE_list("lr_decay_at", ["0.5", "0.75"], "Fractions of training where the learning rate drops.")
flags.DEFINE_float("lr_decay_factor", 0.1, "Learning-rate multiplier at each drop.")
flags.DEFINE_bool("momentum_reset", False, "Zero the SGD momentum at each drop (the authors make a new optimizer).")
flags.DEFINE_bool("jit_compile", False,
                  "XLA. Needs --nodeterministic (Keras turns XLA off under op determinism); XLA drops the in-step "
                  "input assertions, so every split is checked once before training instead.")
flags.DEFINE_enum("hint", "logits_mse", ["logits_mse", "softmax_mse", "kd"], "Hint loss.")
flags.DEFINE_float("hint_weight", 0.03, "Weight lambda of the hint loss.")
flags.DEFINE_float("temperature", 4.0, "Temperature of the 'kd' hint, the rocket KD term and the kd baseline.")
flags.DEFINE_float("kd_weight", 0.0, "rocket: weight of an extra KD term from the co-trained booster beside the hint; 0 = none (the authors' rocket + KD: --teacher with --method=rocket:teacher_alpha=0.9).")
flags.DEFINE_bool("gradient_block", True, "Stop the hint's gradient into the booster.")
flags.DEFINE_enum("share", None, ["bottom", "interval", "stem", "none"], "Override the model's sharing layout.")
flags.DEFINE_bool("mixed_precision", False,
                  "Mixed precision: mixed_float16 on GPU, mixed_bfloat16 on CPU; logits and losses stay float32.")
flags.DEFINE_integer("seed", 0, "Random seed (weights, shuffling, validation split).")
flags.DEFINE_bool("deterministic", True, "TensorFlow op determinism: the same seed gives the same weights.")
# MultiWorkerMirroredStrategy is left out: Keras 3's fit fails under it
# (keras-team/keras#20585; reproduced here with Keras 3.15 / TF 2.21).
flags.DEFINE_enum("strategy", "none", ["none", "mirrored"], "tf.distribute strategy (TensorFlow backend).")
flags.DEFINE_enum("distribution", "none", ["none", "data_parallel"],
                  "JAX backend: keras.distribution.DataParallel over every device of every process (see README, "
                  "'Scaling out').")
flags.DEFINE_string("coordinator_address", None,
                    "Several processes (JAX): host:port of process 0; or KERAS_DISTRIB_JOB_ADDRESSES.")
flags.DEFINE_integer("num_processes", None, "Several processes (JAX): how many; or KERAS_DISTRIB_NUM_PROCESSES.")
flags.DEFINE_integer("process_id", None, "Several processes (JAX): this one's id, 0 first; or KERAS_DISTRIB_PROCESS_ID.")
flags.DEFINE_string("output_dir", "runs/latest", "Where the model, logs and exports go.")
flags.DEFINE_bool("resume", True, "Continue from the backup in --output_dir when there is one.")
flags.DEFINE_bool("export", True, "Export the light net to TFLite (float32 and int8) and measure it.")
flags.DEFINE_integer("verbose", 1, "Keras verbosity: 1 progress bar, 2 one line per epoch.")

FLAGS = flags.FLAGS


def recipe():
    from rocket_keras.methods import Recipe

    return Recipe(
        epochs=FLAGS.epochs,
        learning_rate=FLAGS.learning_rate,
        momentum=FLAGS.momentum,
        drops_at=tuple(float(f) for f in FLAGS.lr_decay_at),
        drop_factor=FLAGS.lr_decay_factor,
        weight_decay=FLAGS.weight_decay,
        l2=FLAGS.l2,
        momentum_reset=FLAGS.momentum_reset,
    )


def method():
    from rocket_keras import methods

    try:
        return methods.parse(FLAGS.method)
    except ValueError as error:
        raise app.UsageError(str(error)) from None


def parse_overrides(items):
    """``["light_depth=14", "share='bottom'"]`` -> ``{"light_depth": 14, "share": "bottom"}``."""
    import ast

    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise app.UsageError(f"--override must be key=value. Received: {item!r}")
        try:
            overrides[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key.strip()] = value  # a bare string such as share=bottom
    return overrides


def set_up_distribution():
    """JAX: DataParallel over all devices, joining the other processes first when there are several.

    With several processes, each writes to ``--output_dir`` only from process
    0; the others write to ``<output_dir>/process-<id>``.
    """
    import keras

    if FLAGS.distribution == "none":
        return
    if keras.backend.backend() != "jax":
        raise app.UsageError("--distribution needs KERAS_BACKEND=jax (on TensorFlow use --strategy=mirrored).")
    several = (FLAGS.num_processes or int(os.environ.get("KERAS_DISTRIB_NUM_PROCESSES", 1))) > 1
    if several:
        keras.distribution.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
        import jax

        if jax.process_index() != 0:
            FLAGS.output_dir = os.path.join(FLAGS.output_dir, f"process-{jax.process_index()}")
    # tf.data input is sharded across processes by Keras (auto_shard_dataset).
    keras.distribution.set_distribution(keras.distribution.DataParallel())


def make_strategy():
    import tensorflow as tf

    if FLAGS.strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def teacher_record_path():
    """The results.json that train.py wrote beside the --teacher model file."""
    return os.path.join(os.path.dirname(FLAGS.teacher), "results.json")


def teacher_record():
    """The teacher run's results.json, or ``{}`` when the teacher came from elsewhere."""
    if not os.path.exists(teacher_record_path()):
        return {}
    with open(teacher_record_path()) as f:
        return json.load(f)


def load_teacher():
    import keras

    if not FLAGS.teacher:
        raise app.UsageError(f"--method={FLAGS.method} needs --teacher=<booster .keras file>.")
    if "training_error" in teacher_record():
        raise app.UsageError(f"--teacher={FLAGS.teacher} comes from a run that diverged (see {teacher_record_path()}).")
    return keras.models.load_model(FLAGS.teacher)


def pair_with_light_net(overrides, **kwargs):
    """The pair's booster with --light_net as the light net, through the zoo's templates."""
    from rocket_keras import zoo
    from rocket_keras.zoo.dual_head import build_rocket_model

    settings = {"share": "none", **overrides, **kwargs}
    unknown = set(settings) - {"share", "input_shape", "num_classes", "input_normalization", "shared_stages"}
    if unknown:
        raise app.UsageError(f"--light_net takes no --override of {sorted(unknown)}. Received: {sorted(unknown)}")
    booster, _ = zoo.pair_architectures(FLAGS.model)
    return build_rocket_model(
        name=f"{booster}-{os.path.splitext(os.path.basename(FLAGS.light_net))[0]}",
        booster=zoo.network_spec(booster),
        light=zoo.network_spec(FLAGS.light_net),
        **settings,
    )


def initialized_and_pruned(make_pair, steps_per_epoch, **kwargs):
    """The pair with --init_from's weights and, with --prune_sparsity, its light net wrapped for pruning."""
    import keras

    from rocket_keras import pruning

    pair = make_pair(**kwargs)
    if FLAGS.init_from:
        trained = keras.models.load_model(FLAGS.init_from, compile=False)
        trained = pruning.strip_pruning(trained) if pruning.is_pruned(trained) else trained
        # A rocket run saves the pair; light, booster, kd and mimic runs save one net.
        shapes = [w.shape for w in trained.weights]
        nets = (pair, pair.light_model(), pair.booster_model())
        target = next((net for net in nets if [w.shape for w in net.weights] == shapes), None)
        if target is None:
            raise app.UsageError(
                f"--init_from={FLAGS.init_from} matches neither this {FLAGS.model} pair (its layout) nor its light "
                f"net or booster. Received: a model {trained.name!r} of {len(shapes)} weights, "
                f"{trained.count_params():,} parameters.")
        target.set_weights(trained.get_weights())
    if not pruning_requested():
        return pair
    if method().name == "booster":
        raise app.UsageError("--prune_sparsity prunes the light net; --method=booster does not train it.")
    end = max(1, int(FLAGS.prune_end * FLAGS.epochs * steps_per_epoch))

    def schedule(target):
        return pruning.PolynomialDecay(0.0, target, begin_step=0, end_step=end, frequency=FLAGS.prune_frequency)

    if FLAGS.prune_targets:
        with open(FLAGS.prune_targets) as f:
            targets = json.load(f)["targets"]
        return pruning.prune_low_magnitude(pair, {name: schedule(t) for name, t in targets.items()}, net="light")
    return pruning.prune_low_magnitude(pair, schedule(FLAGS.prune_sparsity), net="light")


def distilling():
    """Whether the method fits a ``keras.distillation.Distiller`` (its student is the light net)."""
    return method().name in ("kd", "mimic")


def pruning_requested():
    if FLAGS.prune_sparsity is not None and FLAGS.prune_targets:
        raise app.UsageError("Give --prune_sparsity or --prune_targets, not both.")
    return FLAGS.prune_sparsity is not None or bool(FLAGS.prune_targets)


def build_and_compile(splits):
    from rocket_keras import methods
    from rocket_keras.data import CIFAR10_CHANNEL_STATS
    from rocket_keras.zoo import get_model

    # Built inside the strategy's scope: with several replicas the zoo
    # synchronises BatchNorm by itself.
    overrides = {"input_shape": splits.input_shape, "num_classes": splits.num_classes}
    if FLAGS.normalize_input:
        if FLAGS.dataset != "cifar10":
            raise app.UsageError(f"--normalize_input knows CIFAR-10's channel statistics only. Received: --dataset={FLAGS.dataset}")
        overrides["input_normalization"] = CIFAR10_CHANNEL_STATS
    if FLAGS.share:
        overrides["share"] = FLAGS.share
    overrides.update(parse_overrides(FLAGS.override))
    the_method = method()
    # The flags give every parameter the spec leaves out.
    defaults = {name: FLAGS[name].value for name in methods.PARAMETERS[the_method.name]}
    if FLAGS.light_net:
        make_pair = functools.partial(pair_with_light_net, overrides)
    else:
        make_pair = lambda **kwargs: get_model(FLAGS.model, **{**overrides, **kwargs})  # noqa: E731
    if FLAGS.init_from or pruning_requested():
        make_pair = functools.partial(initialized_and_pruned, make_pair, splits.steps_per_epoch)
    return methods.build(
        the_method,
        make_pair,
        recipe().optimizer(splits.steps_per_epoch, the_method),
        teacher=load_teacher() if the_method.needs_teacher else None,
        defaults=defaults,
    )


def synchronous_logs():
    """On JAX, a callback that keeps evaluation logs on the main thread.

    Keras dispatches the batch-end callbacks of an evaluation to a thread
    when no callback needs them; on JAX that thread converting the logs
    aborted the process once in four DataParallel runs here (Keras 3.15,
    jax 0.10). A callback with its own on_test_batch_end turns that off.
    """
    import keras

    if keras.backend.backend() != "jax":
        return []
    return [keras.callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: None)]


def callbacks(output_dir, resuming, clock):
    import keras

    from rocket_keras import pruning
    from rocket_keras.callbacks import StopOnNonFiniteLoss, StudentCheckpoint

    return [*synchronous_logs(),
        # First, so that a non-finite batch stops training before any other
        # callback sees the broken epoch.
        StopOnNonFiniteLoss(monitor=("loss", "student_loss", "distillation_loss") if distilling() else None),
        # Before the backup, so a resumed run knows the time already spent.
        keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: clock.end_epoch()),
        keras.callbacks.BackupAndRestore(os.path.join(output_dir, "backup")),
        # A resumed run continues its history; a fresh one starts a new file.
        keras.callbacks.CSVLogger(os.path.join(output_dir, "history.csv"), append=resuming),
        keras.callbacks.TensorBoard(os.path.join(output_dir, "logs")),
        # A distiller is saved as its student, the light net.
        (StudentCheckpoint if distilling() else keras.callbacks.ModelCheckpoint)(os.path.join(output_dir, "model.keras")),
        *([pruning.UpdatePruningStep()] if pruning_requested() else []),
    ]


class TrainingClock:
    """Wall-clock training time that survives a crash and ``--resume``, with
    what else the machine was doing meanwhile.

    Saved to ``<output_dir>/train_seconds.json`` at every epoch end; a resumed
    run starts from the saved total instead of zero. Each epoch also records
    its seconds and the 1-minute load average at its end (``os.getloadavg``:
    runnable threads, this run's included; a run alone on the machine reads
    about its core count, a job beside it adds to that), so that a time can be
    told clean or shared from the result file instead of from memory.
    """

    def __init__(self, output_dir, resuming):
        self.path = os.path.join(output_dir, "train_seconds.json")
        self.before = 0.0
        self.epochs = []
        if resuming and os.path.exists(self.path):
            with open(self.path) as f:
                saved = json.load(f)
            self.before = saved["train_seconds"]
            self.epochs = saved.get("epochs", [])
        self.start = self.epoch_start = time.time()

    def total(self):
        return self.before + time.time() - self.start

    def end_epoch(self):
        now = time.time()
        self.epochs.append({"seconds": round(now - self.epoch_start, 1), "load_average": round(os.getloadavg()[0], 2)})
        self.epoch_start = now
        with open(self.path, "w") as f:
            json.dump({"train_seconds": self.total(), "epochs": self.epochs}, f)

    def finish(self):
        """The total; the saved file goes, like BackupAndRestore's backup."""
        if os.path.exists(self.path):
            os.remove(self.path)
        return self.total()


def export_in_tensorflow(output_dir, results):
    """On JAX: the TFLite files are written by examples/export.py in a TensorFlow process."""
    import subprocess

    for quantization in (None, "int8"):
        name = quantization or "float32"
        path = os.path.join(output_dir, f"light_{name}.tflite")
        record = os.path.join(output_dir, f"export-tflite_{name}.json")
        command = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "export.py"),
                   f"--model={os.path.join(output_dir, 'model.keras')}", "--format=litert", f"--output={path}",
                   f"--dataset={FLAGS.dataset}", f"--json_out={record}"]
        command += [f"--quantization={quantization}"] if quantization else []
        command += [f"--data_dir={FLAGS.data_dir}"] if FLAGS.data_dir else []
        subprocess.run(command, check=True, env=dict(os.environ, KERAS_BACKEND="tensorflow"))
        with open(record) as f:
            exported = json.load(f)
        results[f"tflite_{name}"] = {"path": path, "size_bytes": exported["size_bytes"],
                                     "test_accuracy": exported["exported_test_accuracy"]}


def export_and_measure(model, splits, output_dir, results):
    """Exports ``model``'s light net (a rocket pair, or a light net itself) to TFLite and measures the files."""
    import keras

    from rocket_keras.export import export_light, exported_accuracy, median_latency_ms

    if keras.backend.backend() == "jax":
        return export_in_tensorflow(output_dir, results)
    one_image = next(iter(splits.test))[0][:1].numpy()
    # A pruned net also goes through the converter's sparsity optimisation.
    for quantization, sparse in ((None, False), ("int8", False)) + ((("int8", True),) if pruning_requested() else ()):
        name = (quantization or "float32") + ("_sparse" if sparse else "")
        path = os.path.join(output_dir, f"light_{name}.tflite")
        report = export_light(model, path, quantization=quantization, representative_data=splits.train, sparsity=sparse)
        print(report, "\n")
        results[f"tflite_{name}"] = {
            "path": path,
            "size_bytes": report.size_bytes,
            "gzip_size_bytes": report.gzip_size_bytes,
            "latency_ms_batch1": median_latency_ms(path, one_image),
            "kernels": report.kernels,
            "test_accuracy": exported_accuracy(path, splits.test),
        }


def trained_nets(model, rocket):
    """``(pair, light net)`` as trained, pruning wrappers stripped (zeros baked
    in; masks are not parameters). The light net is a Distiller's student
    (mimic's bottleneck gives it layers the pair lacks), else the pair's own."""
    plain = without_pruning_wrappers(rocket)
    return plain, (without_pruning_wrappers(model.student) if distilling() else plain.light_model())


def without_pruning_wrappers(rocket):
    """The pair with its pruned layers stripped (zeros baked in); the pair itself when nothing is pruned."""
    from rocket_keras import pruning

    return pruning.strip_pruning(rocket) if pruning.is_pruned(rocket) else rocket


def run_record(splits, rocket, light, resuming, train_seconds, epoch_times):
    """What every results.json holds: the run's settings, size and training time."""
    return {
        "model": FLAGS.model,
        "method": method().spec,
        "dataset": FLAGS.dataset,
        "epochs": FLAGS.epochs,
        "seed": FLAGS.seed,
        "train_size": splits.train_size,
        "train_seconds": round(train_seconds, 1),
        # Per epoch: its seconds and the machine's load at its end (TrainingClock),
        # and the cores that load is shared by.
        "epoch_times": epoch_times,
        "cpu_count": os.cpu_count(),
        "resumed": resuming,
        "command": " ".join(sys.argv),
        # Every flag of this script, so a run's recipe is on record even
        # when it came from a flagfile.
        "flags": {flag.name: flag.value for flag in FLAGS.get_flags_for_module(sys.argv[0])},
        "light_parameters": light.count_params(),
        "booster_parameters": rocket.booster_model().count_params(),
    }


def write_results(results):
    path = os.path.join(FLAGS.output_dir, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    return path


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    import keras

    from rocket_keras import data
    from rocket_keras.callbacks import NonFiniteLossError

    keras.utils.set_random_seed(FLAGS.seed)
    import tensorflow as tf

    set_up_distribution()
    if FLAGS.jit_compile and FLAGS.deterministic and keras.backend.backend() == "tensorflow":
        raise app.UsageError("--jit_compile needs --nodeterministic: Keras turns XLA off under TensorFlow op determinism.")
    if FLAGS.deterministic:
        tf.config.experimental.enable_op_determinism()
    if FLAGS.mixed_precision:
        # Keras wraps the optimizer in a LossScaleOptimizer for float16.
        gpu = bool(tf.config.list_physical_devices("GPU"))
        keras.mixed_precision.set_global_policy("mixed_float16" if gpu else "mixed_bfloat16")
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    backup = os.path.join(FLAGS.output_dir, "backup")
    if not FLAGS.resume and os.path.exists(backup):
        import shutil

        shutil.rmtree(backup)
    # BackupAndRestore removes its backup when training ends: one left
    # behind means an interrupted run that this one continues.
    resuming = os.path.exists(backup)
    splits = data.load(
        FLAGS.dataset,
        batch_size=FLAGS.batch_size,
        validation_size=FLAGS.validation_size,
        augment=FLAGS.augment,
        seed=FLAGS.seed,
        data_dir=FLAGS.data_dir,
        train_size=FLAGS.train_size,
        padding=FLAGS.padding,
    )
    strategy = make_strategy()
    with strategy.scope():
        model, rocket = build_and_compile(splits)
    # On JAX, Keras compiles the step anyway and RocketModel checks each
    # batch on the host; --jit_compile is TensorFlow's XLA switch.
    if keras.backend.backend() == "tensorflow":
        model.jit_compile = FLAGS.jit_compile
    if keras.backend.backend() == "tensorflow" and FLAGS.jit_compile:
        from rocket_keras.input_checks import check_dataset

        # XLA drops the in-step assertions: check every batch once here
        # instead (this also fills the pipelines' caches).
        for split in (splits.train, splits.validation, splits.test):
            check_dataset(split, splits.num_classes)
    clock = TrainingClock(FLAGS.output_dir, resuming)
    try:
        model.fit(
            splits.train,
            validation_data=splits.validation,
            epochs=FLAGS.epochs,
            callbacks=callbacks(FLAGS.output_dir, resuming, clock),
            shuffle=False,  # The tf.data pipeline shuffles.
            verbose=FLAGS.verbose,
        )
    except NonFiniteLossError as error:
        # A diverged run is a result too: results.json records it (no test
        # accuracy), so reports can show the divergence instead of a gap.
        # total(), not finish(): the backup stays, and a rerun resumes from
        # it with the time already spent.
        results = run_record(splits, *trained_nets(model, rocket), resuming, clock.total(), clock.epochs)
        results["training_error"] = str(error)
        write_results(results)
        sys.exit(f"{error}\nThe last good model is {os.path.join(FLAGS.output_dir, 'model.keras')} (if an epoch finished).")
    # Stripped once: the export ships plain layers.
    plain, light = trained_nets(model, rocket)
    results = run_record(splits, plain, light, resuming, clock.finish(), clock.epochs)
    test = model.evaluate(splits.test, return_dict=True, verbose=0, callbacks=synchronous_logs())
    if method().name == "rocket":
        results["light_test_accuracy"] = test["light_accuracy"]
        results["booster_test_accuracy"] = test["booster_accuracy"]
    else:
        (head,) = method().heads
        results[f"{head}_test_accuracy"] = test["accuracy"]
    if pruning_requested():
        from rocket_keras import pruning

        results["light_sparsity"] = pruning.sparsity(plain.light_model())["overall"]
    teacher = teacher_record() if FLAGS.teacher else {}
    if teacher:
        # Two-stage methods cost the teacher's training too.
        results["teacher_train_seconds"] = teacher["train_seconds"]
    export_error = None
    if FLAGS.export and "light" in method().heads:
        try:
            export_and_measure(light if distilling() else plain, splits, FLAGS.output_dir, results)
        except Exception as error:  # keep the trained model's results; report the export's failure
            export_error = f"{type(error).__name__}: {error}"
            results["export_error"] = export_error
    results_path = write_results(results)
    print("\nTest accuracy")
    for key, value in results.items():
        if key.endswith("test_accuracy"):
            print(f"  {key[:-len('_test_accuracy')]:<10} {value:.4f}")
        elif key.startswith("tflite_"):
            print(f"  {key:<10} {value['test_accuracy']:.4f}  ({value['size_bytes']:,} bytes)")
    if export_error:
        sys.exit(f"Training finished (results in {results_path}) but the TFLite export failed: {export_error}")


if __name__ == "__main__":
    app.run(main)
