"""What one training run is: a ``Config``, from Python, from command-line flags or from a recipe flagfile.

Every option of ``examples/train.py`` is a field here, declared once with its
help: ``define_flags`` makes the command line's flags from the fields (and
the methods' parameters from ``rocket_keras.methods.DECLARED``), and
``Config.from_flagfile`` reads the committed recipes (absl flagfiles, nested
``--flagfile=`` lines included) with absl's own parser.

Example:

```python
from rocket_keras import training

config = training.Config.from_flagfile("recipes/resnet20-resnet8/cifar10_paper.txt",
                                       method="rocket", seed=1, output_dir="runs/rocket-seed1")
config.epochs, config.method_parameters["hint_weight"]  # 15, 0.03
```
"""

import dataclasses
import typing

from rocket_keras import methods


def _field(default, help, choices=(), kind=None):
    return dataclasses.field(default=default, metadata={"help": help, "choices": tuple(choices), "kind": kind})


def _list(default, help, kind="list"):
    return dataclasses.field(default_factory=lambda: list(default), metadata={"help": help, "choices": (), "kind": kind})


@dataclasses.dataclass
class Config:
    """One training run's settings; the field names are ``examples/train.py``'s flags."""

    model: str = _field("resnet14-resnet8", "Registered model name (see rocket_keras.zoo.list_models()).")
    light_net: typing.Optional[str] = _field(
        None, "Replace the pair's light net: an architecture (e.g. resnet8) or the JSON of an architecture "
        "search's child (examples/search.py writes best_child.json). The booster stays the pair's; sharing is "
        "--share, default 'none'.", kind=str)
    prune_sparsity: typing.Optional[float] = _field(
        None, "Prune the light net's kernels by magnitude to this sparsity during training (rocket_keras.pruning, "
        "PolynomialDecay from 0; with rocket the booster's own layers stay dense).", kind=float)
    prune_targets: typing.Optional[str] = _field(
        None, "Per-layer sparsities instead of one --prune_sparsity: the JSON of examples/prune_sensitivity.py "
        "(its \"targets\": {layer name: sparsity}).", kind=str)
    prune_end: float = _field(0.7, "Fraction of training at which --prune_sparsity is reached (then held).")
    prune_frequency: int = _field(20, "Training steps between mask updates.")
    init_from: typing.Optional[str] = _field(
        None, "Start from the weights of a model.keras of the same pair: a rocket run's pair, or the one net of a "
        "light, booster, kd or mimic run (loaded into that net), e.g. to prune a trained model: "
        "--init_from=<run>/model.keras --prune_sparsity=0.75 --epochs=1.", kind=str)
    override: list = _list([], "Builder argument of the model, as key=value (e.g. light_depth=14); repeatable.",
                           kind="multi")
    method: str = _field("rocket", "A method spec (rocket_keras.methods): light, booster, kd, mimic, rocket or dml, with "
                         "parameters after a colon that win over the flags of the same name, e.g. "
                         "rocket:hint_weight=0.01,share=stem.")
    teacher: typing.Optional[str] = _field(None, "kd/mimic: .keras file of a trained booster (from --method=booster).",
                                           kind=str)
    dataset: str = _field("fashion_mnist", "fashion_mnist, cifar10, synthetic, any tensorflow-datasets name with "
                          "train and test splits (cifar100, svhn_cropped, ...), or a directory of images in one "
                          "subfolder per class (with train/ and test/ subfolders, or a seeded tenth held out as the "
                          "test set).")
    data_dir: typing.Optional[str] = _field(None, "cifar10: directory of train/test TFRecords; others: tfds data_dir.",
                                            kind=str)
    train_size: typing.Optional[int] = _field(None, "Use only this many training examples (quick runs).", kind=int)
    validation_size: int = _field(5000, "Training examples held out for validation.")
    image_size: list = _list([], "A directory of images: resize every image to height,width (e.g. 96,96); "
                             "default: the first image's size.")
    augment: typing.Optional[bool] = _field(None, "Pad-crop(-flip) augmentation; default: the dataset's usual choice.",
                                            kind=bool)
    padding: str = _field("zeros", "Border of the pad-crop augmentation (the authors: reflect).", ("zeros", "reflect"))
    pad: int = _field(4, "Pixels of padding before the random crop: the largest shift of the pad-crop augmentation "
                      "(the paper: 4; airbench's fast recipes: 2).")
    batch_augment: bool = _field(False, "Pad-crop-flip each training batch at once (data.augment_batch: a few "
                                 "vectorised ops a batch) instead of each image in the input pipeline.")
    cutout: int = _field(0, "Cutout: a square of this many pixels a side set to 0 in each training image "
                         "(needs --batch_augment); 0: none.")
    normalize_input: bool = _field(False, "Per-channel normalisation as a layer inside the model (exported nets "
                                   "still take [0, 1]): CIFAR-10's published statistics for cifar10, else the "
                                   "training split's, computed in one pass.")
    epochs: int = _field(3, "Training epochs.")
    batch_size: int = _field(128, "Global batch size.")
    learning_rate: float = _field(0.1, "Initial SGD learning rate.")
    momentum: float = _field(0.9, "SGD momentum.")
    weight_decay: float = _field(5e-4, "Decoupled weight decay of keras.optimizers.SGD (kernels only; not BN or "
                                 "biases); not the same as an L2 loss of that value.")
    l2: float = _field(0.0, "Coupled L2 on every variable (PyTorch's SGD weight_decay; the authors: 5e-4 with "
                       "--weight_decay=0).")
    l2_norm_and_bias: bool = _field(True, "Whether --l2 also penalises BatchNorm's scales and shifts and the biases "
                                    "(the authors: yes); --nol2_norm_and_bias: the kernels only.")
    lr_decay_at: list = _list(["0.5", "0.75"], "Fractions of training where the learning rate drops.")
    lr_decay_factor: float = _field(0.1, "Learning-rate multiplier at each drop.")
    momentum_reset: bool = _field(False, "Zero the SGD momentum at each drop (the authors make a new optimizer).")
    lr_schedule: str = _field("step", "step: the rate drops at --lr_decay_at; one_cycle: up linearly to "
                              "--learning_rate over the first --lr_warmup of training, then down linearly to 0.",
                              ("step", "one_cycle"))
    lr_warmup: float = _field(0.25, "one_cycle: the fraction of training over which the rate rises to "
                              "--learning_rate, in (0, 1).")
    nesterov: bool = _field(False, "Nesterov momentum.")
    ema: typing.Optional[float] = _field(None, "Exponential moving average of the weights with this momentum (e.g. "
                                         "0.999): the averaged weights, their BatchNorm statistics recomputed from 200 training batches, are "
                                         "evaluated, saved and exported.", kind=float)
    label_smoothing: float = _field(0.0, "Label smoothing of every label cross-entropy, every method alike.")
    tta: bool = _field(False, "Also report test accuracy with flip test-time augmentation (the mean of the "
                       "softmax of an image and its mirror), recorded apart as *_test_accuracy_tta.")
    jit_compile: bool = _field(False, "XLA (TensorFlow). Needs --nodeterministic (Keras turns XLA off under op "
                               "determinism); XLA drops the in-step input assertions, so every split is checked once "
                               "before training instead. Pays on accelerators; on this project's CPUs it is no "
                               "faster, and 6x slower on MobileNetV2 (bench/README.md, \"Execution\").")
    mixed_precision: bool = _field(False, "Mixed precision: mixed_float16 on GPU, mixed_bfloat16 on CPU; logits and "
                                   "losses stay float32.")
    seed: int = _field(0, "Random seed (weights, shuffling, validation split).")
    deterministic: bool = _field(True, "TensorFlow op determinism: the same seed gives the same weights.")
    # MultiWorkerMirroredStrategy is left out: Keras 3's fit fails under it
    # (keras-team/keras#20585; reproduced here with Keras 3.15 / TF 2.21).
    strategy: str = _field("none", "tf.distribute strategy (TensorFlow backend).", ("none", "mirrored"))
    distribution: str = _field("none", "JAX backend: keras.distribution.DataParallel over every device of every "
                               "process (see README, 'Scaling out').", ("none", "data_parallel"))
    coordinator_address: typing.Optional[str] = _field(
        None, "Several processes (JAX): host:port of process 0; or KERAS_DISTRIB_JOB_ADDRESSES.", kind=str)
    num_processes: typing.Optional[int] = _field(None, "Several processes (JAX): how many; or "
                                                 "KERAS_DISTRIB_NUM_PROCESSES.", kind=int)
    process_id: typing.Optional[int] = _field(None, "Several processes (JAX): this one's id, 0 first; or "
                                              "KERAS_DISTRIB_PROCESS_ID.", kind=int)
    output_dir: str = _field("runs/latest", "Where the model, logs and exports go.")
    resume: bool = _field(True, "Continue from the backup in --output_dir when there is one.")
    export: bool = _field(True, "Export the light net to TFLite (float32 and int8) and measure it.")
    verbose: int = _field(1, "Keras verbosity: 1 progress bar, 2 one line per epoch.")
    # The methods' parameters (hint, hint_weight, temperature, share, alpha, ...), declared
    # in rocket_keras.methods; a parameter in ``method``'s spec wins over these.
    method_parameters: dict = dataclasses.field(
        default_factory=lambda: {name: p.default for name, p in methods.DECLARED.items()})

    def __post_init__(self):
        unknown = set(self.method_parameters) - set(methods.DECLARED)
        if unknown:
            raise ValueError(f"Unknown method parameters {sorted(unknown)}; valid: {sorted(methods.DECLARED)}. "
                             f"Received: method_parameters={self.method_parameters!r}")
        self.method_parameters = {**{n: p.default for n, p in methods.DECLARED.items()}, **self.method_parameters}

    @classmethod
    def from_flags(cls, flag_values):
        """The config that parsed absl flags (``define_flags``'s) describe."""
        values = {f.name: flag_values[f.name].value for f in _option_fields()}
        parameters = {name: flag_values[name].value for name in methods.DECLARED}
        return cls(**values, method_parameters=parameters)

    @classmethod
    def from_flagfile(cls, path, **overrides):
        """A recipe flagfile read as ``train.py --flagfile=path`` would, then ``overrides`` (fields or method parameters).

        Example:

        ```python
        config = Config.from_flagfile("recipes/resnet20-resnet8/cifar10_paper.txt", seed=2, hint_weight=0.01)
        ```
        """
        return cls.from_args([f"--flagfile={path}"], **overrides)

    @classmethod
    def from_args(cls, args, **overrides):
        """A config from command-line arguments (``["--epochs=3", ...]``), then ``overrides``."""
        from absl import flags

        flag_values = flags.FlagValues()
        define_flags(flag_values)
        flag_values(["train.py", *args])
        config = cls.from_flags(flag_values)
        return config.replace(**overrides)

    def replace(self, **changes):
        """A copy with some fields or method parameters changed."""
        parameters = {k: changes.pop(k) for k in list(changes) if k in methods.DECLARED}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"Unknown training options {sorted(unknown)}. Received: {sorted(unknown)}")
        return dataclasses.replace(self, **changes, method_parameters={**self.method_parameters, **parameters})

    def as_flags(self):
        """Every option and method parameter by flag name: what a run's ``results.json`` records as ``flags``."""
        values = {f.name: getattr(self, f.name) for f in _option_fields()}
        return {**values, **self.method_parameters}

    def as_args(self):
        """``["--name=value", ...]`` for every option that differs from the default: train.py's command line."""
        default = Config()
        args = []
        for name, value in self.as_flags().items():
            if value == default.as_flags()[name]:
                continue
            if isinstance(value, bool):
                args.append(f"--{name}" if value else f"--no{name}")
            elif isinstance(value, list):
                kind = next((f.metadata["kind"] for f in _option_fields() if f.name == name), None)
                args += [f"--{name}={v}" for v in value] if kind == "multi" else [f"--{name}={','.join(value)}"]
            else:
                args.append(f"--{name}={value}")
        return args


