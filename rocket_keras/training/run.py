"""One training run as a library call: ``train(config)`` builds, fits, tests, saves and exports.

Writes to ``config.output_dir``: ``model.keras`` (the last epoch; no choice
depends on data), ``light.keras`` (the trained light net alone, with its
sha256 in the record; a booster trained alone, the teacher of ``kd`` and
``mimic``, is kept as ``booster.keras`` the same way), a CSV history, a TensorBoard log, a
BackupAndRestore directory until ``results.json`` is written (``resume``
continues from it, after the last epoch too),
``light_float32.tflite`` and ``light_int8.tflite`` measured through the
LiteRT interpreter on the whole test set, and ``results.json``
(``records``). A run stopped by a non-finite loss still writes
``results.json``, with ``training_error`` and no test accuracy, and raises
``NonFiniteLossError``.

Example:

```python
from rocket_keras import training

config = training.Config(model="resnet14-resnet8", dataset="synthetic", epochs=1, output_dir="runs/smoke")
record = training.train(config)
record["light_test_accuracy"]
```
"""

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys

import keras

from rocket_keras import backends, methods
from rocket_keras.training import records

TRAIN_SCRIPT = os.path.join("examples", "train.py")


class OptionError(ValueError):
    """Options of a ``Config`` that do not fit together (a command line shows it as a usage error)."""


def train(config, command=None):
    """Runs ``config`` and returns its record (also written to ``<output_dir>/results.json``).

    ``command`` is what the record names as the run's command; by default
    the ``examples/train.py`` command line with ``config``'s options.

    Example:

    ```python
    from rocket_keras import training

    config = training.Config(dataset="synthetic", epochs=1, train_size=256, validation_size=256, output_dir="runs/smoke")
    record = training.train(config)
    record["light_test_accuracy"], record["tflite_int8"]["size_bytes"]
    ```

    Raises:
        OptionError: (a ``ValueError``) for options that do not fit together, saying what was received.
        NonFiniteLossError: when training diverged (the record is written first).
        RuntimeError: when training finished but the TFLite export failed (record written).
    """
    from rocket_keras.callbacks import NonFiniteLossError

    run = _Run(config, command or " ".join(["python", TRAIN_SCRIPT, *config.as_args()]))
    keras.utils.set_random_seed(config.seed)
    run.set_up_execution()
    os.makedirs(config.output_dir, exist_ok=True)
    backup = os.path.join(config.output_dir, "backup")
    if not config.resume and os.path.exists(backup):
        shutil.rmtree(backup)
    # The backup is removed once the run's record is written: one left
    # behind means an interrupted run that this one continues (from the
    # epoch it reached; after the last one, only the evaluation and export).
    resuming = os.path.exists(backup)
    splits = run.load_data()
    with run.strategy().scope():
        # Built inside the strategy's scope: with several replicas the zoo
        # synchronises BatchNorm by itself.
        model, rocket = run.build_and_compile(splits)
    run.set_execution(model, splits)
    clock = records.TrainingClock(config.output_dir, resuming)
    backends.build_before_tracing(model, backends.symbolic_batch(splits.train))  # before fit traces its first step
    try:
        model.fit(splits.train, validation_data=splits.validation, epochs=config.epochs,
                  callbacks=run.callbacks(resuming, clock, splits.train),
                  shuffle=False,  # The tf.data pipeline shuffles.
                  verbose=config.verbose)
    except NonFiniteLossError as error:
        # A diverged run is a result too: results.json records it (no test
        # accuracy), so reports can show the divergence instead of a gap.
        # total(), not finish(): the backup stays, and a rerun resumes from
        # it with the time already spent.
        record = run.record(splits, *run.trained_nets(model, rocket), resuming, clock.total(), clock.epochs)
        record["training_error"] = str(error)
        records.write_results(config.output_dir, record)
        raise
    if config.ema is not None:
        # The checkpoint of the last epoch holds the raw weights; the run's model is the average.
        run.save_model(model)
    # Stripped once: the export ships plain layers.
    plain, light = run.trained_nets(model, rocket)
    record = run.record(splits, plain, light, resuming, clock.finish(), clock.epochs)
    method = run.method
    # The final nets on validation too (what settings are chosen on: with --ema the history's
    # val_accuracy is the raw weights', not the average's), then on test.
    for split in ("validation", "test"):
        scores = model.evaluate(getattr(splits, split), return_dict=True, verbose=0, callbacks=synchronous_logs())
        if len(method.heads) == 2:  # rocket, dml
            record[f"light_{split}_accuracy"] = scores["light_accuracy"]
            record[f"booster_{split}_accuracy"] = scores["booster_accuracy"]
        else:
            (head,) = method.heads
            record[f"{head}_{split}_accuracy"] = scores["accuracy"]
    if config.tta:
        from rocket_keras.training.evaluation import flip_tta_accuracy

        nets = {"light": light, "booster": plain.booster_model()}
        for head in method.heads:
            record[f"{head}_test_accuracy_tta"] = flip_tta_accuracy(nets[head], splits.test)
    if run.pruning_requested():
        from rocket_keras import pruning

        record["light_sparsity"] = pruning.sparsity(plain.light_model())["overall"]
    # The nets worth keeping beside the record (git keeps these files, model.keras it does not): the
    # light net, what ships, and a booster trained alone, the teacher of kd and mimic.
    if "light" in method.heads:
        record["light_weights"] = save_net(light, config.output_dir, "light")
    elif method.heads == ("booster",):
        record["booster_weights"] = save_net(plain.booster_model(), config.output_dir, "booster")
    if splits.class_names:
        # The exported files' outputs in order, one name a line, beside them.
        record["class_names"] = list(splits.class_names)
        with open(os.path.join(config.output_dir, "labels.txt"), "w") as f:
            f.write("\n".join(splits.class_names) + "\n")
    teacher = run.teacher_record() if config.teacher else {}
    if teacher:
        # Two-stage methods cost the teacher's training too.
        record["teacher_train_seconds"] = teacher["train_seconds"]
    export_error = None
    if config.export and "light" in method.heads:
        try:
            run.export_and_measure(light if run.distilling() else plain, splits, record)
        except Exception as error:  # keep the trained model's results; report the export's failure
            export_error = f"{type(error).__name__}: {error}"
            record["export_error"] = export_error
    path = records.write_results(config.output_dir, record)
    shutil.rmtree(backup, ignore_errors=True)  # the run is complete: nothing left to resume
    if export_error:
        raise RuntimeError(f"Training finished (results in {path}) but the TFLite export failed: {export_error}")
    return records.read_results(path)


