"""Export the light net alone, and check the file through its real runtime.

Conversion is the libraries' job: ``keras.Model.export`` writes SavedModel
and ONNX (through tf2onnx) and drives the TFLite converter, whose options
(``optimizations``, ``representative_dataset``, ``target_spec``) select the
quantization. Verification runs the written artifact with LiteRT's
interpreter, ``tf.saved_model.load`` or onnxruntime and compares it with the
Keras light model.
"""

import collections
import dataclasses
import gzip
import numbers
import os
import statistics
import time

import keras
import numpy as np

from rocket_keras import backends
from rocket_keras.rocket_model import RocketModel, softmax_layer

FORMATS = {"tf_saved_model": "tf_saved_model", "litert": "litert", "tflite": "litert", "onnx": "onnx"}
QUANTIZATIONS = (None, "float16", "dynamic", "int8")
_EXTENSIONS = {"litert": ".tflite", "onnx": ".onnx"}
# Examples used to calibrate full-integer quantization.
CALIBRATION_EXAMPLES = 200
VERIFY_EXAMPLES = 64


@dataclasses.dataclass
class ExportReport:
    """What ``export_light`` wrote and how closely it matches Keras.

    ``max_abs_diff`` and ``argmax_agreement`` stay ``None`` when the export
    was not verified. ``str(report)`` is a two-column table.

    Example:

    ```python
    report = export_light(model, "light.tflite")
    report.size_bytes, report.max_abs_diff, report.argmax_agreement
    print(report)
    ```
    """

    path: str
    format: str
    quantization: str
    size_bytes: int
    parameters: int
    gzip_size_bytes: int = None
    kernels: str = None
    max_abs_diff: float = None
    argmax_agreement: float = None
    verified_examples: int = 0
    op_counts: dict = dataclasses.field(default_factory=dict)

    def rows(self):
        def fmt(value, spec):
            return "not verified" if value is None else format(value, spec)

        return [
            ("path", self.path),
            ("format", self.format),
            ("quantization", self.quantization),
            ("size", f"{self.size_bytes:,} bytes ({self.size_bytes / 1024:.1f} KiB)"),
            ("gzip size", "-" if self.gzip_size_bytes is None else f"{self.gzip_size_bytes:,} bytes"),
            ("parameters", f"{self.parameters:,}"),
            ("max |exported - keras|", fmt(self.max_abs_diff, ".3g")),
            ("arg-max agreement", fmt(self.argmax_agreement, ".2%")),
            ("verified on", f"{self.verified_examples} examples" + (f" ({self.kernels} kernels)" if self.kernels else "")),
            ("ops", ", ".join(f"{k} x{v}" for k, v in sorted(self.op_counts.items()))),
        ]

    def __str__(self):
        return format_table(self.rows())


def format_table(rows):
    """Two aligned columns from ``(name, value)`` pairs.

    Example:

    ```python
    print(format_table([("format", "litert"), ("quantization", "int8")]))
    # format        litert
    # quantization  int8
    ```
    """
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _format(name):
    if name not in FORMATS:
        raise ValueError(f"Unknown export format {name!r}. Valid formats: {sorted(FORMATS)}. Received: format={name!r}")
    return FORMATS[name]


def _float32(model):
    """``model`` itself, or a float32 copy when it computes in mixed precision.

    Exports stay float32 unless a quantization mode says otherwise.
    """
    if all(layer.dtype_policy.compute_dtype == "float32" for layer in model._flatten_layers(include_self=False)):
        return model

    def to_float32(config):  # nested models (``from_networks`` pairs) too
        for layer in config.get("layers", []):
            layer["config"]["dtype"] = "float32"
            to_float32(layer["config"])

    config = model.get_config()
    to_float32(config)
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def load_model_file(model):
    """``model`` itself, or the model in a ``.keras`` file, with a clear error for a bad file.

    Raises:
        ValueError: when the path does not exist or is not a readable
            ``.keras`` file.

    Example:

    ```python
    model = load_model_file("runs/rocket/model.keras")
    load_model_file(model) is model  # True: a model passes through
    ```
    """
    if not isinstance(model, (str, os.PathLike)):
        return model
    path = os.fspath(model)
    if not os.path.exists(path):
        raise ValueError(f"No model file at {path!r}. Received: model={path!r}")
    try:
        return keras.models.load_model(path)
    except Exception as error:  # zip, HDF5 and config errors all mean the same to a user
        raise ValueError(
            f"{path!r} exists but is not a readable .keras model file (truncated, corrupt, or "
            f"saved by something else): {type(error).__name__}: {error}. Received: model={path!r}"
        ) from None