def _option_fields():
    return [f for f in dataclasses.fields(Config) if f.name != "method_parameters"]


def define_flags(flag_values=None):
    """Defines one absl flag per ``Config`` field and per method parameter.

    Example:

    ```python
    from absl import flags
    training.define_flags()  # --model, --epochs, ..., --hint_weight
    config = training.Config.from_flags(flags.FLAGS)  # in main(), once absl parsed the command line
    ```
    """
    from absl import flags

    flag_values = flags.FLAGS if flag_values is None else flag_values
    for f in _option_fields():
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        kind = f.metadata["kind"] or type(default)
        help_text, choices = f.metadata["help"], f.metadata["choices"]
        if choices:
            flags.DEFINE_enum(f.name, default, list(choices), help_text, flag_values=flag_values)
        elif kind == "multi":
            flags.DEFINE_multi_string(f.name, default, help_text, flag_values=flag_values)
        elif kind == "list":
            flags.DEFINE_list(f.name, default, help_text, flag_values=flag_values)
        elif kind is bool:
            flags.DEFINE_bool(f.name, default, help_text, flag_values=flag_values)
        elif kind is int:
            flags.DEFINE_integer(f.name, default, help_text, flag_values=flag_values)
        elif kind is float:
            flags.DEFINE_float(f.name, default, help_text, flag_values=flag_values)
        else:
            flags.DEFINE_string(f.name, default, help_text, flag_values=flag_values)
    methods.define_flags(flag_values)
