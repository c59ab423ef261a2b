"""A run's record: ``results.json``, its schema, its writer and reader, and the clock that times the run.

One schema, versioned (``SCHEMA_VERSION``). Every run writes:

| field | what |
| --- | --- |
| ``schema`` | this schema's version |
| ``model``, ``method``, ``dataset``, ``epochs``, ``seed`` | what ran (``method``: a spec of ``rocket_keras.methods``) |
| ``train_size`` | training images used |
| ``train_seconds`` | wall-clock training time, over resumes |
| ``epoch_times`` | per epoch: ``seconds`` and ``load_average`` (1-minute, at its end); runs since 2026-12-04 also ``steps``, ``median_step_seconds`` and ``validation_seconds`` |
| ``cpu_count`` | the cores that load is shared by |
| ``machine`` | where it ran (``machine()``: CPU model and vector extensions, backend and library versions, the package's git commit), taken at the run's end (a resumed run's is its last part's); runs since 2026-12-07 |
| ``resumed`` | whether the run continued from a backup |
| ``command`` | the ``examples/train.py`` command that reruns it |
| ``flags`` | every option and method parameter (``Config.as_flags``) |
| ``light_parameters``, ``booster_parameters`` | sizes |
| ``<head>_test_accuracy`` | per trained head (absent after a divergence) |
| ``<head>_validation_accuracy`` | the final net on the validation split, what settings are chosen on (runs since 2026-12-05; with ``--ema`` the history's ``val_accuracy`` is the raw weights', this the average's) |
| ``light_weights`` | ``{"path", "sha256", "size_bytes"}`` of the saved light net |
| ``booster_weights`` | the same for a booster trained alone (``booster.keras``, a teacher; runs since 2026-12-05) |
| ``tflite_<kind>`` | exported files: path, size, test accuracy, latency |
| ``training_error`` / ``export_error`` | what went wrong, when it did |
| ``teacher_train_seconds`` | a two-stage method's teacher time |

``read_results`` reads every committed file, older ones included (schema 1:
no ``schema`` field; the oldest lack ``flags``, ``resumed``, ``epoch_times``
and ``cpu_count``, which it fills with ``{}``, ``False``, ``[]`` and
``None``: not recorded; ``machine`` is ``None`` before 2026-12-07) and returns
them in the current shape.

Example:

```python
record = read_results("results/cifar10/resnet20-resnet8/rocket-seed0/results.json")
record["light_test_accuracy"], record["schema"]  # 0.7876, 2
```
"""

import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import time

SCHEMA_VERSION = 2
RESULTS_FILE = "results.json"
# Fields every record has, in the current schema (older files get them on reading).
REQUIRED = ("model", "method", "dataset", "epochs", "seed", "train_seconds", "command", "flags")


def teacher_file(run_dir):
    """The file a two-stage method distils from in a booster-alone run's directory, or None.

    ``booster.keras`` (kept beside the record since 2026-12-05, so a teacher
    outlives the machine that trained it), else the run's ``model.keras``
    (which git does not keep), else None: the booster must be trained again.
    """
    for name in ("booster.keras", "model.keras"):
        if os.path.exists(os.path.join(run_dir, name)):
            return os.path.join(run_dir, name)
    return None


def write_results(output_dir, record):
    """Writes ``record`` (with the schema's version) to ``<output_dir>/results.json``; returns the path."""
    missing = [name for name in REQUIRED if name not in record]
    if missing:
        raise ValueError(f"A results record needs {list(REQUIRED)}. Received: a record without {missing}")
    path = os.path.join(output_dir, RESULTS_FILE)
    with open(path, "w") as f:
        json.dump({"schema": SCHEMA_VERSION, **record}, f, indent=2)
    return path


def write_measurement(output_dir, name, measurement):
    """Writes ``measurement`` with the ``machine()`` it was taken on to ``<output_dir>/<name>``; returns the path.

    What the bench scripts write: a time or a last digit means something only
    beside the machine that gave it. ``output_dir`` is made if missing.

    Example:

    ```python
    path = write_measurement("runs/bench", "input_checks.json", {"median_ms": 0.16})
    ```
    """
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, name)
    with open(path, "w") as f:
        json.dump({"machine": machine(), **measurement}, f, indent=2)
    return path


def read_results(path):
    """A ``results.json`` (or the run directory holding it) in the current schema.

    Raises:
        ValueError: for a file of a newer schema than this package reads.
    """
    if os.path.isdir(path):
        path = os.path.join(path, RESULTS_FILE)
    with open(path) as f:
        record = json.load(f)
    version = record.get("schema", 1)
    if version > SCHEMA_VERSION:
        raise ValueError(f"{path} has results schema {version}; this rocket_keras reads up to {SCHEMA_VERSION}. "
                         f"Received: schema={version}")
    record.setdefault("flags", {})
    record.setdefault("epoch_times", [])
    record.setdefault("cpu_count", None)
    record.setdefault("machine", None)
    record.setdefault("resumed", False)
    record["schema"] = SCHEMA_VERSION
    return record


