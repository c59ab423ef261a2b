"""The README's usage example runs as written."""

import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def run_block(index, tmp_path):
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[index]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_readme_usage_example_runs(tmp_path):
    stdout = run_block(0, tmp_path)
    assert "light_accuracy" in stdout and "arg-max agreement" in stdout
    assert (tmp_path / "light.tflite").stat().st_size > 0


def test_readme_own_networks_example_runs_in_under_15_lines(tmp_path):
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[1]
    assert "from_networks" in code and len(code.strip().splitlines()) < 15
    stdout = run_block(1, tmp_path)
    assert "val_light_accuracy" in stdout and "arg-max agreement" in stdout
    assert (tmp_path / "my_light.tflite").stat().st_size > 0
