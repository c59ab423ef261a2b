"""Training methods, in one vocabulary: what each builds, compiles and trains.

A method is a name and parameters, written as a spec string that works on
the command line and as a directory name:

| spec | what trains |
| --- | --- |
| ``light`` / ``booster`` | one net of the pair alone, cross-entropy |
| ``kd`` | Hinton KD from a trained booster (``teacher``) into the light net; ``alpha=0.9``: the Rocket Launching authors' weighting |
| ``mimic`` | L2 regression of a trained booster's logits (Ba & Caruana) |
| ``rocket`` | both nets together with the hint (the paper's method) |
| ``dml`` | Deep Mutual Learning (Zhang et al., CVPR 2018): both nets together, no shared layers, each on its labels plus the KL to the other's softmax |

Parameters follow a colon, comma-separated:
``rocket:hint_weight=0.01``, ``rocket:gradient_block=False``,
``rocket:share=stem``, ``rocket:teacher_alpha=0.9`` (rocket + KD from a
frozen booster trained alone), ``mimic:learning_rate=0.03``. Their names
are ``examples/train.py``'s flag names, and a parameter in the spec wins
over the flag. ``Method.slug`` (``rocket_hint_weight=0.01``) names a run's
directory.

Example:

```python
from rocket_keras import methods
from rocket_keras.zoo import get_model

method = methods.parse("rocket:hint_weight=0.01")
model, rocket = methods.build(method, lambda **kw: get_model("resnet20-resnet8", **kw),
                              optimizer=methods.Recipe(epochs=15).optimizer(352))
```
"""

import ast
import dataclasses

import keras

from rocket_keras import baselines, losses
from rocket_keras.optimizers import recipe_optimizer

@dataclasses.dataclass(frozen=True)
class Parameter:
    """A method parameter: its default, its kind, what it does; declared once for the spec and the flags."""

    default: object
    help: str
    kind: type = float
    choices: tuple = ()


SHARING_LAYOUTS = ("bottom", "interval", "stem", "none")
# Every method parameter, declared once: ``parse`` checks specs against it and
# ``define_flags`` makes examples/train.py's flags from it.
DECLARED = {
    "hint": Parameter(losses.HINT, "rocket: the hint loss.", str, tuple(losses.HINTS)),
    "hint_weight": Parameter(losses.HINT_WEIGHT, "rocket: weight lambda of the hint loss."),
    "temperature": Parameter(losses.TEMPERATURE, "Temperature of the 'kd' hint, the rocket KD terms and the kd "
                             "baseline."),
    "gradient_block": Parameter(True, "rocket: stop the hint's gradient into the booster.", bool),
    "kd_weight": Parameter(0.0, "rocket: weight of an extra KD term from the co-trained booster beside the hint; "
                           "0 = none (the authors' rocket + KD: --teacher with rocket:teacher_alpha=0.9)."),
    "teacher_alpha": Parameter(None, "rocket: add KD from a frozen --teacher (a booster trained alone) with the "
                               "authors' soft term at this alpha (their rocket + KD: 0.9)."),
    "share": Parameter(None, "rocket: override the pair's sharing layout.", str, SHARING_LAYOUTS),
    "shared_gradient_scale": Parameter(1.0, "rocket: factor on the gradient the light net's losses send into the "
                                       "layers it shares with the booster (1: the paper; 0: none, not under "
                                       "interval sharing)."),
    "alpha": Parameter(None, "kd: the Rocket Launching authors' weighting, hard-label weight 1 - alpha and soft "
                       "weight 2 * alpha / classes * T^2 on the KL (replaces student_loss_weight; their commands: "
                       "0.9)."),
    "student_loss_weight": Parameter(0.5, "kd: weight of the hard-label loss (1 - it: the soft loss)."),
    "bottleneck_rank": Parameter(None, "mimic: a linear bottleneck of this rank before the logits.", int),
    "mutual_weight": Parameter(1.0, "dml: weight of each net's KL to the other's softened softmax (Zhang et al.: 1)."),
    "mutual_temperature": Parameter(1.0, "dml: temperature of the mutual KL terms, T^2-scaled (Zhang et al.: 1)."),
}
ROCKET_PARAMETERS = {name: DECLARED[name].default for name in (
    "hint", "hint_weight", "temperature", "gradient_block", "kd_weight", "teacher_alpha", "share",
    "shared_gradient_scale")}