# The vector extensions that decide which kernels a CPU runs (and so a run's speed and its last digits).
VECTOR_EXTENSIONS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "asimd", "sve")


def _cpu():
    """``(model name, vector extensions)`` from ``/proc/cpuinfo``; ``platform.processor()`` and ``[]`` elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return platform.processor() or None, []
    # The last processor's fields (all are alike).
    fields = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in lines if ":" in line)}
    name = fields.get("model name") or fields.get("Hardware") or platform.processor() or None
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    return name, [extension for extension in VECTOR_EXTENSIONS if extension in flags]


def _git_commit(directory):
    """The commit checked out in ``directory``'s git work tree, with ``+changes`` if tracked files differ; or None."""
    def git(*arguments):
        return subprocess.run(["git", "-C", directory, *arguments], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        if os.path.realpath(git("rev-parse", "--show-toplevel")) != os.path.realpath(directory):
            return None  # an installed copy inside some other work tree (a virtual environment in a checkout)
        commit = git("rev-parse", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):  # no git, or not a work tree (an installed package)
        return None
    return commit + ("+changes" if changed else "")


# Environment variables that set how many threads TensorFlow and oneDNN use.
THREAD_SETTINGS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS")


def machine():
    """Where a run ran, for its record: what a time or a last digit depends on.

    Example:

    ```python
    machine()["cpu"]  # "AMD EPYC", with machine()["vector_extensions"] == ["avx2", "fma"]
    machine()["threads"]["TF_NUM_INTRAOP_THREADS"]  # "default" unless set
    ```
    """
    import keras  # the caller has it loaded; kept out of this module's import

    cpu, extensions = _cpu()
    versions = {}
    for library in ("keras", "tensorflow", "tensorflow-cpu", "jax"):
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {
        "cpu": cpu,
        "vector_extensions": extensions,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        # Thread settings change a convolution's summation order, so its last digits (bench/README.md, 4).
        "threads": {name: os.environ.get(name, "default") for name in THREAD_SETTINGS},
        "backend": keras.backend.backend(),
        "versions": versions,
        "git_commit": _git_commit(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    }


class TrainingClock:
    """Wall-clock training time that survives a crash and a resume, with
    what else the machine was doing meanwhile.

    Saved to ``<output_dir>/train_seconds.json`` at every epoch end; a resumed
    run starts from the saved total instead of zero. Each epoch also records
    its seconds and the 1-minute load average at its end (``os.getloadavg``:
    runnable threads, this run's included; a run alone on the machine reads
    about its core count, a job beside it adds to that), so that a time can be
    told clean or shared from the result file instead of from memory.
    Through ``callback()`` it also times each training step and the
    validation, so an epoch's overhead over its steps (input pipeline,
    validation, callbacks) reads from the record: ``epoch_overhead``.

    Example:

    ```python
    clock = TrainingClock("runs/demo", resuming=False)
    model.fit(..., callbacks=[clock.callback()])
    seconds = clock.finish()
    ```
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
        self._steps = []
        self._step_start = self._validation_start = None
        self._validation_seconds = 0.0

    def callback(self):
        """A Keras callback that times steps, validation and epochs into this clock."""
        import keras

        def begin_step(batch, logs=None):
            self._step_start = time.perf_counter()

        def end_step(batch, logs=None):
            self._steps.append(time.perf_counter() - self._step_start)

        def begin_validation(logs=None):
            self._validation_start = time.perf_counter()

        def end_validation(logs=None):
            self._validation_seconds += time.perf_counter() - self._validation_start

        return keras.callbacks.LambdaCallback(
            on_train_batch_begin=begin_step, on_train_batch_end=end_step, on_test_begin=begin_validation,
            on_test_end=end_validation, on_epoch_end=lambda epoch, logs=None: self.end_epoch())

    def total(self):
        return self.before + time.time() - self.start

    def end_epoch(self):
        now = time.time()
        epoch = {"seconds": round(now - self.epoch_start, 1), "load_average": round(os.getloadavg()[0], 2)}
        if self._steps:
            epoch.update(steps=len(self._steps), median_step_seconds=round(statistics.median(self._steps), 5),
                         validation_seconds=round(self._validation_seconds, 1))
        self.epochs.append(epoch)
        self.epoch_start = now
        self._steps, self._validation_seconds = [], 0.0
        with open(self.path, "w") as f:
            json.dump({"train_seconds": self.total(), "epochs": self.epochs}, f)

    def finish(self):
        """The total; the saved file goes, like BackupAndRestore's backup."""
        if os.path.exists(self.path):
            os.remove(self.path)
        return self.total()


def epoch_overhead(epoch):
    """An epoch's wall-clock over its steps at their median time (1.0: no overhead); None where not recorded.

    The ratio counts the input pipeline's stalls, validation and callbacks;
    the median keeps a few slow steps (the first, a neighbour's burst) out
    of the step time.

    Example:

    ```python
    epoch_overhead({"seconds": 110.0, "steps": 352, "median_step_seconds": 0.3})  # 1.04
    ```
    """
    if not epoch.get("steps"):
        return None
    return epoch["seconds"] / (epoch["steps"] * epoch["median_step_seconds"])