def check_no_booster_weights(light, rocket):
    """Raises when ``light`` holds any of ``rocket``'s booster-only weights (by identity).

    Every export of a light net goes through this check: a wiring bug that
    let a booster-only layer into the light graph must never ship.

    Returns:
        ``light``, when it passes.

    Example:

    ```python
    model = get_model("resnet14-resnet8", input_shape=(28, 28, 1))
    light = check_no_booster_weights(model.light_model(), model)
    ```
    """
    booster_only = {id(w): w.path for w in rocket.booster_only_weights}
    leaked = [booster_only[id(w)] for w in light.weights if id(w) in booster_only]
    if leaked:
        raise RuntimeError(f"The light model holds booster-only weights: {leaked}")
    return light


def _as_graph(model):
    """``model`` as a functional graph (a Sequential or subclassed model is wrapped once)."""
    try:
        model.output
        return model
    except (AttributeError, ValueError):
        pass
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        shape = None
    if not shape:
        raise ValueError(
            "Export needs a model whose input shape is known: build it with a keras.Input or call it "
            f"once on a batch. Received: model {model.name!r} with no input shape"
        ) from None
    inputs = keras.Input(shape=tuple(shape[1:]))
    return keras.Model(inputs, model(inputs), name=model.name)


def _light_of(model):
    """The network to ship: a RocketModel's light net (checked), or a plain model as it is."""
    model = load_model_file(model)
    if isinstance(model, RocketModel):
        return check_no_booster_weights(model.light_model(), model)
    if isinstance(model, keras.Model):
        return _as_graph(model)
    raise ValueError(
        "`model` must be a RocketModel, a keras.Model (a light net), or the path of a .keras "
        f"file of either. Received: model of type {type(model).__name__}"
    )


def _with_probabilities(light):
    probabilities = keras.layers.Softmax(name="probabilities", dtype="float32")(light.output)
    return keras.Model(light.input, probabilities, name=light.name)


def _fixed_input_size(model, shape):
    """``model`` on inputs of ``shape`` when its own input size is variable (None)."""
    if None not in model.input.shape[1:]:
        return model
    inputs = keras.Input(shape=tuple(shape), dtype=model.input.dtype, name=model.input.name)
    return keras.Model(inputs, model(inputs), name=model.name)


# How far the variance of the first BatchNorm layer's input may stray from what
# the layer saw in training before the inputs count as being on another scale.
# Pixels in 0-255 fed to a net trained on [0, 1] are ~65,000x off.
INPUT_SCALE_TOLERANCE = 100.0


def _first_batch_norm_input(model, inputs):
    """The BatchNorm layer that ``model`` applies first to ``inputs``, and what it receives.

    One eager forward pass in inference mode with every BatchNorm layer's
    ``call`` wrapped, nested models included (a sub-model from ``model.input``
    cannot reach inside a nested network such as ``from_networks``' pairs, and
    the order of ``model.layers`` is not the order of execution there).

    Returns:
        ``(layer, features)``, or ``(None, None)`` for a model without BatchNorm.
    """
    norms = [layer for layer in model._flatten_layers(include_self=False)
             if isinstance(layer, keras.layers.BatchNormalization)]
    seen = []

    def recording(layer):
        call = layer.call

        def record(x, *args, **kwargs):
            seen.append((layer, keras.ops.convert_to_numpy(x)))
            return call(x, *args, **kwargs)

        return record

    for layer in norms:
        layer.call = recording(layer)
    try:
        if norms:
            model(keras.ops.convert_to_tensor(inputs), training=False)
    finally:
        for layer in norms:
            del layer.call
    return seen[0] if seen else (None, None)