def save_net(net, output_dir, head):
    """Saves one trained net, uncompiled, as ``<head>.keras``; returns its path (relative), sha256 and size."""
    name = f"{head}.keras"
    path = os.path.join(output_dir, name)
    net.save(path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {"path": name, "sha256": digest, "size_bytes": os.path.getsize(path)}


def synchronous_logs():
    """On JAX, a callback that keeps evaluation logs on the main thread.

    Keras dispatches the batch-end callbacks of an evaluation to a thread
    when no callback needs them; on JAX that thread converting the logs
    aborted the process once in four DataParallel runs here (Keras 3.15,
    jax 0.10). A callback with its own on_test_batch_end turns that off.
    """
    if not backends.is_jax():
        return []
    return [keras.callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: None)]


def parse_overrides(items):
    """``["light_depth=14", "share='bottom'"]`` -> ``{"light_depth": 14, "share": "bottom"}``."""
    import ast

    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise OptionError(f"--override must be key=value. Received: {item!r}")
        try:
            overrides[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key.strip()] = value  # a bare string such as share=bottom
    return overrides


def load_matching_weights(path, nets, description):
    """Loads the weights of the model in ``path`` into the first of ``nets`` whose weights have the same shapes.

    A rocket run saves the pair; light, booster, kd and mimic runs save one
    net: ``nets`` is ``(pair, light net, booster)``.
    """
    from rocket_keras import pruning

    trained = keras.models.load_model(path, compile=False)
    trained = pruning.strip_pruning(trained) if pruning.is_pruned(trained) else trained
    shapes = [w.shape for w in trained.weights]
    target = next((net for net in nets if [w.shape for w in net.weights] == shapes), None)
    if target is None:
        raise OptionError(
            f"--init_from={path} matches neither this {description} pair (its layout) nor its light "
            f"net or booster. Received: a model {trained.name!r} of {len(shapes)} weights, "
            f"{trained.count_params():,} parameters.")
    target.set_weights(trained.get_weights())


