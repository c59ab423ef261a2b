r"""Tables the runs of ``examples/pruning_budget.sh``: each variant's mean ± std over seeds.

Reads ``<runs_dir>/<variant>-seed<k>/results.json`` and writes
``<runs_dir>/README.md``: the light net's test accuracy (float, and its int8
TFLite file's), the sparsity it reached, its gzipped int8 size, and the
training epochs it had in all, per variant, over the seeds that have run:

    python examples/pruning_budget_report.py --runs_dir=results/pruning/fashion_mnist/resnet14-resnet8.equal_budget
"""

import collections
import glob
import os

from absl import app, flags

from rocket_keras.training.records import RESULTS_FILE, read_results
from rocket_keras.training.results import mean_std, seed_list

flags.DEFINE_string("runs_dir", "results/pruning/fashion_mnist/resnet14-resnet8.equal_budget",
                    "Directory of <variant>-seed<k> runs.")
FLAGS = flags.FLAGS

# Epochs of training behind a variant's net, its start's included.
EPOCHS_BEFORE = {"after": 3}


def read_runs(runs_dir):
    """``{variant: [results, ...]}``, seeds in order, for every ``<variant>-seed<k>/results.json``."""
    runs = collections.defaultdict(list)
    for path in glob.glob(os.path.join(runs_dir, "*-seed*", RESULTS_FILE)):
        runs[os.path.basename(os.path.dirname(path)).rsplit("-seed", 1)[0]].append(read_results(path))
    return {variant: sorted(results, key=lambda r: r["seed"]) for variant, results in runs.items()}


def table(runs):
    lines = ["| variant | seeds | epochs in all | light net, test % | its int8 file, test % | sparsity | "
             "int8 gzip bytes |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for variant in sorted(runs, key=lambda v: (v.split("_")[0] != "rocket", v)):
        results = runs[variant]
        epochs = EPOCHS_BEFORE.get(variant.split("_")[0], 0) + results[0]["epochs"]
        int8 = [r["tflite_int8"] for r in results if "tflite_int8" in r]
        lines.append(
            f"| {variant} | {seed_list(results)} | {epochs} | "
            f"{mean_std([r['light_test_accuracy'] for r in results])} | "
            f"{mean_std([t['test_accuracy'] for t in int8])} | "
            f"{mean_std([r.get('light_sparsity', 0.0) for r in results], scale=1, digits=3)} | "
            f"{mean_std([t['gzip_size_bytes'] for t in int8], scale=1, digits=0)} |")
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