def check_input_scale(model, inputs):
    """Refuses inputs on another scale than the model was trained on.

    The first BatchNorm layer's moving variance records the spread of what
    it saw in training; ``inputs`` that give a spread over
    ``INPUT_SCALE_TOLERANCE`` times larger or smaller (0-255 pixels for a
    net trained on [0, 1], say) would calibrate an int8 file to the wrong
    ranges and verify against equally wrong Keras outputs. Untrained
    models (moving variance still 1) and models without BatchNorm pass.

    Raises:
        ValueError: saying which scale the inputs seem to have.

    Example:

    ```python
    check_input_scale(light, x_train[:64] / 255.0)  # passes: trained on pixels / 255
    check_input_scale(light, x_train[:64])  # ValueError: 0-255 pixels
    ```
    """
    norm, features = _first_batch_norm_input(model, inputs[:64])
    if norm is None:
        return
    trained_var = np.asarray(norm.moving_variance)
    if np.allclose(trained_var, 1.0) and np.allclose(np.asarray(norm.moving_mean), 0.0):
        return  # never trained: nothing to compare with
    axes = tuple(range(len(features.shape) - 1))
    seen_var = np.var(np.asarray(features), axis=axes)
    ratio = float(np.mean(seen_var) / max(float(np.mean(trained_var)), 1e-12))
    if not 1 / INPUT_SCALE_TOLERANCE <= ratio <= INPUT_SCALE_TOLERANCE:
        raise ValueError(
            f"`representative_data` is on another scale than the model's training inputs: its values "
            f"(range {float(inputs.min()):.3g} to {float(inputs.max()):.3g}) give the first BatchNorm layer "
            f"({norm.name}) {ratio:.3g} times the variance it saw in training. Scale them as in training "
            "(rocket_keras' pipelines give pixels / 255, in [0, 1]). "
            f"Received: representative_data with values in [{float(inputs.min()):.3g}, {float(inputs.max()):.3g}]"
        )


def _check_path(filepath, fmt):
    filepath = os.fspath(filepath)
    ext = _EXTENSIONS.get(fmt)
    if ext and not filepath.endswith(ext):
        raise ValueError(f"A {fmt} export must be written to a '{ext}' file. Received: filepath={filepath!r}")
    parent = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise ValueError(
            f"Cannot write to {filepath!r}: its directory {parent!r} does not "
            f"exist or is not writable. Received: filepath={filepath!r}"
        )
    return filepath


def _first_inputs(data, count, rank):
    """Up to ``count`` inputs from an array or tensor, a list of images or of batches, or a dataset of batches.

    ``rank`` is the model input's rank, batch included: an array-like of
    that rank is a batch of inputs; a list whose items have one rank less is
    a list of images; anything else is iterated as batches (``(x, y)``
    pairs or bare ``x``).
    """
    if not hasattr(data, "element_spec") and not isinstance(data, (list, tuple)) and hasattr(data, "__array__"):
        data = np.asarray(data)  # a tf.Tensor, a JAX array
    if isinstance(data, np.ndarray):
        if data.ndim != rank:
            raise ValueError(f"`representative_data` must hold inputs of rank {rank} (batch first). "
                             f"Received: an array of shape {data.shape}")
        return data[:count].astype("float32")
    if isinstance(data, (list, tuple)) and data and all(np.ndim(item) == rank - 1 for item in data):
        return np.stack([np.asarray(item, dtype="float32") for item in data[:count]])
    batches, total = [], 0
    for item in data:
        x = item[0] if isinstance(item, (tuple, list)) else item
        x = np.asarray(x, dtype="float32")
        batches.append(x)
        total += len(x)
        if total >= count:
            break
    if not batches:
        raise ValueError("`representative_data` is empty: calibration needs a few hundred training inputs. "
                         "Received: no batch")
    return np.concatenate(batches)[:count]


