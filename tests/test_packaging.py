"""The package as users get it: sdist and wheel build and pass twine's checks,
and the installed wheel (not this checkout) runs the README's Use block."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_builds_passes_twine_and_runs_the_readme_from_an_install(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--sdist", "--no-isolation", "--outdir", str(dist),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel, = dist.glob("*.whl")
    sdist, = dist.glob("*.tar.gz")
    check = subprocess.run([sys.executable, "-m", "twine", "check", str(wheel), str(sdist)], capture_output=True,
                           text=True, timeout=300)
    assert check.returncode == 0 and check.stdout.count("PASSED") == 2, check.stdout + check.stderr
    names = zipfile.ZipFile(wheel).namelist()
    assert "rocket_keras/zoo/dual_head.py" in names and not any(n.startswith(("tests/", "examples/")) for n in names)
    assert any(n.endswith("LICENSE") for n in names)
    # The shipped presets travel in the wheel: preset.json, the pair's weights, the int8 light net.
    assert {"rocket_keras/zoo/shipped/resnet20-resnet8.cifar10/" + f
            for f in ("preset.json", "pair.weights.h5", "light_int8.tflite")} <= set(names)
    # Install the wheel alone into a directory and run the README's Use
    # block (a shipped preset) from elsewhere, importing the installed copy.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    use = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    code = "import rocket_keras, sys; assert rocket_keras.__file__.startswith(sys.argv[1]), rocket_keras.__file__\n" + use
    env = dict(os.environ, PYTHONPATH=str(target), TF_CPP_MIN_LOG_LEVEL="3")
    shutil.copytree(ROOT / "examples" / "images", tmp_path / "examples" / "images")
    result = subprocess.run([sys.executable, "-c", code, str(target)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "('ship', " in result.stdout and "arg-max agreement" in result.stdout
