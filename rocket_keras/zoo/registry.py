"""Named rocket configurations: register, get, list (as timm and TF Model Garden do)."""

import dataclasses
from typing import Callable, Dict


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """A registered configuration: a builder and the arguments that define it."""

    name: str
    builder: Callable
    kwargs: Dict
    description: str = ""


_REGISTRY: Dict[str, ModelEntry] = {}


def register_model(name, builder, description="", **kwargs):
    """Registers ``builder(**kwargs)`` under ``name``; a name is taken once."""
    if name in _REGISTRY:
        raise ValueError(
            f"A model named {name!r} is already registered. Received: name={name!r}"
        )
    _REGISTRY[name] = ModelEntry(name, builder, dict(kwargs), description)
    return _REGISTRY[name]


def get_entry(name):
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
    model = get_model("wrn40_1-wrn16_1", num_classes=100)
    ```
    """
    entry = get_entry(name)
    return entry.builder(**{**entry.kwargs, "name": name, **overrides})


def list_models():
    """Names of all registered configurations, sorted."""
    return sorted(_REGISTRY)