def load_splits(config, augment=True):
    """The splits ``config`` trains on, the training split augmented per image or per batch (``batch_augment``).

    ``augment=False``: every split as it is, the training images too (the same
    images, validation split and order of the seed; what a trained net is
    measured on, ``evaluate_run``).
    """
    from rocket_keras import data

    batch_augment = augment and config.batch_augment
    splits = data.load(config.dataset, batch_size=config.batch_size, validation_size=config.validation_size,
                       augment=False if batch_augment or not augment else config.augment, seed=config.seed,
                       data_dir=config.data_dir, train_size=config.train_size, padding=config.padding,
                       pad=config.pad, image_size=data.parse_image_size(config.image_size))
    if not batch_augment:
        return splits
    train = data.augment_batches(splits.train, padding=config.padding, cutout=config.cutout, seed=config.seed,
                                 pad=config.pad)
    return dataclasses.replace(splits, train=train)


def evaluate_run(run_dir, splits=("train", "validation", "test"), batch_size=256):
    """Accuracy of a finished run's kept nets on its data's splits, without augmentation, in inference mode.

    Reads the run's ``results.json`` for its dataset, validation split and
    seed, loads ``light.keras`` (and ``booster.keras`` where the run kept it)
    and evaluates each on ``splits``: the training split too, un-augmented
    and with the final weights, which the history's ``accuracy`` (a running
    mean over an epoch of augmented batches, in training mode) is not.

    Returns:
        ``{"light": {"train": accuracy, ...}, "booster": {...}}``, one entry per kept net.

    Example:

    ```python
    from rocket_keras import training

    training.evaluate_run("results/cifar10/resnet20-resnet8.strong.no_l2_norm_and_bias/light-seed0")
    # {"light": {"train": 0.84..., "validation": 0.81..., "test": 0.81...}}
    ```
    """
    from rocket_keras import losses
    from rocket_keras.training.config import Config

    record = records.read_results(run_dir)
    if set(splits) - {"train", "validation", "test"}:
        raise ValueError(f"`splits` are names among train, validation and test. Received: splits={list(splits)}")
    if not record["flags"]:
        raise ValueError(f"{run_dir}/results.json records no flags (a record from before they were kept), so its "
                         f"data and validation split are unknown. Received: run_dir={run_dir!r}")
    nets = {head: os.path.join(run_dir, f"{head}.keras") for head in ("light", "booster")}
    nets = {head: path for head, path in nets.items() if os.path.exists(path)}
    if not nets:
        raise ValueError(f"{run_dir} keeps no light.keras or booster.keras to evaluate (a run from before they were "
                         f"kept has only model.keras, which git does not keep). Received: {sorted(os.listdir(run_dir))}")
    known = set(Config().as_flags())
    config = Config().replace(**{**{k: v for k, v in record["flags"].items() if k in known}, "batch_size": batch_size})
    if config.data_dir is not None and not os.path.isdir(config.data_dir):
        # The data loaders fall back to another copy of the data (tensorflow-datasets) with a warning.
        raise ValueError(f"The run read its data from {config.data_dir!r}, which is not a directory from here "
                         f"({os.getcwd()}); run from the directory it trained in. Received: data_dir={config.data_dir!r}")
    data_splits = load_splits(config, augment=False)
    scores = {}
    for head, path in nets.items():
        net = keras.saving.load_model(path, compile=False)
        net.compile(loss=losses.CrossEntropy(), metrics=["accuracy"])
        scores[head] = {split: float(net.evaluate(getattr(data_splits, split), verbose=0, return_dict=True)["accuracy"])
                        for split in splits}
        recorded = record.get(f"{head}_validation_accuracy")
        # A few images' worth of slack: another batch size may sum a logit in another order.
        if "validation" in splits and recorded is not None and abs(scores[head]["validation"] - recorded) > 1e-3:
            raise ValueError(f"{run_dir}: {head}.keras scores {scores[head]['validation']:.4f} on the validation split "
                             f"loaded here, its record {recorded:.4f}: not the data it was chosen on. "
                             f"Received: run_dir={run_dir!r}")
    return scores


