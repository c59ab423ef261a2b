"""Named rocket configurations: register, get, list (as timm and TF Model Garden do)."""

import dataclasses
import warnings
from typing import Callable, Dict


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """A registered configuration: a builder and the arguments that define it.

    Example:

    ```python
    entry = get_entry("wrn40_1-wrn16_1")
    entry.builder, entry.kwargs["booster_depth"]  # rocket_wide_resnet, 40
    ```
    """

    name: str
    builder: Callable
    kwargs: Dict
    description: str = ""


_REGISTRY: Dict[str, ModelEntry] = {}
# Old names: {old: (new name, builder arguments the old name implied)}.
_DEPRECATED: Dict[str, tuple] = {}


def register_model(name, builder, description="", **kwargs):
    """Registers ``builder(**kwargs)`` under ``name``; a name is taken once.

    ``get_model(name)`` then calls ``builder(name=name, **kwargs)``, so the
    builder must take a ``name`` argument. Returns the ``ModelEntry``.

    Example:

    ```python
    register_model("resnet32-resnet8", rocket_resnet, "ResNet-32 booster, ResNet-8 light.",
                   booster_depth=32, light_depth=8, share="interval")
    model = get_model("resnet32-resnet8", input_shape=(28, 28, 1))
    ```
    """
    if name in _REGISTRY:
        raise ValueError(
            f"A model named {name!r} is already registered. Received: name={name!r}"
        )
    _REGISTRY[name] = ModelEntry(name, builder, dict(kwargs), description)
    return _REGISTRY[name]


def register_deprecated_name(old, new, **kwargs):
    """Keeps ``old`` working as ``new`` with ``kwargs``, with a DeprecationWarning.

    Example:

    ```python
    register_deprecated_name("resnet14-resnet8_cifar100", "resnet14-resnet8", num_classes=100)
    model = get_model("resnet14-resnet8_cifar100")  # warns; get_model("resnet14-resnet8", num_classes=100)
    ```
    """
    _DEPRECATED[old] = (new, dict(kwargs))


def _resolve(name):
    """``(registered name, implied arguments)``, warning for a deprecated name."""
    if name in _DEPRECATED:
        new, kwargs = _DEPRECATED[name]
        arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        warnings.warn(
            f"Model name {name!r} is deprecated: names are architectures only, shapes are arguments. "
            f"Use get_model({new!r}, {arguments}).",
            DeprecationWarning,
            stacklevel=3,
        )
        return new, kwargs
    return name, {}


def get_entry(name):
    """The ``ModelEntry`` registered as ``name`` (a deprecated name gives its new one's).

    Raises:
        ValueError: for an unknown name, listing the registered ones.

    Example:

    ```python
    entry = get_entry("resnet20-resnet8")
    entry.kwargs  # {"booster_depth": 20, "light_depth": 8, "share": "interval"}
    ```
    """
    name, _ = _resolve(name)
    if name not in _REGISTRY:
        raise ValueError(
            f"Unknown model {name!r}. Registered models: {list_models()}. "
            f"Received: name={name!r}"
        )
    return _REGISTRY[name]


def get_model(name, **overrides):
    """Builds the registered configuration ``name``; keyword arguments override it.

    Example:

    ```python
    model = get_model("wrn40_1-wrn16_1", input_shape=(32, 32, 3), num_classes=100)
    ```
    """
    name, implied = _resolve(name)
    entry = get_entry(name)
    return entry.builder(**{**entry.kwargs, "name": name, **implied, **overrides})


def list_models():
    """Names of all registered configurations, sorted.

    Example:

    ```python
    "wrn40_1-wrn16_1" in list_models()  # True
    ```
    """
    return sorted(_REGISTRY)
