"""Named rocket configurations: register, get, list (as timm and TF Model Garden do)."""

import dataclasses
import warnings
from typing import Callable, Dict


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """A registered configuration: a builder and the arguments that define it."""

    name: str
    builder: Callable
    kwargs: Dict
    description: str = ""


_REGISTRY: Dict[str, ModelEntry] = {}
# Old names: {old: (new name, builder arguments the old name implied)}.
_DEPRECATED: Dict[str, tuple] = {}


def register_model(name, builder, description="", **kwargs):
    """Registers ``builder(**kwargs)`` under ``name``; a name is taken once."""
    if name in _REGISTRY:
        raise ValueError(
            f"A model named {name!r} is already registered. Received: name={name!r}"
        )
    _REGISTRY[name] = ModelEntry(name, builder, dict(kwargs), description)
    return _REGISTRY[name]


def register_deprecated_name(old, new, **kwargs):
    """Keeps ``old`` working as ``new`` with ``kwargs``, with a DeprecationWarning."""
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
    """Names of all registered configurations, sorted."""
    return sorted(_REGISTRY)