KD_PARAMETERS = {name: DECLARED[name].default for name in ("temperature", "alpha", "student_loss_weight")}
# Recipe values a method may change for itself (e.g. mimic at a lower rate,
# rocket under the paper's coupled L2: rocket:l2=0.0005,weight_decay=0); the
# recipe's own flags declare them.
RECIPE_PARAMETERS = {"learning_rate": None, "l2": None, "weight_decay": None}
# Each method's parameters and their defaults.
PARAMETERS = {
    "light": {},
    "booster": {},
    "kd": KD_PARAMETERS,
    "mimic": {"bottleneck_rank": None},
    "rocket": ROCKET_PARAMETERS,
    "dml": {"mutual_weight": DECLARED["mutual_weight"].default,
            "mutual_temperature": DECLARED["mutual_temperature"].default},
}
NAMES = tuple(PARAMETERS)


@dataclasses.dataclass(frozen=True)
class Method:
    """A method name and the parameters given in its spec (defaults left out).

    Usually made by ``parse``; ``params`` is a sorted tuple of
    ``(key, value)`` pairs.

    Example:

    ```python
    method = Method("rocket", (("hint_weight", 0.01),))
    method.spec, method.slug  # "rocket:hint_weight=0.01", "rocket_hint_weight=0.01"
    method.heads  # ("light", "booster")
    ```
    """

    name: str
    params: tuple = ()

    @property
    def spec(self):
        """``"rocket:hint_weight=0.01"``: the canonical spec, parameters sorted."""
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in self.params)

    @property
    def slug(self):
        """``"rocket_hint_weight=0.01,share=none"``: the spec as a directory name (``_`` for ``:``)."""
        return self.spec.replace(":", "_", 1)

    def get(self, key, default=None):
        """The spec's value of ``key``, else ``default``."""
        return dict(self.params).get(key, default)

    @property
    def needs_teacher(self):
        """kd and mimic distil a trained booster; rocket with ``teacher_alpha`` adds KD from one."""
        return self.name in ("kd", "mimic") or self.get("teacher_alpha") is not None

    @property
    def heads(self):
        """The heads this method trains."""
        return {"rocket": ("light", "booster"), "dml": ("light", "booster"),
                "booster": ("booster",)}.get(self.name, ("light",))


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a bare word such as share=stem


def parse(spec):
    """A ``Method`` from ``"name"`` or ``"name:key=value,key=value"``.

    Raises:
        ValueError: for an unknown method or parameter, naming what is valid.

    Example:

    ```python
    method = parse("rocket:hint_weight=0.01,share=stem")
    method.get("hint_weight"), method.get("share")  # 0.01, "stem"
    parse("kd:alpha=0.9").needs_teacher  # True
    ```
    """
    if isinstance(spec, Method):
        return spec
    name, _, rest = str(spec).partition(":")
    if name not in PARAMETERS:
        raise ValueError(f"Unknown method {name!r}. Valid methods: {NAMES}. Received: spec={spec!r}")
    allowed = {**PARAMETERS[name], **RECIPE_PARAMETERS}
    params = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in allowed:
            raise ValueError(
                f"Method {name!r} takes parameters {sorted(allowed)} as key=value. Received: spec={spec!r}"
            )
        if key in params:
            raise ValueError(f"Parameter {key!r} is given twice. Received: spec={spec!r}")
        params[key] = _check_type(key, _value(value), allowed[key], spec)
    return Method(name, tuple(sorted(params.items())))


def _check_type(key, value, default, spec):
    """``value``, if it is of the parameter's kind: a flag, a word or a number."""
    kind = DECLARED[key].kind if key in DECLARED else float
    if kind is bool:
        what, ok = "True or False", isinstance(value, bool)
    elif kind is str:
        choices = DECLARED[key].choices
        what = f"one of {choices}" if choices else "a word"
        ok = isinstance(value, str) and (not choices or value in choices)
    else:
        what, ok = "a number", isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ValueError(f"Parameter {key!r} must be {what}. Received: {key}={value!r} in spec={spec!r}")
    return value


def define_flags(flag_values=None):
    """Defines one absl flag per declared method parameter (``DECLARED``), with its default and help.

    A command line calls it once; ``--method=rocket:hint_weight=0.01`` then
    wins over ``--hint_weight``. Returns the names defined.

    Example:

    ```python
    from absl import flags
    methods.define_flags()  # --hint, --hint_weight, --temperature, ...
    ```
    """
    from absl import flags

    flag_values = flags.FLAGS if flag_values is None else flag_values
    for name, parameter in DECLARED.items():
        if parameter.choices:
            flags.DEFINE_enum(name, parameter.default, list(parameter.choices), parameter.help, flag_values=flag_values)
        elif parameter.kind is bool:
            flags.DEFINE_bool(name, parameter.default, parameter.help, flag_values=flag_values)
        elif parameter.kind is int:
            flags.DEFINE_integer(name, parameter.default, parameter.help, flag_values=flag_values)
        else:
            flags.DEFINE_float(name, parameter.default, parameter.help, flag_values=flag_values)
    return tuple(DECLARED)


