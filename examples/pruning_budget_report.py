r"""Tables the runs of ``examples/pruning_budget.sh``: each variant's mean ± std over seeds.

Reads ``<runs_dir>/<variant>-seed<k>/results.json`` and writes
``<runs_dir>/README.md``: the light net's test accuracy (float, and its int8
TFLite file's), the sparsity it reached, its gzipped int8 size, and the
training epochs it had in all, per variant, over the seeds that have run:

    python examples/pruning_budget_report.py --runs_dir=results/pruning/fashion_mnist/resnet14-resnet8.equal_budget
"""

import collections
import glob
import json
import os
import re

import numpy as np
from absl import app, flags

flags.DEFINE_string("runs_dir", "results/pruning/fashion_mnist/resnet14-resnet8.equal_budget",
                    "Directory of <variant>-seed<k> runs.")
FLAGS = flags.FLAGS

# Epochs of training behind a variant's net, its start's included.
EPOCHS_BEFORE = {"after": 3}


def read_runs(runs_dir):
    """``{variant: {seed: results}}`` for every ``<variant>-seed<k>/results.json``."""
    runs = collections.defaultdict(dict)
    for path in sorted(glob.glob(os.path.join(runs_dir, "*-seed*", "results.json"))):
        match = re.fullmatch(r"(.+)-seed(\d+)", os.path.basename(os.path.dirname(path)))
        if match:
            runs[match.group(1)][int(match.group(2))] = json.load(open(path))
    return runs


def mean_std(values, scale=1.0, digits=2):
    values = [scale * v for v in values]
    if len(values) < 2:
        return f"{values[0]:.{digits}f}" if values else "-"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def table(runs):
    lines = ["| variant | seeds | epochs in all | light net, test % | its int8 file, test % | sparsity | "
             "int8 gzip bytes |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for variant in sorted(runs, key=lambda v: (v.split("_")[0] != "rocket", v)):
        results = [runs[variant][seed] for seed in sorted(runs[variant])]
        epochs = EPOCHS_BEFORE.get(variant.split("_")[0], 0) + results[0]["epochs"]
        int8 = [r["tflite_int8"] for r in results if "tflite_int8" in r]
        lines.append(
            f"| {variant} | {','.join(map(str, sorted(runs[variant])))} | {epochs} | "
            f"{mean_std([r['light_test_accuracy'] for r in results], 100)} | "
            f"{mean_std([t['test_accuracy'] for t in int8], 100)} | "
            f"{mean_std([r.get('light_sparsity', 0.0) for r in results], digits=3)} | "
            f"{mean_std([t['gzip_size_bytes'] for t in int8], digits=0)} |")
    return "\n".join(lines) + "\n"


def main(argv):
    del argv
    text = ("Pruning during rocket training against pruning after it, at equal budgets "
            "(`examples/pruning_budget.sh`; mean ± std over seeds, written by `examples/pruning_budget_report.py`).\n\n"
            + table(read_runs(FLAGS.runs_dir)))
    with open(os.path.join(FLAGS.runs_dir, "README.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    app.run(main)