def _tflite_options(quantization, calibration, int8_io):
    import tensorflow as tf

    builtins = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization is None:
        return {"target_spec": {"supported_ops": builtins}}
    options = {"optimizations": [tf.lite.Optimize.DEFAULT]}
    if quantization == "float16":
        options["target_spec"] = {"supported_ops": builtins, "supported_types": [tf.float16]}
    elif quantization == "dynamic":
        options["target_spec"] = {"supported_ops": builtins}
    else:  # int8: integer-only kernels; Keras' default also allows TF ops.
        options["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]}
        options["representative_dataset"] = lambda: ([calibration[i : i + 1]] for i in range(len(calibration)))
        if int8_io:
            options["inference_input_type"] = tf.int8
            options["inference_output_type"] = tf.int8
    return options


class _TFLiteRunner:
    """Runs a .tflite file with LiteRT's interpreter (int8 I/O handled)."""

    def __init__(self, path):
        self.path = path
        self._open(default_delegates=True)

    def _open(self, default_delegates):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        resolver = OpResolverType.AUTO if default_delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        self.interpreter = Interpreter(model_path=self.path, experimental_op_resolver_type=resolver)
        # "xnnpack": LiteRT's default CPU delegate; "builtin": its reference
        # kernels, used when XNNPACK refuses the file (sparse kernels do).
        self.kernels = "xnnpack" if default_delegates else "builtin"
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch_shape = None

    def __call__(self, x):
        if x.shape != self.batch_shape:
            self.interpreter.resize_tensor_input(self.input["index"], x.shape)
            try:
                self.interpreter.allocate_tensors()
            except RuntimeError as error:
                if self.kernels != "xnnpack" or "delegate" not in str(error).lower():
                    raise
                self._open(default_delegates=False)
                return self(x)
            self.batch_shape = x.shape
        if self.input["dtype"] == np.int8:
            scale, zero = self.input["quantization"]
            x = np.clip(np.round(x / scale + zero), -128, 127).astype(np.int8)
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self.output["index"])
        if self.output["dtype"] == np.int8:
            scale, zero = self.output["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        return y


def _tflite_op_counts(path):
    """Operators of the converted graph, read without the XNNPACK delegate
    (which would otherwise show as one DELEGATE op)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    plain = Interpreter(
        model_path=path,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    return dict(collections.Counter(op["op_name"] for op in plain._get_ops_details()))


class _SavedModelRunner:
    """Runs a SavedModel's ``serving_default`` signature."""

    def __init__(self, path):
        import tensorflow as tf

        self.serve = tf.saved_model.load(path).signatures["serving_default"]
        _, inputs = self.serve.structured_input_signature
        (self.input_name,) = inputs

    def __call__(self, x):
        (y,) = self.serve(**{self.input_name: x}).values()
        return y.numpy()


class _OnnxRunner:
    """Runs an .onnx file with onnxruntime on the CPU."""

    def __init__(self, path):
        import onnxruntime

        self.session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, x):
        return self.session.run(None, {self.input_name: x})[0]


def _onnx_op_counts(path):
    import onnx

    return dict(collections.Counter(node.op_type for node in onnx.load(path).graph.node))


_RUNNERS = {"litert": _TFLiteRunner, "tf_saved_model": _SavedModelRunner, "onnx": _OnnxRunner}
_OP_COUNTERS = {"litert": _tflite_op_counts, "onnx": _onnx_op_counts}


def load_exported(path, format="litert"):
    """A callable ``f(x) -> outputs`` running an exported file through its runtime.

    ``x`` is a float32 numpy batch; int8 inputs and outputs of a TFLite file
    are quantized and dequantized with the file's own parameters.

    Example:

    ```python
    run = load_exported("light.tflite", format="litert")
    probabilities = run(x_test[:8])  # shape (8, num_classes)
    ```
    """
    runner = _RUNNERS[_format(format)](os.fspath(path))

    def run(x):
        return runner(np.asarray(x, dtype="float32"))

    run.runner = runner  # e.g. run.runner.kernels: which LiteRT kernels ran the file
    return run


def exported_accuracy(path, dataset, format="litert"):
    """Accuracy of an exported file over a dataset of ``(x, y)`` batches.

    Labels are class ids; the prediction is the arg-max of the file's output.

    Example:

    ```python
    report = export_light(model, "light.onnx", format="onnx")
    accuracy = exported_accuracy("light.onnx", splits.test, format="onnx")
    ```
    """
    run = load_exported(path, format)
    correct = total = 0
    for x, y in dataset:
        y = np.asarray(y).reshape(-1)
        correct += int(np.sum(run(x).argmax(-1) == y))
        total += len(y)
    return correct / total


