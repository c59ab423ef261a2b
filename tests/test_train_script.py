"""examples/train.py end to end: a searched light net, then pruning it from its trained weights."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from rocket_keras import pruning, zoo
from rocket_keras.search import architecture
from rocket_keras.zoo.spec import save_spec

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def train(output_dir, *extra):
    command = [
        sys.executable, str(ROOT / "examples" / "train.py"), "--dataset=synthetic", "--model=resnet14-resnet8",
        "--epochs=1", "--train_size=128", "--batch_size=64", f"--output_dir={output_dir}", "--verbose=0", *extra,
    ]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((Path(output_dir) / "results.json").read_text())


def test_a_searched_child_trains_with_rocket_then_prunes_from_its_weights(tmp_path):
    teacher = zoo.network_spec("resnet14")
    child = architecture.shrink(teacher, [0.5] * len(architecture.describe(teacher)))
    save_spec(child, "resnet14", tmp_path / "child.json")
    child_params = zoo.get_network(str(tmp_path / "child.json"), input_shape=(28, 28, 1)).count_params()

    first = train(tmp_path / "rocket", f"--light_net={tmp_path / 'child.json'}", "--noexport")
    assert first["light_parameters"] == child_params
    assert first["booster_parameters"] == zoo.get_network("resnet14", input_shape=(28, 28, 1)).count_params()
    assert first["flags"]["light_net"] == str(tmp_path / "child.json")

    second = train(tmp_path / "pruned", f"--light_net={tmp_path / 'child.json'}",
                   f"--init_from={tmp_path / 'rocket' / 'model.keras'}", "--prune_sparsity=0.5", "--prune_end=0.5",
                   "--prune_frequency=1")
    # Masks are not parameters; the schedule reached its target.
    assert second["light_parameters"] == child_params
    assert second["light_sparsity"] == pytest.approx(0.5, abs=0.01)
    saved = keras.models.load_model(tmp_path / "pruned" / "model.keras")
    assert pruning.is_pruned(saved)
    light = pruning.strip_pruning(saved).light_model()
    assert pruning.sparsity(light)["overall"] == pytest.approx(second["light_sparsity"])
    # The trained weights were the start: the booster-only layers (not
    # pruned, trained one more epoch) moved from the first run's, not from
    # a fresh initialisation's.
    start = keras.models.load_model(tmp_path / "rocket" / "model.keras").booster_model()
    fresh = zoo.get_network("resnet14", input_shape=(28, 28, 1))
    moved = np.abs(saved.booster_model().get_layer("booster_logits").kernel.numpy()
                   - start.get_layer("booster_logits").kernel.numpy()).mean()
    from_fresh = np.abs(saved.booster_model().get_layer("booster_logits").kernel.numpy()
                        - fresh.get_layer("light_logits").kernel.numpy()).mean()
    assert moved < from_fresh
    for name in ("float32", "int8", "int8_sparse"):
        record = second[f"tflite_{name}"]
        assert record["gzip_size_bytes"] < record["size_bytes"] and record["latency_ms_batch1"] > 0
        assert 0 < record["test_accuracy"] <= 1
    # Zeros cost nothing once gzipped: the pruned int8 file compresses better than its size would say.
    assert second["tflite_int8"]["gzip_size_bytes"] < 0.8 * second["tflite_int8"]["size_bytes"]


def test_light_net_refuses_builder_overrides(tmp_path):
    command = [sys.executable, str(ROOT / "examples" / "train.py"), "--dataset=synthetic", "--light_net=resnet8",
               "--override=light_depth=14", f"--output_dir={tmp_path}"]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "--light_net takes no --override of ['light_depth']" in result.stderr
