import contextlib
import importlib
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# pytest-xdist runs one worker per core (make test): each worker, and every
# process it starts, then takes its share of the cores for TensorFlow's and
# oneDNN's intra-op threads instead of one thread per core each, which
# oversubscribed the machine (2 cores, 2 workers: 12 % less wall time and
# 16 % less CPU on test_export.py and test_rocket_model.py). Set before
# TensorFlow is imported; a value already in the environment wins.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    _THREADS = str(max(1, len(os.sched_getaffinity(0)) // _WORKERS))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", _THREADS)
    os.environ.setdefault("OMP_NUM_THREADS", _THREADS)

from absl import flags  # noqa: E402
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


@contextlib.contextmanager
def example_script(name):
    """``examples/<name>.py`` imported afresh, its absl flags defined inside the block only.

    The scripts define flags of the same names (``--results_dir``, ``--check``)
    on absl's global ``FLAGS``, and a pytest worker imports several of them:
    each import here removes its flags and the module again on leaving.
    """
    before = set(flags.FLAGS)
    sys.modules.pop(name, None)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
    try:
        module = importlib.import_module(name)
    finally:
        sys.path.pop(0)
    try:
        yield module
    finally:
        flags.FLAGS.unparse_flags()
        for flag in set(flags.FLAGS) - before:
            delattr(flags.FLAGS, flag)
        sys.modules.pop(name, None)


def example_module(name):
    """``examples/<name>.py`` as a module, for its functions and constants (its flags are removed)."""
    with example_script(name) as module:
        return module


def run_example(name, *argv, cwd=None):
    """Runs ``examples/<name>.py``'s ``main`` in this process (in ``cwd`` if given), ``argv`` parsed as its
    command line would be.

    A subprocess would spend several seconds importing TensorFlow for a
    script that only reads and writes files; tests of the command line itself
    (exit codes, messages on stderr) still run it as one."""
    with example_script(name) as module, contextlib.chdir(cwd or os.getcwd()):
        flags.FLAGS([f"{name}.py", *argv])
        module.main([])
