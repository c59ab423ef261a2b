"""Reading a result tree, as report.py and model_cards.py do.

Runs live in ``results/<dataset>/<pair>/<method slug>-seed<k>/`` with a
``results.json`` and the Keras ``history.csv``; runs are grouped by method
spec (``rocket_keras.methods``: ``rocket:share=none``, read from the slug
``rocket_share=none``). A run stopped by a non-finite loss has
``training_error`` in its ``results.json`` and no test accuracy: it is
listed as diverged, not averaged.
"""

import collections
import csv
import glob
import os
import re
import statistics

from rocket_keras import methods
from rocket_keras.training.records import RESULTS_FILE, read_results

# Recipe files that moved (zoo/<pair>_fmnist/... -> recipes/<pair>/...) after
# runs recorded their commands: the recorded command with the current path.
MOVED_RECIPES = {
    "zoo/resnet14-resnet8_fmnist/demo_flags.txt": "recipes/resnet14-resnet8/fashion_mnist_demo.txt",
    "zoo/wrn40_1-wrn16_1/flags.txt": "recipes/wrn40_1-wrn16_1/cifar10.txt",
    "zoo/resnet20-resnet8/paper_flags.txt": "recipes/resnet20-resnet8/cifar10_paper.txt",
}


def load_runs(pair_dir):
    """``{method: [(result dict, history rows, run directory), ...]}``, seeds in order."""
    runs = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(pair_dir, "*-seed*", RESULTS_FILE))):
        directory = os.path.dirname(path)
        method = methods.from_slug(os.path.basename(directory).rsplit("-seed", 1)[0]).spec
        result = read_results(path)
        history_path = os.path.join(directory, "history.csv")
        history = []
        if os.path.exists(history_path):
            with open(history_path) as f:
                history = list(csv.DictReader(f))
        runs[method].append((result, history, directory))
    return dict(runs)


def val_light_accuracy(row):
    """The light net's validation accuracy in one row of a Keras history (``val_light_accuracy`` of a pair,
    ``val_accuracy`` of a single net), or None."""
    for key in ("val_light_accuracy", "val_accuracy"):
        if key in row:
            return float(row[key])
    return None


def last_validation_accuracy(result, history):
    """The light net's validation accuracy at a run's end, what a setting is chosen on (never the test
    split): the final net's (``light_validation_accuracy`` of the record, which under ``--ema`` is the
    averaged weights', not the raw weights' of the history's last row), else the history's last epoch;
    None for a diverged run or one without either."""
    if diverged(result):
        return None
    if result.get("light_validation_accuracy") is not None:
        return result["light_validation_accuracy"]
    return val_light_accuracy(history[-1]) if history else None


def best_on_validation(pair_dir, specs, seed=0):
    """Of the method ``specs`` run on ``seed`` in ``pair_dir``, the one whose light net had the highest
    validation accuracy at its last epoch: what a setting is chosen on, never the test split.

    A diverged run ranks last: it is a result of its setting, and the choice
    goes on among the others. A ValueError names a spec without a run on
    ``seed`` (not run yet, or still running), or says that every run diverged.

    Example:

    ```python
    best_on_validation("results/cifar10/resnet20-resnet8.kd_grid",
                       ["kd:student_loss_weight=0.1,temperature=4", "kd:student_loss_weight=0.5,temperature=4"])
    # "kd:student_loss_weight=0.1,temperature=4"
    ```
    """
    runs = load_runs(pair_dir)
    scored, diverged_specs = [], []
    for spec in specs:
        spec = methods.parse(spec).spec
        run = next(((r, h) for r, h, _ in runs.get(spec, []) if r["seed"] == seed), None)
        if run is not None and diverged(run[0]):
            diverged_specs.append(spec)
            continue
        accuracy = None if run is None else last_validation_accuracy(*run)
        if accuracy is None:
            raise ValueError(f"No finished run of {spec!r} on seed {seed} with a validation accuracy in {pair_dir}. "
                             f"Runs there: {sorted(runs)}")
        scored.append((accuracy, spec))
    if not scored:
        raise ValueError(f"Every run on seed {seed} in {pair_dir} diverged: nothing to choose. "
                         f"Received: specs {diverged_specs}")
    return max(scored)[1]


