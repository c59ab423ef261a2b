"""Training runs as library calls: a ``Config``, ``train(config)``, and the ``results.json`` it writes.

``examples/train.py`` is a command line over this package: its flags are
``Config``'s fields (``define_flags``), and a recipe flagfile reads into a
``Config`` (``Config.from_flagfile``). ``examples/compare.py``, the report
and the model cards read records with ``read_results``.

Example:

```python
from rocket_keras import training

config = training.Config.from_flagfile("recipes/resnet14-resnet8/fashion_mnist_demo.txt",
                                       output_dir="runs/demo", epochs=1)
record = training.train(config)
record["light_test_accuracy"], record["train_seconds"]
```
"""

from rocket_keras.training.config import Config, define_flags
from rocket_keras.training.records import (SCHEMA_VERSION, TrainingClock, epoch_overhead, read_results, teacher_file,
                                          write_results)
from rocket_keras.training.run import OptionError, evaluate_run, load_splits, train

__all__ = ["Config", "define_flags", "train", "evaluate_run", "load_splits", "OptionError", "read_results", "write_results", "TrainingClock", "SCHEMA_VERSION",
           "epoch_overhead"]
