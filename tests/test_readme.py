"""The README's usage example runs as written."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def run_block(index, tmp_path, epilogue=""):
    """Runs the README's python block ``index`` as written, then ``epilogue``."""
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[index] + epilogue
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def report_row(stdout, name):
    """The value of row ``name`` of a printed ``ExportReport`` table."""
    return re.search(rf"^{re.escape(name)}\s+(.+)$", stdout, re.M).group(1)


def assert_light_net_exported(stdout, path):
    """The printed export report: the light net alone, matching Keras through LiteRT."""
    light_parameters = int(re.search(r"light net parameters: (\d+)", stdout).group(1))
    assert int(report_row(stdout, "parameters").replace(",", "")) == light_parameters
    assert float(report_row(stdout, "max |exported - keras|")) < 1e-4
    assert report_row(stdout, "arg-max agreement") == "100.00%"
    assert path.stat().st_size > 0


def test_readme_preset_example_classifies_and_exports_in_five_lines(tmp_path):
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    assert "from_preset" in code and len([line for line in code.splitlines() if line.strip()]) == 5
    shutil.copytree(README.parent / "examples" / "images", tmp_path / "examples" / "images")
    stdout = run_block(0, tmp_path, epilogue='\nprint("light net parameters:", model.light_model().count_params())')
    assert "('ship', " in stdout  # the committed ship image, through the int8 file
    assert_light_net_exported(stdout, tmp_path / "light.tflite")


def test_readme_usage_example_runs(tmp_path):
    stdout = run_block(1, tmp_path, epilogue='\nprint("light net parameters:", model.light_model().count_params())')
    assert "light_accuracy" in stdout
    assert_light_net_exported(stdout, tmp_path / "light.tflite")


def test_readme_own_networks_example_runs_in_under_15_lines(tmp_path):
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[2]
    assert "from_networks" in code and len(code.strip().splitlines()) < 15
    stdout = run_block(2, tmp_path, epilogue='\nprint("light net parameters:", light.count_params())')
    assert "val_light_accuracy" in stdout
    assert_light_net_exported(stdout, tmp_path / "my_light.tflite")


def test_the_preset_table_lists_every_shipped_preset_with_its_recorded_numbers():
    from rocket_keras.zoo import list_presets, presets

    table = README.read_text().split("| preset | pair |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    rows = {row[0].strip("`"): row for row in ([cell.strip() for cell in line.strip("|").split("|")] for line in table)}
    assert sorted(rows) == sorted(list_presets())
    for name in list_presets():
        config = presets.load_preset_config(name)
        result, weights = config["result"], config["weights"]
        _, _, light, int8, booster, files = rows[name]
        assert light == f"{100 * result['light_test_accuracy']:.2f} %"
        assert int8 == f"{100 * result['light_int8_test_accuracy']:.2f} %"
        assert booster == f"{100 * result['booster_test_accuracy']:.2f} %"
        for entry in weights.values():
            assert f"`{entry['file']}` {entry['size_bytes']:,} B" in files
