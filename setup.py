"""rocket_keras: Rocket Launching (light + booster nets trained together) for Keras 3."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "rocket_keras" / "__init__.py").read_text()
).group(1)

setup(
    name="rocket_keras",
    version=VERSION,
    description="Rocket Launching for Keras 3: train a light net with a booster, ship the light net.",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["rocket_keras", "rocket_keras.*"]),
    # Shipped presets: preset.json, the pair's weights and the int8 light net.
    package_data={"rocket_keras.zoo": ["shipped/*/*"]},
    python_requires=">=3.10",
    install_requires=[
        "tensorflow-cpu~=2.21.0; platform_machine == 'x86_64' or platform_machine == 'AMD64'",
        "tensorflow~=2.21.0; platform_machine != 'x86_64' and platform_machine != 'AMD64'",
        "keras>=3.12,<4",
        "tensorflow-datasets~=4.9",
        # tensorflow-datasets imports importlib_resources without declaring it.
        "importlib_resources",
        "tf2onnx~=1.17",
        "onnx",
        "onnxruntime",
        "ai-edge-litert",
        "absl-py",
        "tensorboard",
        "numpy",
    ],
    extras_require={
        "dev": ["pytest", "pytest-xdist", "matplotlib", "scipy", "build", "twine"],
        # KERAS_BACKEND=jax: the same models on JAX, keras.distribution across
        # devices and processes (CPU wheels; on GPU install jax[cuda12]).
        "jax": ["jax[cpu]>=0.6,<0.11", "jax2onnx"],
    },
    license="Apache-2.0",
)