def _size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
    return os.path.getsize(path)


def gzip_size(path):
    """Bytes of the file gzip-compressed at level 9 (``None`` for a directory).

    A TFLite file stores pruned zeros as zeros: only compression (an app
    store's download, a gzipped asset) turns sparsity into fewer bytes.

    Example:

    ```python
    gzip_size("light_int8.tflite")  # smaller than the file, much smaller when pruned
    ```
    """
    if os.path.isdir(path):
        return None
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), compresslevel=9, mtime=0))


def median_latency_ms(path, inputs, format="litert", runs=50, warmup=5):
    """Median wall-clock milliseconds of one call of an exported file on ``inputs``.

    The file runs in its real runtime (LiteRT's interpreter for TFLite);
    ``inputs`` is one batch (batch 1 for a phone's latency).

    Example:

    ```python
    median_latency_ms("light_int8.tflite", x_test[:1])  # milliseconds, on this machine
    ```
    """
    run = load_exported(path, format)
    inputs = np.asarray(inputs, "float32")
    for _ in range(warmup):
        run(inputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(inputs)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def export_light(
    model,
    filepath,
    format="litert",
    quantization=None,
    representative_data=None,
    verify=True,
    probabilities=True,
    int8_io=False,
    calibration_examples=CALIBRATION_EXAMPLES,
    sparsity=False,
):
    """Writes the light net alone as SavedModel, TFLite or ONNX.

    Args:
        model: a ``RocketModel`` (its light net is written, after a check
            that it holds no booster-only weight), any single-input
            ``keras.Model`` of logits (written as it is: a light net from
            ``light_model()``, or a booster for comparison), or the path of
            a ``.keras`` file of either.
        filepath: file (``.tflite``, ``.onnx``) or directory (SavedModel).
        format: ``"tf_saved_model"``, ``"litert"`` (or ``"tflite"``) or ``"onnx"``.
        quantization: TFLite only: ``None`` (float32), ``"float16"``,
            ``"dynamic"`` (int8 weights) or ``"int8"`` (int8 weights and
            activations, calibrated on ``representative_data``).
        representative_data: inputs for calibration and verification: an
            array, or a dataset yielding batches (``x`` or ``(x, y)``).
            Required for ``"int8"``. Only its first ``calibration_examples``
            inputs are read.
        calibration_examples: how many inputs of ``representative_data``
            calibrate ``"int8"`` (default 200; more gives steadier ranges and
            a slower conversion).
        verify: run the file through its runtime and compare with Keras on
            ``representative_data`` (or random inputs when there is none).
        probabilities: append a softmax, so the file outputs probabilities;
            ``False`` keeps the logits.
        int8_io: with ``"int8"``, make the file's input and output int8 too
            (the report dequantizes them for the comparison).
        sparsity: TFLite only: add the converter's experimental sparsity
            optimisation (``tf.lite.Optimize.EXPERIMENTAL_SPARSITY``), which
            may store pruned kernels in a sparse format.

    Returns:
        An ``ExportReport``: path, size, parameters and, with ``verify``, the
        largest absolute difference and arg-max agreement with Keras, and the
        operator counts of the converted graph.

    Example:

    ```python
    report = export_light(model, "light_int8.tflite", quantization="int8",
                          representative_data=x_train[:200])
    print(report)
    ```
    """
    # Checked before `_light_of`, which may load a `.keras` file: bad
    # arguments fail at once.
    filepath = _check_arguments(filepath, format, quantization, representative_data, calibration_examples, int8_io)
    if sparsity and FORMATS[format] != "litert":
        raise ValueError(f"`sparsity` is a TFLite converter option. Received: sparsity=True with format={format!r}")
    light = _light_of(model)
    softmax = softmax_layer(light.outputs[0]) if probabilities else None
    if softmax is not None:
        raise ValueError(
            "The model already ends in a softmax, and probabilities=True would add another. Pass "
            f"probabilities=False to export it as it is. Received: a model whose output comes from {softmax.name!r}"
        )
    return _export(
        light, filepath, FORMATS[format], quantization, representative_data, verify, probabilities,
        int8_io, calibration_examples, sparsity,
    )


def _check_arguments(filepath, format, quantization, representative_data, calibration_examples, int8_io=False):
    """Validates the export arguments; returns ``filepath`` as a string."""
    fmt = _format(format)
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"Unknown quantization {quantization!r}. Valid values: {QUANTIZATIONS}. "
            f"Received: quantization={quantization!r}"
        )
    if fmt == "litert":
        backends.require_tensorflow(
            "LiteRT (TFLite) export",
            "Keras converts through TensorFlow's TFLite converter. Save the model (model.save('m.keras')) and "
            "export it from a TensorFlow process: KERAS_BACKEND=tensorflow python examples/export.py "
            "--model=m.keras --format=litert (SavedModel and ONNX export work on JAX).")
    if int8_io and quantization != "int8":
        raise ValueError(
            f"`int8_io` makes the input and output int8, which needs quantization='int8'. "
            f"Received: int8_io=True, quantization={quantization!r}"
        )
    if quantization is not None and fmt != "litert":
        raise ValueError(
            f"Quantization applies to TFLite only. Received: format={format!r}, quantization={quantization!r}"
        )
    if quantization == "int8" and representative_data is None:
        raise ValueError(
            "Full-integer ('int8') quantization calibrates activation ranges on "
            "`representative_data` (a few hundred training inputs). Received: "
            "representative_data=None"
        )
    if isinstance(calibration_examples, bool) or not isinstance(calibration_examples, numbers.Integral) or (
        calibration_examples < 1
    ):
        raise ValueError(
            f"`calibration_examples` must be a positive integer. Received: calibration_examples={calibration_examples!r}"
        )
    return _check_path(filepath, fmt)