def from_slug(slug):
    """The ``Method`` whose ``slug`` (a run directory's name) is ``slug``.

    Example:

    ```python
    method = from_slug("rocket_hint_weight=0.01")
    method == parse("rocket:hint_weight=0.01")  # True
    ```
    """
    name, sep, rest = slug.partition("_")
    return parse(f"{name}:{rest}" if sep else name)


@dataclasses.dataclass
class Recipe:
    """The optimizer recipe: SGD with momentum, step decay, and L2 of either kind.

    Defaults are the demo's (0.1 at 50 % and 75 %, decoupled weight decay);
    the Rocket Launching authors' recipe is ``drops_at=(0.3, 0.6, 0.8),
    drop_factor=0.2, weight_decay=0, l2=5e-4, momentum_reset=True``.

    Example:

    ```python
    recipe = Recipe(epochs=15, drops_at=(0.3, 0.6, 0.8), drop_factor=0.2,
                    weight_decay=0, l2=5e-4, momentum_reset=True)
    optimizer = recipe.optimizer(steps_per_epoch=352)
    ```
    """

    epochs: int = 3
    learning_rate: float = 0.1
    momentum: float = 0.9
    drops_at: tuple = (0.5, 0.75)
    drop_factor: float = 0.1
    weight_decay: float = 5e-4
    l2: float = 0.0
    momentum_reset: bool = False
    schedule: str = "step"
    nesterov: bool = False
    ema: float = None
    l2_norm_and_bias: bool = True
    warmup: float = 0.25

    def optimizer(self, steps_per_epoch, method=None):
        """A fresh optimizer for ``epochs * steps_per_epoch`` steps.

        A method may set its own ``learning_rate``, ``l2`` and ``weight_decay``.
        """
        values = {key: getattr(self, key) for key in RECIPE_PARAMETERS}
        if method is not None:
            values.update({key: method.get(key) for key in RECIPE_PARAMETERS if method.get(key) is not None})
        return recipe_optimizer(
            self.epochs * steps_per_epoch,
            learning_rate=values["learning_rate"],
            momentum=self.momentum,
            drops_at=self.drops_at,
            drop_factor=self.drop_factor,
            weight_decay=values["weight_decay"],
            l2=values["l2"],
            reset_momentum=self.momentum_reset,
            schedule=self.schedule,
            nesterov=self.nesterov,
            ema=self.ema,
            l2_norm_and_bias=self.l2_norm_and_bias,
            warmup=self.warmup,
        )


def rocket_settings(method, defaults=None):
    """The rocket parameters of ``method``, over ``defaults`` (e.g. train.py's flags).

    Example:

    ```python
    settings = rocket_settings(parse("rocket:hint_weight=0.01"), defaults={"temperature": 2.0})
    settings["hint_weight"], settings["temperature"]  # 0.01, 2.0
    ```
    """
    settings = {**ROCKET_PARAMETERS, **(defaults or {})}
    settings.update(dict(method.params))
    return settings


def pair_arguments(settings):
    """What a method's settings ask of the pair's builder: ``share`` and ``shared_gradient_scale`` where set.

    Example:

    ```python
    pair_arguments({"share": "stem", "shared_gradient_scale": 1.0})  # {"share": "stem"}
    ```
    """
    arguments = {"share": settings["share"]} if settings.get("share") else {}
    if settings.get("shared_gradient_scale", 1.0) != 1.0:
        arguments["shared_gradient_scale"] = settings["shared_gradient_scale"]
    return arguments


