r"""Turns result files into results/README.md: tables and plots.

    python examples/report.py

Reads ``results/<dataset>/<model>/<method>-seed<k>/results.json`` and
``history.csv``; writes, per dataset and pair, a table (mean ± std over
seeds of the light and booster test accuracy, training time, with two-stage
methods charged their teacher's time too) beside the paper's CIFAR-10 numbers
for the same methods, and two PNG plots (validation accuracy of the light net
per epoch; test accuracy vs training time).
"""

import collections
import csv
import glob
import json
import os
import statistics

from absl import app, flags

flags.DEFINE_string("results_dir", "results", "Root of the result tree.")
FLAGS = flags.FLAGS

# Zhou et al. 2018, Table 1 and ablations: CIFAR-10 error (%), WRN-16-1 light
# with a WRN-40-1 booster, interval sharing, 200 epochs.
PAPER_CIFAR10_ERROR = {
    "light": 8.77,
    "booster": 6.58,
    "kd": 8.39,
    "rocket": 7.87,
    "rocket_kd": 7.52,
    "rocket_softmax_mse": 8.32,
    "rocket_kd_hint": 7.98,
    "rocket_no_gradient_block": 8.50,
    "rocket_no_sharing": 8.06,
}


def load_runs(pair_dir):
    runs = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(pair_dir, "*-seed*", "results.json"))):
        method = os.path.basename(os.path.dirname(path)).rsplit("-seed", 1)[0]
        with open(path) as f:
            result = json.load(f)
        history_path = os.path.join(os.path.dirname(path), "history.csv")
        history = []
        if os.path.exists(history_path):
            with open(history_path) as f:
                history = list(csv.DictReader(f))
        runs[method].append((result, history))
    return runs


def mean_std(values):
    if not values:
        return "-"
    if len(values) == 1:
        return f"{100 * values[0]:.2f}"  # one seed: no spread to show
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):.2f} ± {100 * spread:.2f}"


def total_seconds(result):
    return result["train_seconds"] + result.get("teacher_train_seconds", 0.0)


def val_light_accuracy(row):
    for key in ("val_light_accuracy", "val_accuracy"):
        if key in row:
            return float(row[key])
    return None


def plots(pair_dir, runs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (per_epoch, vs_time) = plt.subplots(1, 2, figsize=(11, 4))
    for method, items in sorted(runs.items()):
        curves = [[val_light_accuracy(r) for r in history] for _, history in items if history]
        curves = [c for c in curves if c and None not in c]
        if curves and method != "booster":
            length = min(map(len, curves))
            mean = [statistics.mean(c[i] for c in curves) for i in range(length)]
            per_epoch.plot(range(1, length + 1), mean, marker="o", label=method)
        key = "booster_test_accuracy" if method == "booster" else "light_test_accuracy"
        points = [(total_seconds(r), r[key]) for r, _ in items if key in r]
        if points:
            vs_time.scatter(*zip(*points), label=method)
    per_epoch.set(xlabel="epoch", ylabel="validation accuracy (light net)", title="Light net per epoch (mean over seeds)")
    vs_time.set(xlabel="total training time (s, teacher included)", ylabel="test accuracy", title="Accuracy vs training time")
    for axis in (per_epoch, vs_time):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    path = os.path.join(pair_dir, "accuracy.png")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def section(pair_dir):
    runs = load_runs(pair_dir)
    if not runs:
        return ""
    dataset, model = pair_dir.split(os.sep)[-2:]
    lines = [
        f"## {dataset} / {model}",
        "",
        "| method | seeds | light test acc. % | booster test acc. % | training s (mean, teacher incl.) | epochs | paper CIFAR-10 acc. % (WRN-40-1/16-1) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method, items in sorted(runs.items()):
        results = [r for r, _ in items]
        paper = PAPER_CIFAR10_ERROR.get(method)
        lines.append(
            f"| {method} | {','.join(str(r['seed']) for r in results)} "
            f"| {mean_std([r['light_test_accuracy'] for r in results if 'light_test_accuracy' in r])} "
            f"| {mean_std([r['booster_test_accuracy'] for r in results if 'booster_test_accuracy' in r])} "
            f"| {statistics.mean(total_seconds(r) for r in results):.0f} "
            f"| {results[0]['epochs']} "
            f"| {'-' if paper is None else f'{100 - paper:.2f}'} |"
        )
    image = os.path.relpath(plots(pair_dir, runs), FLAGS.results_dir)
    first = next(iter(runs.values()))[0][0]
    lines += ["", f"![accuracy]({image})", "", f"Example command (first run): `{first['command']}`", ""]
    return "\n".join(lines)


def main(argv):
    del argv
    pair_dirs = sorted(glob.glob(os.path.join(FLAGS.results_dir, "*", "*")))
    body = "\n".join(filter(None, (section(d) for d in pair_dirs if os.path.isdir(d))))
    header = (
        "# Measured results\n\n"
        "Generated by `python examples/report.py` from the result files in this directory "
        "(each `results.json` holds the command that produced it). Accuracies are on each "
        "dataset's test split, mean ± standard deviation over the seeds listed; nothing was "
        "tuned on the test split. Training times were taken on a 2-core CPU machine; runs that "
        "shared the machine with other jobs are slower, so compare times within one table only.\n\n"
        "The paper column is Zhou et al. (2018), CIFAR-10, WRN-16-1 light / WRN-40-1 booster, "
        "200 epochs: a reference for the ordering of methods, not the same experiment.\n\n"
    )
    path = os.path.join(FLAGS.results_dir, "README.md")
    with open(path, "w") as f:
        f.write(header + body)
    print("wrote", path)


if __name__ == "__main__":
    app.run(main)