class _Run:
    """The steps of ``train`` that read the config."""

    def __init__(self, config, command):
        self.config = config
        self.command = command
        self.input_normalization = None  # (mean, std) of the layer inside the model, when --normalize_input
        try:
            self.method = methods.parse(config.method)
        except ValueError as error:
            raise OptionError(f"--method: {error}") from None
        if config.cutout and not config.batch_augment:
            raise OptionError(f"--cutout is applied batch-wise: add --batch_augment. Received: --cutout={config.cutout}")
        if isinstance(config.pad, bool) or not isinstance(config.pad, int) or config.pad < 0:
            raise OptionError(f"--pad is the pad-crop augmentation's largest shift in pixels, 0 or more. "
                              f"Received: --pad={config.pad}")
        if not 0 < config.lr_warmup < 1:
            raise OptionError(f"--lr_warmup is a fraction of training in (0, 1). Received: --lr_warmup={config.lr_warmup}")
        if config.lr_warmup != 0.25 and config.lr_schedule != "one_cycle":
            raise OptionError(f"--lr_warmup shapes --lr_schedule=one_cycle. Received: --lr_warmup={config.lr_warmup} "
                              f"with --lr_schedule={config.lr_schedule}")

    # Execution: backend, determinism, precision, distribution.

    def set_up_execution(self):
        config = self.config
        self.set_up_distribution()
        if config.jit_compile and config.deterministic and backends.is_tensorflow():
            raise OptionError("--jit_compile needs --nodeterministic: Keras turns XLA off under TensorFlow op "
                             "determinism.")
        import tensorflow as tf

        if config.deterministic:
            tf.config.experimental.enable_op_determinism()
        if config.mixed_precision:
            keras.mixed_precision.set_global_policy(backends.mixed_precision_policy())

    def set_up_distribution(self):
        """JAX: DataParallel over all devices, joining the other processes first when there are several.

        With several processes, each writes to ``output_dir`` only from process
        0; the others write to ``<output_dir>/process-<id>``.
        """
        config = self.config
        if config.distribution == "none":
            return
        if not backends.is_jax():
            raise OptionError("--distribution needs KERAS_BACKEND=jax (on TensorFlow use --strategy=mirrored).")
        several = (config.num_processes or int(os.environ.get("KERAS_DISTRIB_NUM_PROCESSES", 1))) > 1
        if several:
            keras.distribution.initialize(config.coordinator_address, config.num_processes, config.process_id)
            import jax

            if jax.process_index() != 0:
                config.output_dir = os.path.join(config.output_dir, f"process-{jax.process_index()}")
        # tf.data input is sharded across processes by Keras (auto_shard_dataset).
        keras.distribution.set_distribution(keras.distribution.DataParallel())

    def strategy(self):
        import tensorflow as tf

        if self.config.strategy == "mirrored":
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()

    def set_execution(self, model, splits):
        """XLA or not (TensorFlow's switch; JAX compiles the step anyway and checks each batch on the host)."""
        if not backends.is_tensorflow():
            return
        model.jit_compile = self.config.jit_compile
        if self.config.jit_compile:
            from rocket_keras.input_checks import CheckedSteps, check_dataset

            # XLA drops the in-step assertions: check every batch once here
            # instead (this also fills the pipelines' caches). A RocketModel's
            # fit checks its training data itself (CheckedSteps.check_before_fit).
            checked_by_fit = isinstance(model, CheckedSteps)
            for split in (() if checked_by_fit else (splits.train,)) + (splits.validation, splits.test):
                check_dataset(split, splits.num_classes)

    # The model.

    def teacher_record_path(self):
        """The results.json that train.py wrote beside the teacher's model file."""
        return os.path.join(os.path.dirname(self.config.teacher), records.RESULTS_FILE)

    def teacher_record(self):
        """The teacher run's results.json, or ``{}`` when the teacher came from elsewhere."""
        if not os.path.exists(self.teacher_record_path()):
            return {}
        return records.read_results(self.teacher_record_path())

    def load_teacher(self):
        if not self.config.teacher:
            raise OptionError(f"--method={self.config.method} needs --teacher=<booster .keras file>.")
        if "training_error" in self.teacher_record():
            raise OptionError(f"--teacher={self.config.teacher} comes from a run that diverged "
                             f"(see {self.teacher_record_path()}).")
        return keras.models.load_model(self.config.teacher)

    def pair_with_light_net(self, overrides, **kwargs):
        """The pair's booster with ``light_net`` as the light net, through the zoo's templates."""
        from rocket_keras import zoo
        from rocket_keras.zoo.dual_head import build_rocket_model

        settings = {"share": "none", **overrides, **kwargs}
        unknown = set(settings) - {"share", "input_shape", "num_classes", "input_normalization", "shared_stages",
                                   "shared_gradient_scale"}
        if unknown:
            raise OptionError(f"--light_net takes no --override of {sorted(unknown)}. Received: {sorted(unknown)}")
        booster, _ = zoo.pair_architectures(self.config.model)
        return build_rocket_model(
            name=f"{booster}-{os.path.splitext(os.path.basename(self.config.light_net))[0]}",
            booster=zoo.network_spec(booster),
            light=zoo.network_spec(self.config.light_net),
            **settings,
        )

    def initialized_and_pruned(self, make_pair, steps_per_epoch, **kwargs):
        """The pair with ``init_from``'s weights and, when pruning, its light net wrapped for pruning."""
        from rocket_keras import pruning

        config = self.config
        pair = make_pair(**kwargs)
        if config.init_from:
            load_matching_weights(config.init_from, (pair, pair.light_model(), pair.booster_model()), config.model)
        if not self.pruning_requested():
            return pair
        if self.method.name == "booster":
            raise OptionError("--prune_sparsity prunes the light net; --method=booster does not train it.")
        end = max(1, int(config.prune_end * config.epochs * steps_per_epoch))

        def schedule(target):
            return pruning.PolynomialDecay(0.0, target, begin_step=0, end_step=end, frequency=config.prune_frequency,
                                           prune_at_end_step=True)  # the final sparsity exactly, as committed runs

        if config.prune_targets:
            with open(config.prune_targets) as f:
                targets = json.load(f)["targets"]
            return pruning.prune_low_magnitude(pair, {name: schedule(t) for name, t in targets.items()}, net="light")
        return pruning.prune_low_magnitude(pair, schedule(config.prune_sparsity), net="light")

    def distilling(self):
        """Whether the method fits a ``keras.distillation.Distiller`` (its student is the light net)."""
        return self.method.name in ("kd", "mimic")

    def pruning_requested(self):
        if self.config.prune_sparsity is not None and self.config.prune_targets:
            raise OptionError("Give --prune_sparsity or --prune_targets, not both.")
        return self.config.prune_sparsity is not None or bool(self.config.prune_targets)

    def optimizer_recipe(self):
        config = self.config
        return methods.Recipe(
            epochs=config.epochs,
            learning_rate=config.learning_rate,
            momentum=config.momentum,
            drops_at=tuple(float(f) for f in config.lr_decay_at),
            drop_factor=config.lr_decay_factor,
            weight_decay=config.weight_decay,
            l2=config.l2,
            momentum_reset=config.momentum_reset,
            schedule=config.lr_schedule,
            nesterov=config.nesterov,
            ema=config.ema,
            l2_norm_and_bias=config.l2_norm_and_bias,
            warmup=config.lr_warmup,
        )

    def build_and_compile(self, splits):
        from rocket_keras.data import CIFAR10_CHANNEL_STATS, channel_statistics
        from rocket_keras.zoo import get_model

        config = self.config
        overrides = {"input_shape": splits.input_shape, "num_classes": splits.num_classes}
        if config.normalize_input:
            # CIFAR-10's published statistics; for any other data, its training split's (one pass).
            self.input_normalization = (CIFAR10_CHANNEL_STATS if config.dataset == "cifar10"
                                        else channel_statistics(splits.train))
            overrides["input_normalization"] = self.input_normalization
        if config.method_parameters.get("share"):
            overrides["share"] = config.method_parameters["share"]
        overrides.update(parse_overrides(config.override))
        # The config gives every parameter the spec leaves out.
        defaults = {name: config.method_parameters[name] for name in methods.PARAMETERS[self.method.name]}
        if config.light_net:
            make_pair = functools.partial(self.pair_with_light_net, overrides)
        else:
            make_pair = lambda **kwargs: get_model(config.model, **{**overrides, **kwargs})  # noqa: E731
        if config.init_from or self.pruning_requested():
            make_pair = functools.partial(self.initialized_and_pruned, make_pair, splits.steps_per_epoch)
        return methods.build(
            self.method,
            make_pair,
            self.optimizer_recipe().optimizer(splits.steps_per_epoch, self.method),
            teacher=self.load_teacher() if self.method.needs_teacher else None,
            defaults=defaults,
            label_smoothing=config.label_smoothing,
        )

    def load_data(self):
        return load_splits(self.config)

    def callbacks(self, resuming, clock, train_data):
        from rocket_keras import losses, pruning
        from rocket_keras.callbacks import (BackupAndRestoreDataOrder, RecomputeBatchNormStatistics, StopOnNonFiniteLoss,
                                            StudentCheckpoint)

        output_dir = self.config.output_dir
        return [*synchronous_logs(),
            # First, so that a non-finite batch stops training before any other
            # callback sees the broken epoch.
            StopOnNonFiniteLoss(monitor=("loss", "student_loss", "distillation_loss") if self.distilling()
                                else ("loss",) + losses.TERMS),
            # Before the backup, so a resumed run knows the time already spent.
            clock.callback(),
            # A resumed run also draws the data order of the epochs it restores. The backup
            # outlives fit, until the record is written: a run stopped while it evaluates or
            # exports resumes after its last epoch instead of training again.
            BackupAndRestoreDataOrder(os.path.join(output_dir, "backup"), train_data, delete_checkpoint=False),
            # A resumed run continues its history; a fresh one starts a new file.
            keras.callbacks.CSVLogger(os.path.join(output_dir, "history.csv"), append=resuming),
            keras.callbacks.TensorBoard(os.path.join(output_dir, "logs")),
            # A distiller is saved as its student, the light net.
            (StudentCheckpoint if self.distilling() else keras.callbacks.ModelCheckpoint)(self.model_path),
            *([pruning.UpdatePruningStep()] if self.pruning_requested() else []),
            # fit ends by swapping in the averaged weights; their BatchNorm statistics follow.
            *([RecomputeBatchNormStatistics(train_data)] if self.config.ema is not None else []),
        ]

    @property
    def model_path(self):
        """The run's ``model.keras``: written after each epoch, and again after a weight average."""
        return os.path.join(self.config.output_dir, "model.keras")

    def save_model(self, model):
        """Writes ``model_path`` as the checkpoint callbacks do: a distiller's student, else the model."""
        (model.student if self.distilling() else model).save(self.model_path)

    # After training.

    def trained_nets(self, model, rocket):
        """``(pair, light net)`` as trained, pruning wrappers stripped (zeros baked
        in; masks are not parameters). The light net is a Distiller's student
        (mimic's bottleneck gives it layers the pair lacks), else the pair's own."""
        plain = _without_pruning_wrappers(rocket)
        return plain, (_without_pruning_wrappers(model.student) if self.distilling() else plain.light_model())

    def record(self, splits, rocket, light, resuming, train_seconds, epoch_times):
        """What every results.json holds: the run's settings, size and training time."""
        config = self.config
        return {
            "model": config.model,
            "method": self.method.spec,
            "dataset": config.dataset,
            "epochs": config.epochs,
            "seed": config.seed,
            "train_size": splits.train_size,
            "train_seconds": round(train_seconds, 1),
            # Per epoch: its seconds and the machine's load at its end (TrainingClock),
            # and the cores that load is shared by.
            "epoch_times": epoch_times,
            "cpu_count": os.cpu_count(),
            "machine": records.machine(),
            "resumed": resuming,
            "command": self.command,
            # Every option and method parameter, so a run's recipe is on
            # record even when it came from a flagfile.
            "flags": config.as_flags(),
            "light_parameters": light.count_params(),
            "booster_parameters": rocket.booster_model().count_params(),
            # The (mean, std) per channel of the normalisation layer inside the model, if any.
            "input_normalization": [list(v) for v in self.input_normalization] if self.input_normalization else None,
        }

    def export_and_measure(self, model, splits, record):
        """Exports ``model``'s light net (a rocket pair, or a light net itself) to TFLite and measures the files."""
        config = self.config
        if not backends.is_tensorflow():
            # TFLite conversion needs TensorFlow: the saved model goes through a TensorFlow process.
            program = ("import json, sys; from rocket_keras.training.run import export_saved_model; "
                       "print(json.dumps(export_saved_model(*sys.argv[1:])))")
            arguments = [self.model_path, config.output_dir, config.dataset,
                         config.data_dir or ""]
            result = subprocess.run([sys.executable, "-c", program, *arguments], check=True, capture_output=True,
                                    text=True, env=dict(os.environ, KERAS_BACKEND="tensorflow"))
            record.update(json.loads(result.stdout.strip().splitlines()[-1]))
            return
        record.update(export_tflite(model, splits, config.output_dir, sparse_too=self.pruning_requested()))