def build(method, make_pair, optimizer, teacher=None, defaults=None, metrics=("accuracy",), label_smoothing=0.0):
    """Builds and compiles ``method``; returns ``(model to fit, rocket pair)``.

    Args:
        method: a ``Method`` or its spec.
        make_pair: ``make_pair(**overrides)`` builds the rocket pair (e.g.
            ``lambda **kw: get_model(name, input_shape=..., **kw)``); called
            with ``share=`` and ``shared_gradient_scale=`` when the method
            sets them.
        optimizer: the optimizer (``Recipe.optimizer``).
        teacher: a trained booster, for methods with ``needs_teacher``.
        defaults: parameter values that the spec does not set (train.py
            passes its flags).
        metrics: metrics of each trained head.
        label_smoothing: of every label cross-entropy (both heads of
            rocket and dml, a net alone, KD's hard term); 0: none.

    The model to fit is the rocket pair itself (``rocket``; ``dml``, built
    with ``share="none"`` and refused if the pair still shares weights), one
    of its nets, or a ``keras.distillation.Distiller`` whose ``student`` is
    the light net.

    Example:

    ```python
    make_pair = lambda **kw: get_model("resnet14-resnet8", input_shape=(28, 28, 1), **kw)
    model, pair = build("rocket:share=stem", make_pair, optimizer=Recipe().optimizer(100))
    model.fit(splits.train, epochs=3)
    ```
    """
    method = parse(method)
    settings = rocket_settings(method, defaults) if method.name == "rocket" else {
        **PARAMETERS[method.name], **(defaults or {}), **dict(method.params)}
    if method.needs_teacher and teacher is None:
        raise ValueError(f"Method {method.spec!r} needs a trained booster as `teacher`. Received: teacher=None")
    metrics = list(metrics)
    if method.name == "dml":
        pair = mutual_learning(make_pair(share="none"), optimizer, settings["mutual_weight"],
                               settings["mutual_temperature"], metrics, label_smoothing)
        return pair, pair
    pair = make_pair(**pair_arguments(settings))
    if method.name == "rocket":
        alpha = settings["teacher_alpha"]
        pair.compile(
            optimizer=optimizer,
            metrics=metrics,
            hint=settings["hint"],
            hint_weight=settings["hint_weight"],
            temperature=settings["temperature"],
            gradient_block=settings["gradient_block"],
            kd_weight=settings["kd_weight"],
            teacher=teacher if alpha is not None else None,
            teacher_kd_weight=losses.authors_kd_weight(alpha, pair.num_classes) if alpha is not None else 0.0,
            label_smoothing=label_smoothing,
        )
        return pair, pair
    if method.name == "kd":
        if settings.get("alpha") is None:
            weights = {"student_loss_weight": settings["student_loss_weight"]}
        else:  # the authors' weighting; Keras' Distiller scales the soft term by 1 - student_loss_weight
            hard, soft = losses.authors_kd_split(settings["alpha"], pair.num_classes)
            weights = {"student_loss_weight": hard,
                       "distillation_loss_weight": soft / (1.0 - hard) if hard < 1.0 else 0.0}
        model = baselines.knowledge_distillation(
            teacher, pair.light_model(), settings["temperature"], optimizer=optimizer, metrics=metrics,
            label_smoothing=label_smoothing, **weights
        )
    elif method.name == "mimic":
        model = baselines.mimic(teacher, pair.light_model(), settings.get("bottleneck_rank"), optimizer, metrics)
    else:
        net = pair.light_model() if method.name == "light" else pair.booster_model()
        return baselines.single_net(net, optimizer, metrics, label_smoothing), pair
    # A Distiller builds on its first call; callbacks such as BackupAndRestore need it built.
    model(keras.ops.zeros((1,) + tuple(pair.light_model().input.shape[1:])))
    return model, pair


def mutual_learning(pair, optimizer="sgd", mutual_weight=1.0, temperature=1.0, metrics=("accuracy",),
                    label_smoothing=0.0):
    """Compiles ``pair`` for Deep Mutual Learning (Zhang et al., CVPR 2018); returns it.

    Both nets train in one ``fit``, each on its labels plus ``mutual_weight``
    times the T^2-scaled KL divergence to the other's softened softmax,
    which is a constant inside it: the light net's term sends no gradient
    into the booster, nor the booster's into the light net. In RocketModel's
    terms: no hint, ``kd_weight = mutual_weight``, the booster's
    ``mutual_weight`` the same, at ``temperature`` (the paper's: 1 and 1).
    The light net ships and exports as after rocket training. Any pair
    whose nets share no weights works: a zoo pair built with
    ``share="none"`` (as the ``dml`` method does) or ``from_networks``
    without a trunk.

    Raises:
        ValueError: when the pair's nets share weights.

    Example:

    ```python
    pair = mutual_learning(rocket_keras.from_networks(booster, light), optimizer="sgd")
    pair.fit(train, epochs=15)
    pair.light_model()  # ships alone
    ```
    """
    light = {id(w) for w in pair.light_model().weights}
    shared = [w.path for w in pair.booster_model().weights if id(w) in light]
    if shared:
        raise ValueError("Deep Mutual Learning trains two separate nets, but this pair's nets share "
                         f"{len(shared)} weights (for example {shared[0]!r}). Build the pair without shared "
                         "layers (from_networks without a trunk, or a zoo pair with share='none'). "
                         f"Received: a pair sharing {len(shared)} weights")
    pair.compile(optimizer=optimizer, metrics=list(metrics), hint_weight=0.0, kd_weight=mutual_weight,
                 mutual_weight=mutual_weight, temperature=temperature, gradient_block=True,
                 label_smoothing=label_smoothing)
    return pair
