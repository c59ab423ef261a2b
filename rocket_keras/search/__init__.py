"""Find the light net: N2N layer removal and shrinkage from a trained booster.

``N2NSearch`` runs the two policies of N2N learning (Ashok et al., ICLR 2018)
on a network described by the zoo's ``NetworkSpec``; children are built by
the same templates (``rocket_keras.zoo.dual_head.build_network``), so the
best one trains, saves and exports like any zoo network and can be the light
net of a rocket pair (``rocket_keras.from_networks``).

```python
import keras

from rocket_keras import search, zoo

teacher = keras.models.load_model("runs/booster/model.keras")  # a trained ResNet-14
n2n = search.N2NSearch(teacher, zoo.network_spec("resnet14"), (x, y), (x_val, y_val),
                       output_dir="runs/search")
best = n2n.run(removal_updates=10, shrink_updates=10)
light = zoo.dual_head.build_network(n2n.best_spec(), input_shape=(28, 28, 1), num_classes=10)
```

``removal="layer"`` searches single convolutions (``layer_space``) instead of
whole blocks (``architecture``, the default); ``ratios="authors"`` uses the
N2N authors' shrink actions.
"""

from rocket_keras.search import architecture, child_training, layer_space, policies
from rocket_keras.search.n2n import (Child, N2NSearch, best_child, best_reward_curve, read_children, reward,
                                     trained_prefix)

__all__ = ["Child", "N2NSearch", "architecture", "best_child", "best_reward_curve", "child_training", "layer_space",
           "policies", "read_children", "reward", "trained_prefix"]
