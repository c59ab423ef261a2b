"""The two heads of a rocket pair: each head's own network, the weights only
the booster uses, and freezing the booster without freezing the light net.

``RocketModel.light_model``, ``booster_model``, ``booster_only_weights`` and
``freeze_booster`` call these; they read the pair only through its input
and its heads' output tensors, so they hold for any pair (zoo templates and
``from_networks`` alike).

Example:

```python
from rocket_keras import heads

light = heads.head_network(pair, "light")  # the same layers, so the same weights
heads.booster_only_weights(pair)  # what the light net must never ship
```
"""

import keras


def head_network(pair, head, name=None):
    """One head of ``pair`` as a plain ``keras.Model`` from its input to that head's logits."""
    inputs, outputs = pair._model_inputs, pair._head_outputs
    model = keras.Model(inputs, outputs[head], name=name or f"{pair.name}_{head}")
    shape = inputs.shape if hasattr(inputs, "shape") else None
    if shape is not None and None not in shape[1:]:
        # One call on a dummy batch, as after any use: Keras' own
        # export(format="onnx") refuses a model that has never been called.
        model(keras.ops.zeros((1,) + tuple(shape[1:]), dtype=inputs.dtype))
    return model


def booster_only_weights(pair):
    """The weights the booster uses and the light net does not, by identity."""
    light = {id(w) for w in head_network(pair, "light").weights}
    return [w for w in head_network(pair, "booster").weights if id(w) not in light]


def freeze_booster(pair, include_shared=False):
    """Sets ``trainable = False`` on the booster's layers whose weights are all booster-only
    (and, with ``include_shared``, on those it shares with the light net); returns their names."""
    light = {id(w) for w in head_network(pair, "light").weights}  # each head built once
    frozen = []
    for layer in head_network(pair, "booster")._flatten_layers(include_self=False, recursive=False):
        ids = [id(w) for w in layer.weights]
        if ids and (include_shared or not any(i in light for i in ids)):
            layer.trainable = False
            frozen.append(layer.name)
    return frozen