def _export(model, filepath, fmt, quantization, representative_data, verify, probabilities, int8_io,
            calibration_examples, sparsity=False):
    """Converts, writes and (with ``verify``) checks ``model``; arguments already checked."""
    trained = model
    model = _float32(model)
    if probabilities:
        model = _with_probabilities(model)

    calibration = None
    if representative_data is not None:
        calibration = _first_inputs(representative_data, int(calibration_examples), len(model.input.shape))
        model = _fixed_input_size(model, calibration.shape[1:])
        expected = tuple(model.input.shape[1:])
        if tuple(calibration.shape[1:]) != expected:
            raise ValueError(
                f"`representative_data` must hold inputs of shape (batch, {', '.join(map(str, expected))}). "
                f"Received: inputs of shape {calibration.shape}"
            )
        check_input_scale(trained, calibration)
    elif None in model.input.shape[1:]:
        raise ValueError(
            f"The model takes inputs of variable size {tuple(model.input.shape[1:])}; an exported file needs "
            "one size. Pass `representative_data` (a few inputs of the size to ship). "
            "Received: representative_data=None"
        )

    kwargs = _tflite_options(quantization, calibration, int8_io) if fmt == "litert" else {}
    if sparsity:
        import tensorflow as tf

        kwargs["optimizations"] = [*kwargs.get("optimizations", []), tf.lite.Optimize.EXPERIMENTAL_SPARSITY]
    # tf2onnx traces a model that has run at least once.
    model(np.zeros((1,) + tuple(model.input.shape[1:]), dtype="float32"))
    model.export(filepath, format=fmt, verbose=False, **kwargs)

    report = ExportReport(
        path=filepath,
        format=fmt,
        quantization=quantization or "float32",
        size_bytes=_size(filepath),
        parameters=model.count_params(),
        gzip_size_bytes=gzip_size(filepath),
    )
    if verify:
        if calibration is not None:
            x = calibration[:VERIFY_EXAMPLES]
        else:
            rng = np.random.default_rng(0)
            x = rng.random((8,) + tuple(model.input.shape[1:]), dtype=np.float32)
        expected = model.predict(x, verbose=0)
        runner = load_exported(filepath, fmt)
        actual = runner(x)
        report.kernels = getattr(runner.runner, "kernels", None)
        report.op_counts = _OP_COUNTERS.get(fmt, lambda path: {})(filepath)
        report.max_abs_diff = float(np.max(np.abs(actual - expected)))
        report.argmax_agreement = float(np.mean(actual.argmax(-1) == expected.argmax(-1)))
        report.verified_examples = len(x)
    return report
