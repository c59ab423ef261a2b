"""rocket_keras: Rocket Launching (Zhou et al., AAAI 2018) for Keras 3.

A light network and a booster network train together in one ``model.fit``;
the light net then ships alone. Importing the package registers its Keras
classes, so ``keras.models.load_model`` can read saved rocket models.
"""

__version__ = "0.1.0"

from rocket_keras.rocket_model import RocketModel
from rocket_keras.export import export_light
from rocket_keras.pairing import from_networks
from rocket_keras import zoo  # noqa: F401  (importing registers the zoo)
# Registers the recipe's optimizer and schedule, so that keras.models.load_model
# reads a model compiled with them after `import rocket_keras`.
from rocket_keras import methods, optimizers  # noqa: F401,E402

__all__ = ["RocketModel", "export_light", "from_networks", "__version__"]
