import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def tiny_batch(input_shape=(16, 16, 1), num_classes=10, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch,) + tuple(input_shape), dtype=np.float32)
    y = rng.integers(0, num_classes, size=batch)
    return x, y


def example_module(name):
    """``examples/<name>.py`` imported as a module (its absl flags join this process's once)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)