def accuracies(results, head):
    """Test accuracies of ``head`` ("light" or "booster") over the runs that measured it."""
    return [r[f"{head}_test_accuracy"] for r in results if f"{head}_test_accuracy" in r]


def mean_std(values, empty="-", scale=100, digits=2):
    """Mean ± sample standard deviation over seeds: by default accuracies (fractions) as percent,
    ``"85.46 ± 0.43"``; one value alone, no spread. ``scale`` and ``digits`` format other
    quantities (``scale=1, digits=0`` for bytes)."""
    if not values:
        return empty
    values = [scale * v for v in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def total_seconds(result):
    """Training time charged to a run, its teacher's included (two-stage methods)."""
    return result["train_seconds"] + result.get("teacher_train_seconds", 0.0)


def mean_seconds_cell(results):
    """Mean training time of the runs, teacher included, as ``"1541"``; ``"-"`` when every run diverged
    (a diverged run stopped early: its time is not a training time)."""
    seconds = [total_seconds(r) for r in results if not diverged(r)]
    return f"{statistics.mean(seconds):.0f}" if seconds else "-"


def diverged(result):
    """Whether a run stopped on a non-finite loss (its record has ``training_error``, no test accuracy)."""
    return "training_error" in result


def seed_list(results):
    """``"0,1 (diverged),2"``: the seeds of the runs, diverged ones marked."""
    return ",".join(f"{r['seed']}{' (diverged)' if diverged(r) else ''}" for r in results)


def write_or_check(path, text, check=False):
    """Writes ``text``, generated from a result tree, to ``path``; with ``check``, writes nothing.

    Returns False when ``check`` finds ``path`` missing or different from
    ``text`` (the committed file is stale), else True. report.py and
    model_cards.py use it for their ``--check``::

        write_or_check("results/README.md", text, check=True)  # True when the file already holds text
    """
    if check:
        return os.path.exists(path) and open(path).read() == text
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return True


def section_title(dataset, study):
    """The heading of a study's section in results/README.md: ``"cifar10 / resnet20-resnet8"``."""
    return f"{dataset} / {study}"


def github_anchor(heading):
    """The link fragment GitHub gives a Markdown heading: lower case, punctuation but ``-`` and ``_``
    dropped, spaces to ``-`` (``"cifar10 / mobilenet1.0-mobilenet0.35"`` -> ``"cifar10--mobilenet10-mobilenet035"``)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def section_anchor(dataset, study):
    """The link fragment of a study's section in results/README.md."""
    return github_anchor(section_title(dataset, study))


def from_root(path, root="."):
    """``path`` relative to ``root`` (the repository root, where the printed commands are run)."""
    return os.path.relpath(os.path.abspath(path), os.path.abspath(root))


def current_command(result, directory=None, root="."):
    """The run's recorded command, with a recipe file that has moved since at its new path.

    With ``directory`` (where the run's files are now), ``--output_dir``
    points there too, and ``--teacher`` at the same seed's booster run
    beside it: run and pair directories were renamed since some runs.
    Paths are relative to ``root``, the repository root.
    """
    command = result["command"]
    for old, new in MOVED_RECIPES.items():
        command = command.replace(old, new)
    if directory is not None:
        pair_dir = os.path.dirname(directory)
        command = re.sub(r"--output_dir=\S+", f"--output_dir={from_root(directory, root)}", command)

        def teacher(match):
            run_dir, name = os.path.split(match.group(1))  # e.g. .../booster-seed0, booster.keras
            return f"--teacher={from_root(os.path.join(pair_dir, os.path.basename(run_dir), name), root)}"

        command = re.sub(r"--teacher=(\S+)", teacher, command)
    return command


def trains_head(result, head):
    """Whether the run's method has ``head`` at all (a booster-alone run has no light net)."""
    return head in methods.parse(result.get("method", "light")).heads


def accuracy_cell(results, head, empty="-"):
    """``mean_std`` of ``head``'s accuracies; ``"diverged"`` when every run diverged.

    ``"-"`` for a head the method does not train (never "diverged" or
    ``empty`` for it), ``empty`` when no run measured ``head``.
    """
    if results and not trains_head(results[0], head):
        return "-"
    if results and all(diverged(r) for r in results):
        return "diverged"
    return mean_std(accuracies(results, head), empty)