def export_tflite(model, splits, output_dir, sparse_too=False):
    """Exports ``model``'s light net to float32 and int8 TFLite files; ``{"tflite_<kind>": measurements}``.

    Each file is measured through the LiteRT interpreter on the whole test
    split, with its batch-1 latency. ``sparse_too``: also an int8 file
    through the converter's sparsity optimisation (for a pruned net).
    """
    from rocket_keras.export import export_light, exported_accuracy, median_latency_ms

    one_image = next(iter(splits.test))[0][:1].numpy()
    measured = {}
    for quantization, sparse in ((None, False), ("int8", False)) + ((("int8", True),) if sparse_too else ()):
        name = (quantization or "float32") + ("_sparse" if sparse else "")
        path = os.path.join(output_dir, f"light_{name}.tflite")
        report = export_light(model, path, quantization=quantization, representative_data=splits.train,
                              sparsity=sparse)
        print(report, "\n", file=sys.stderr)
        measured[f"tflite_{name}"] = {
            "path": path,
            "size_bytes": report.size_bytes,
            "gzip_size_bytes": report.gzip_size_bytes,
            "latency_ms_batch1": median_latency_ms(path, one_image),
            "kernels": report.kernels,
            "test_accuracy": exported_accuracy(path, splits.test),
        }
    return measured


def export_saved_model(model_path, output_dir, dataset, data_dir=""):
    """``export_tflite`` of a saved ``.keras`` file, in this (TensorFlow) process: a JAX run's export."""
    import rocket_keras  # noqa: F401  (registers RocketModel for load_model)
    from rocket_keras import data
    from rocket_keras.export import load_model_file

    splits = data.load(dataset, batch_size=128, data_dir=data_dir or None)
    return export_tflite(load_model_file(model_path), splits, output_dir)


def _without_pruning_wrappers(rocket):
    """The pair with its pruned layers stripped (zeros baked in); the pair itself when nothing is pruned."""
    from rocket_keras import pruning

    return pruning.strip_pruning(rocket) if pruning.is_pruned(rocket) else rocket
